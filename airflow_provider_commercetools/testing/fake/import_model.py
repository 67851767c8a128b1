"""The fake Import API's model: resource types, scopes, limits, operations and their queries.

Every fact here cites the Import API's spec (commercetools/commercetools-api-reference,
``api-specs/import/``, read at commit 5867aa22abcab5a521bd5bf0bd3b332c5ad763ae; the folder was
``api-specs/importapi/`` before 2024) or a docs page; ``tests/testing/import_spec_facts.json`` holds
the same facts with their sources, and ``tests/testing/test_import_spec.py`` checks this module
against it and against the types of the ``@commercetools/importapi-sdk`` npm package (generated
from the same RAML).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.testing.fake.http import bad_request, invalid_json, iso_at

#: ``types/import-request.raml``: ``maxItems: 20`` on every request's ``resources`` / ``patches``
MAX_RESOURCES = 20
#: ``api.raml``, Query ImportOperations / Query ImportContainers: ``limit`` default 20, maximum 500
DEFAULT_LIMIT = 20
MAX_LIMIT = 500
#: ``api.raml``, the same query parameters: ``offset`` maximum 10000
MAX_OFFSET = 10_000
#: docs.commercetools.com/api/import-export/import-operation: "ImportOperations are automatically
#: deleted 48 hours after they are created" (the spec's ``expiresAt`` on ImportOperation)
OPERATION_LIFETIME = 48 * 3600

# resource type -> (path segment, body field, key field, HTTP API collection it is stored in, required fields)
# ``common.raml`` ``ImportResourceType`` (18 values); segments and body fields from ``api.raml`` and
# ``types/import-request.raml`` (``patches`` for the two patch requests, ``resources`` otherwise);
# required fields are the properties without ``?`` in ``types/<type>-import.raml`` that the fake checks.
TYPES: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "business-unit": ("business-units", "resources", "key", "business-units", ("key", "unitType", "name")),
    "category": ("categories", "resources", "key", "categories", ("key", "name", "slug")),
    "customer": ("customers", "resources", "key", "customers", ("key", "email")),
    "discount-code": ("discount-codes", "resources", "key", "discount-codes", ("key", "code", "cartDiscounts")),
    "inventory": ("inventories", "resources", "key", "inventory", ("key", "sku", "quantityOnStock")),
    "order": ("orders", "resources", "orderNumber", "orders", ("orderNumber", "totalPrice")),
    "order-patch": ("order-patches", "patches", "orderNumber", "orders", ("orderNumber", "fields")),
    "price": ("prices", "resources", "key", "prices", ("key", "value", "productVariant", "product")),
    "product": ("products", "resources", "key", "products", ("key", "name", "slug", "productType")),
    "product-draft": ("product-drafts", "resources", "key", "products", ("key", "name", "slug", "productType")),
    "product-selection": ("product-selections", "resources", "key", "product-selections", ("key", "name")),
    "product-tailoring": ("product-tailorings", "resources", "key", "product-tailoring", ("key", "store", "product")),
    "product-type": ("product-types", "resources", "key", "product-types", ("key", "name", "description")),
    "product-variant": ("product-variants", "resources", "key", "product-variants", ("key", "product")),
    "product-variant-patch": ("product-variant-patches", "patches", "", "product-variants", ("productVariant",)),
    "standalone-price": ("standalone-prices", "resources", "key", "standalone-prices", ("key", "sku", "value")),
    "type": ("types", "resources", "key", "types", ("key", "name", "resourceTypeIds")),
    "variant": ("variants", "resources", "key", "variants", ("key", "sku", "product")),
}
BY_SEGMENT = {spec[0]: name for name, spec in TYPES.items()}
#: ``types/import-request.raml`` ``VariantImportRequest`` / ``api.raml`` ``/variants``: "only available
#: for Projects with ``productCatalogModel`` set to ``Modular``" (beta)
MODULAR_ONLY = frozenset({"variant"})
#: ``types/import-request.raml`` ``OrderImportRequest``: Orders "to be created" (every other request
#: type: "to be created or updated")
CREATE_ONLY = frozenset({"order"})

#: ``api.raml`` ``traits``: the scopes each ``secured_by_*`` trait accepts (any one of them)
TRAIT_SCOPES: dict[str, tuple[str, ...]] = {
    "secured_by_manage_import_containers": ("manage_import_containers",),
    "secured_by_view_import_containers": ("manage_import_containers", "view_import_containers"),
    "secured_by_manage_products": ("manage_products",),
    "secured_by_manage_customers": ("manage_customers",),
    "secured_by_manage_orders": ("manage_orders",),
    "secured_by_manage_standalone_prices": ("manage_standalone_prices", "view_standalone_prices"),
    "secured_by_manage_types": ("manage_project", "manage_types"),
    "secured_by_manage_discount_codes": ("manage_discount_codes", "view_discount_codes"),
    "secured_by_manage_product_selections": ("manage_product_selections", "view_product_selections"),
    "secured_by_manage_business_units": ("manage_project", "manage_business_units"),
}
#: ``api.raml``: the trait (``is:``) of each resource type's ``POST .../import-containers/{key}``
REQUEST_TRAITS: dict[str, str] = {
    "business-unit": "secured_by_manage_business_units",
    "category": "secured_by_manage_products",
    "customer": "secured_by_manage_customers",
    "discount-code": "secured_by_manage_discount_codes",
    "inventory": "secured_by_manage_products",
    "order": "secured_by_manage_orders",
    "order-patch": "secured_by_manage_orders",
    "price": "secured_by_manage_products",
    "product": "secured_by_manage_products",
    "product-draft": "secured_by_manage_products",
    "product-selection": "secured_by_manage_product_selections",
    "product-tailoring": "secured_by_manage_products",
    "product-type": "secured_by_manage_products",
    "product-variant": "secured_by_manage_products",
    "product-variant-patch": "secured_by_manage_products",
    "standalone-price": "secured_by_manage_standalone_prices",
    "type": "secured_by_manage_types",
    "variant": "secured_by_manage_products",
}
#: the scopes an import request of each resource type accepts (``manage_project`` too, always: docs
#: .commercetools.com/api/scopes, "manage_project" grants every other scope of the project)
REQUEST_SCOPES: dict[str, tuple[str, ...]] = {name: TRAIT_SCOPES[trait] for name, trait in REQUEST_TRAITS.items()}

_LOCALIZED = ("name", "slug", "description")
# KeyReference typeId -> HTTP API collection (and the field holding the key)
_REFERENCE_COLLECTIONS = {
    "category": "categories",
    "product-type": "product-types",
    "product": "products",
    "customer": "customers",
    "customer-group": "customer-groups",
    "channel": "channels",
    "tax-category": "tax-categories",
    "state": "states",
    "type": "types",
    "price": "prices",
    "product-variant": "product-variants",
    "cart-discount": "cart-discounts",
    "discount-code": "discount-codes",
    "shipping-method": "shipping-methods",
    "store": "stores",
    "business-unit": "business-units",
    "product-selection": "product-selections",
    "order": "orders",
}


def reference_collection(type_id: str) -> str:
    """The HTTP API collection a KeyReference's ``typeId`` points into."""
    return _REFERENCE_COLLECTIONS.get(type_id, f"{type_id}s")


#: ``types/common.raml`` ``ProcessingState`` (and ``types/import-summary.raml`` ``OperationStates``)
STATES = (
    "processing",
    "validationFailed",
    "unresolved",
    "waitForMasterVariant",
    "imported",
    "rejected",
    "canceled",
    "partiallyImported",
)
#: the query parameters of Query ImportOperations (``api.raml``)
OPERATION_QUERY_PARAMETERS = ("limit", "offset", "sort", "resourceKey", "state", "debug")
#: the query parameters of Query ImportContainers (``api.raml``)
CONTAINER_QUERY_PARAMETERS = ("limit", "offset", "sort")


@dataclass
class Operation:
    """One import operation: its resource, state, errors and history (with the server time of each state)."""

    id: str
    container: str
    resource_type: str
    resource_key: str
    resource: Any
    created: float  # server clock (``testing.fake.http.CLOCK``)
    created_at: str
    state: str = "processing"
    version: int = 1
    errors: list[dict[str, Any]] = field(default_factory=list)
    unresolved: list[dict[str, str]] = field(default_factory=list)
    resource_version: int | None = None
    #: how many reads of its container had happened when it was created
    read_mark: int = 0
    last_modified_at: str = ""
    #: every state the operation has been in, oldest first (for tests)
    history: list[str] = field(default_factory=list)
    #: the server time each state of :attr:`history` began
    times: list[float] = field(default_factory=list)

    def set_state(self, state: str, at: float) -> None:
        self.state = state
        self.version += 1
        self.last_modified_at = iso_at(at)
        self.history.append(state)
        self.times.append(at)

    def state_at(self, moment: float) -> str | None:
        """The state it was in at server time ``moment`` (None: not created yet)."""
        if moment < self.created:
            return None
        if self.times[-1] <= moment:  # most operations: nothing changed since
            return self.state
        state = None
        for name, began in zip(self.history, self.times, strict=True):
            if began > moment:
                break
            state = name
        return state or self.state

    def to_json(self, *, debug: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "importContainerKey": self.container,
            "resourceKey": self.resource_key,
            "resourceType": self.resource_type,
            "state": self.state,
            "createdAt": self.created_at,
            "lastModifiedAt": self.last_modified_at or self.created_at,
            "expiresAt": iso_at(self.created + OPERATION_LIFETIME),
        }
        if self.errors:
            body["errors"] = self.errors
        # api.raml, Query ImportOperations ``debug``: "In case of Unresolved, it will show the unresolved
        # references" (default false): a query shows them only with debug=true
        if self.unresolved and debug:
            body["unresolvedReferences"] = self.unresolved
        if self.resource_version is not None:
            body["resourceVersion"] = self.resource_version
        return body


def key_references(value: Any) -> Iterator[dict[str, Any]]:
    """Every KeyReference (``{"typeId", "key"}``) in an import resource."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if isinstance(current.get("typeId"), str) and isinstance(current.get("key"), str):
                yield current
            else:
                stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def with_ids(value: Any, ids: dict[int, str]) -> Any:
    """A copy of the resource whose resolved KeyReferences are ``{"typeId", "id"}`` references."""
    if isinstance(value, dict):
        if id(value) in ids:
            return {"typeId": value["typeId"], "id": ids[id(value)]}
        return {k: with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [with_ids(v, ids) for v in value]
    return value


def validate(resource: Mapping[str, Any], required: tuple[str, ...]) -> list[dict[str, Any]]:
    """The validation errors of an import resource (as the API reports them on its operation)."""
    errors = []
    for name in required:
        if resource.get(name) is None:
            errors.append(
                {"code": "RequiredField", "message": f"The required field '{name}' is missing.", "field": name}
            )
    for name in _LOCALIZED:
        value = resource.get(name)
        if value is not None and not (isinstance(value, dict) and all(isinstance(v, str) for v in value.values())):
            message = f"The field '{name}' must be a LocalizedString (an object of language tags to strings)."
            errors.append({"code": "InvalidField", "message": message, "field": name, "invalidValue": value})
    return errors


def json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"null")
    except ValueError as error:
        raise invalid_json(str(error)) from None
    if not isinstance(value, dict):
        raise invalid_json("The body must be a JSON object.")
    return value


def check_parameters(query: Mapping[str, list[str]], allowed: tuple[str, ...]) -> None:
    """A 400 for a query parameter the endpoint does not define (the spec is silent on what commercetools
    does with one; the fake refuses it so a misspelt filter, e.g. ``states``, cannot pass unnoticed)."""
    for name in query:
        if name not in allowed:
            raise bad_request(
                "InvalidInput",
                f"Unknown query parameter '{name}'; this endpoint takes {', '.join(allowed)}.",
                field=name,
            )


def page_params(query: Mapping[str, list[str]]) -> tuple[int, int]:
    """``limit`` (0..500, default 20) and ``offset`` (0..10000, default 0), as ``api.raml`` defines them."""
    values = {}
    for name, default in (("limit", DEFAULT_LIMIT), ("offset", 0)):
        raw = (query.get(name) or [str(default)])[-1]
        try:
            values[name] = int(raw)
        except ValueError:
            raise bad_request("InvalidInput", f"Malformed parameter: {name}: '{raw}' is not a valid integer.") from None
        if values[name] < 0:
            raise bad_request("InvalidInput", f"The {name} must not be negative.")
    if values["limit"] > MAX_LIMIT:
        raise bad_request("InvalidInput", f"The limit must not be greater than {MAX_LIMIT}.")
    if values["offset"] > MAX_OFFSET:
        raise bad_request("InvalidInput", f"The offset must not be greater than {MAX_OFFSET}.")
    return values["limit"], values["offset"]


def query_operations(
    operations: list[Operation], query: Mapping[str, list[str]], rng: random.Random | None = None
) -> dict[str, Any]:
    """The page of ``operations`` a query of a container's import operations answers (filtered, sorted).

    The spec promises no order among equal sort values (docs.commercetools.com/api/general-concepts
    #sorting); with ``rng`` the fake orders ties (operations of one import request share their
    ``createdAt``) at random in every query, as a distributed store may.
    """
    check_parameters(query, OPERATION_QUERY_PARAMETERS)
    limit, offset = page_params(query)
    wanted_state = query.get("state")
    if wanted_state and wanted_state[-1] not in STATES:
        raise bad_request(
            "InvalidInput",
            f"Malformed parameter: state: '{wanted_state[-1]}' is not a ProcessingState ({', '.join(STATES)}).",
            field="state",
        )
    for name, attribute in (("state", "state"), ("resourceKey", "resource_key")):
        wanted = query.get(name)
        if wanted:
            operations = [o for o in operations if getattr(o, attribute) == wanted[-1]]
    debug_text = (query.get("debug") or ["false"])[-1].lower()
    if debug_text not in ("true", "false"):
        message = f"Malformed parameter: debug: '{debug_text}' is not a boolean."
        raise bad_request("InvalidInput", message, field="debug")
    sorts = []
    for text in query.get("sort", []):
        field_name, _, direction = text.partition(" ")
        direction = direction.strip().lower()
        if field_name not in ("createdAt", "lastModifiedAt") or direction not in ("", "asc", "desc"):
            raise bad_request("InvalidInput", f"Malformed parameter: sort: '{text}'.")
        sorts.append((field_name, direction == "desc"))
    if rng is not None or sorts:
        ties = {o.id: rng.random() for o in operations} if rng is not None else {}
        operations = sorted(operations, key=lambda o: ties.get(o.id, 0.0))
        for field_name, descending in reversed(sorts or [("createdAt", False)]):
            if field_name == "createdAt":
                operations.sort(key=lambda o: o.created_at, reverse=descending)
            else:
                operations.sort(key=lambda o: o.last_modified_at or o.created_at, reverse=descending)
    page = operations[offset : offset + limit]
    return {
        "limit": limit,
        "offset": offset,
        "count": len(page),
        "total": len(operations),
        "results": [o.to_json(debug=debug_text == "true") for o in page],
    }


def summary_at(operations: list[Operation], moment: float) -> dict[str, Any]:
    """The ImportSummary of ``operations`` as they were at server time ``moment`` (``types/import-summary.raml``)."""
    states = dict.fromkeys(STATES, 0)
    total = 0
    for operation in operations:
        state = operation.state_at(moment)
        if state is not None:
            states[state] += 1
            total += 1
    return {"states": states, "total": total}
