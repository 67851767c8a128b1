"""References by key in drafts and update actions: resolved to References by id, as commercetools stores them.

A draft or an update action names a referenced resource with a ResourceIdentifier, by ``id`` or by
``key`` (api-specs/api/types/common/ResourceIdentifier.raml); the resource holds a Reference by id
(api-specs/api/types/common/Reference.raml: ``typeId`` + ``id``; e.g. CategoryDraft.parent is a
CategoryResourceIdentifier, Category.parent a CategoryReference). A key that names no resource is
answered with 400 ReferencedResourceNotFound (api-specs/api/types/error/ReferencedResourceNotFoundError.raml:
"Returned when a resource referenced by a Reference or a ResourceIdentifier could not be found",
message ``The referenced object of type $typeId $predicate was not found. ...``; listed under 400 in
https://docs.commercetools.com/api/errors). Spec commit 5867aa22abcab5a521bd5bf0bd3b332c5ad763ae.

The fake resolves generically: every JSON object with exactly ``typeId`` and ``key`` anywhere in a draft
or an action. Left as given (docs/testing.md): KeyReferences, which commercetools itself stores by key
(StoreKeyReference, BusinessUnitKeyReference, AssociateRoleKeyReference: api-specs/api/types/store/
StoreKeyReference.raml and its siblings), and ``key-value-document`` (a custom object's key is unique only
within its container). References by ``id`` are not checked for existence (tests seed partial data).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.testing.fake.http import bad_request
from airflow_provider_commercetools.testing.fake.store import Store

#: typeIds whose references commercetools keeps by key (KeyReference types)
KEY_REFERENCE_TYPES = frozenset({"store", "business-unit", "associate-role"})
_UNRESOLVED = KEY_REFERENCE_TYPES | {"key-value-document"}
_RESOURCES = {"inventory-entry": "inventory"}


def resource_of(type_id: str) -> str:
    """The fake's collection of a ``typeId`` (``category`` -> ``categories``): store.type_id reversed."""
    if type_id in _RESOURCES:
        return _RESOURCES[type_id]
    return type_id[:-1] + "ies" if type_id.endswith("y") else type_id + "s"


def resolve_keys(store: Store, value: Any) -> Any:
    """``value`` with every ResourceIdentifier by key replaced by a Reference by id (lock held).

    Returns ``value`` itself when it has none (the caller's copy stays unshared); raises the 400
    ReferencedResourceNotFound when a key names no resource.
    """
    t = type(value)
    if t is dict:
        if len(value) == 2 and "typeId" in value and "key" in value:
            return _resolve(store, value)
        out: dict[str, Any] | None = None
        for k, v in value.items():
            r = resolve_keys(store, v)
            if r is not v:
                if out is None:
                    out = dict(value)
                out[k] = r
        return value if out is None else out
    if t is list:
        items: list[Any] | None = None
        for i, v in enumerate(value):
            r = resolve_keys(store, v)
            if r is not v:
                if items is None:
                    items = list(value)
                items[i] = r
        return value if items is None else items
    return value


def _resolve(store: Store, ref: dict[str, Any]) -> dict[str, Any]:
    type_id, key = ref["typeId"], ref["key"]
    if not isinstance(type_id, str) or not isinstance(key, str) or type_id in _UNRESOLVED:
        return ref
    coll = store.get(resource_of(type_id))
    entity = None if coll is None else coll.find_unique(("key",), (key,))
    if entity is None:
        message = (
            f"The referenced object of type '{type_id}' with key '{key}' was not found. It either doesn't exist, "
            "or it can't be accessed from this endpoint (e.g., if the endpoint filters by store or customer account)."
        )
        raise bad_request("ReferencedResourceNotFound", message, typeId=type_id, key=key)
    return {"typeId": type_id, "id": entity["id"]}
