"""Whether a resource commercetools holds already equals a draft: the field paths that differ.

The publisher asks this when a keyed create is answered ``DuplicateField`` (a re-run of a batch whose
create was applied before): no differences, and the item counts as applied; otherwise the error names the
key and these paths. The API is one function, :func:`differences`, so that the sync operator can use it
(the sync's richer comparison, ``writing/sync/compare.py`` on branch ``i23-actions``, has the same
``differences(draft, current, ...)`` shape and the same normalizations; once both are merged this module
can delegate to it).

A draft and the resource created from it differ in shape, so values compare after these normalizations:

- only the fields the draft names are compared (the API fills in others: ``id``, ``version``,
  ``createdAt``..., defaults such as a channel's ``roles`` or a category's ``orderHint``);
  server-only fields (:data:`SERVER_FIELDS`) and secrets (a customer's ``password``, stored hashed) never;
- absent, ``null``, ``{}`` and ``[]`` are the same "no value" (commercetools leaves empty fields out of
  what it returns), and so is a draft's ``false`` for a field the resource leaves out (optional flags
  default to false);
- objects compare key by key, in any key order (a LocalizedString ``{"en", "de"}`` is a dict);
- money: a draft's ``Money`` (``currencyCode``, ``centAmount``) equals the ``TypedMoney`` the API returns
  for it (``type`` ``centPrecision`` and ``fractionDigits`` filled in: api-specs/api/types/common/Money.raml,
  CentPrecisionMoney.raml); ``fractionDigits`` only when the draft gives them;
- references: a draft's ResourceIdentifier by key (``{"typeId", "key"}``) and the resource's Reference by id
  (``{"typeId", "id"}``) are equal when the reference says its key (expanded ``obj``) or ``key_of(typeId, id)``
  knows it and it is the same; when the key cannot be known the path is reported with ``(reference by key
  not resolved)``, never guessed;
- lists compare in order, except the fields commercetools treats as sets (:data:`SET_FIELDS`);
- numbers by value (``1`` = ``1.0``); date-times as instants (``...00Z`` = ``...00.000Z``);
- a product: commercetools returns a ``Product`` with ``masterData``; the draft is compared with the staged
  projection (``masterData.staged``) and ``publish`` with ``masterData.published``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

#: Fields commercetools writes itself (api-specs/api/types/common/BaseResource.raml, CreatedBy, LastModifiedBy).
SERVER_FIELDS = frozenset(
    {
        "id",
        "version",
        "versionModifiedAt",
        "createdAt",
        "lastModifiedAt",
        "createdBy",
        "lastModifiedBy",
        "lastMessageSequenceNumber",
    }
)
#: Draft fields never compared: commercetools stores them transformed (a customer's password is hashed).
SECRET_FIELDS = frozenset({"password"})
#: Lists the API treats as sets (order not kept or not meaningful): a channel's ``roles``
#: (api-specs/api/types/channel/ChannelDraft.raml), a customer's or cart discount's ``stores``, a zone's
#: ``locations``, a type's ``resourceTypeIds``, a product's ``categories``.
SET_FIELDS = frozenset({"roles", "stores", "locations", "resourceTypeIds", "categories"})
#: The path note of a reference by key whose resolved id could not be checked.
UNRESOLVED = " (reference by key not resolved)"

KeyOf = Callable[[str, str], "str | None"]

_REFERENCE_FIELDS = frozenset({"typeId", "id", "key", "obj"})
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def differences(draft: Mapping[str, Any], current: Mapping[str, Any], key_of: KeyOf | None = None) -> list[str]:
    """The field paths (``name.de``, ``custom.fields.color``, ``roles``) where ``current`` differs from ``draft``.

    Empty: the resource equals the draft. ``key_of(typeId, id)`` may give the key of a referenced resource
    (None when unknown); see the module docstring for what counts as equal.
    """
    if isinstance(current.get("masterData"), Mapping):
        current = _product_projection(current)
    return _differences(draft, current, key_of or _no_keys, "")


def _no_keys(type_id: str, id: str) -> str | None:
    return None


def _product_projection(product: Mapping[str, Any]) -> dict[str, Any]:
    master = product["masterData"]
    staged = master.get("staged") if isinstance(master.get("staged"), Mapping) else {}
    top = {k: v for k, v in product.items() if k != "masterData"}
    return {**top, **staged, "publish": bool(master.get("published"))}


def _differences(draft: Mapping[str, Any], current: Mapping[str, Any], key_of: KeyOf, path: str) -> list[str]:
    found: list[str] = []
    for name in sorted(draft):
        if name in SERVER_FIELDS or name in SECRET_FIELDS:
            continue
        want, have = draft[name], current.get(name)
        where = f"{path}.{name}" if path else name
        nested = isinstance(want, Mapping) and isinstance(have, Mapping) and not _is_reference(want)
        nested = nested and not _is_money(want)
        if nested and want and have:
            found.extend(_differences(want, have, key_of, where))
            continue
        if name in SET_FIELDS and isinstance(want, list) and isinstance(have, list):
            equal = _sets_equal(want, have, key_of)
        else:
            equal = _equal(want, have, key_of)
        if equal is None:
            found.append(where + UNRESOLVED)
        elif not equal:
            found.append(where)
    return found


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list | tuple) and not value)


def _is_reference(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("typeId"), str)
        and ("id" in value or "key" in value)
        and set(value) <= _REFERENCE_FIELDS
    )


def _is_money(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("currencyCode"), str)
        and ("centAmount" in value or "preciseAmount" in value)
    )


def _equal(want: Any, have: Any, key_of: KeyOf) -> bool | None:
    """True, False, or None: a reference by key whose key is unknown."""
    if _is_empty(want) or _is_empty(have):
        return (_is_empty(want) and _is_empty(have)) or (want is False and have is None)
    if _is_reference(want) and _is_reference(have):
        return _references_equal(want, have, key_of)
    if _is_money(want) and _is_money(have):
        return _money_equal(want, have)
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        results = [_equal(want.get(k), have.get(k), key_of) for k in (set(want) | set(have)) - SERVER_FIELDS]
        return False if False in results else (None if None in results else True)
    if isinstance(want, list | tuple) and isinstance(have, list | tuple):
        if len(want) != len(have):
            return False
        results = [_equal(w, h, key_of) for w, h in zip(want, have, strict=True)]
        return False if False in results else (None if None in results else True)
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have
    if isinstance(want, int | float) and isinstance(have, int | float):
        return bool(want == have)
    if isinstance(want, str) and isinstance(have, str) and want != have:
        a, b = _instant(want), _instant(have)
        return a is not None and b is not None and a == b
    return bool(want == have)


def _sets_equal(want: list[Any], have: list[Any], key_of: KeyOf) -> bool | None:
    if len(want) != len(have):
        return False
    left = list(have)
    unresolved = False
    for item in want:
        for index, other in enumerate(left):
            equal = _equal(item, other, key_of)
            if equal is None:
                unresolved = True
            if equal:
                del left[index]
                break
        else:
            return None if unresolved else False
    return True


def _references_equal(want: Mapping[str, Any], have: Mapping[str, Any], key_of: KeyOf) -> bool | None:
    if want.get("typeId") != have.get("typeId"):
        return False
    if want.get("id") is not None and have.get("id") is not None:
        return bool(want["id"] == have["id"])
    wanted_key = want.get("key")
    if wanted_key is None:
        return False
    obj = have.get("obj")
    known = have.get("key")
    if known is None and isinstance(obj, Mapping):
        known = obj.get("key")
    if known is None and have.get("id") is not None:
        known = key_of(str(have["typeId"]), str(have["id"]))
    if known is None:
        return None
    return bool(known == wanted_key)


def _money_equal(want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    if want.get("currencyCode") != have.get("currencyCode"):
        return False
    want_type = want.get("type") or ("highPrecision" if "preciseAmount" in want else "centPrecision")
    have_type = have.get("type") or ("highPrecision" if "preciseAmount" in have else "centPrecision")
    if want_type != have_type:
        return False
    if want_type == "highPrecision":
        return bool(want.get("preciseAmount") == have.get("preciseAmount")) and want.get("fractionDigits") == have.get(
            "fractionDigits"
        )
    if want.get("fractionDigits") is not None and want.get("fractionDigits") != have.get("fractionDigits"):
        return False
    return bool(want.get("centAmount") == have.get("centAmount"))


def _instant(text: str) -> datetime | None:
    if not _DATETIME.match(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
