"""Product attribute values: equality across the shapes a draft and a product give the same value.

Attribute types (api-specs/api/types/product-type/AttributeType.raml) and their values as a
product returns them (api-specs/api/types/product/Attribute.raml):

- ``enum``/``lenum``: the product holds ``{"key", "label"}``; a draft may give the key alone or
  the whole value: compared by key (a label is the product type's, not the product's);
- ``set``: a list, order-insensitive (a multiset of element values);
- ``nested``: a list of ``{"name", "value"}`` attributes, compared by name;
- ``reference``: a Reference by id vs a draft's ResourceIdentifier by key (see compare.py);
- ``money``: TypedMoney vs Money; ``ltext``: a LocalizedString; ``datetime``: an instant; the rest
  (text, number, boolean, date, time) as plain values.

The product type is not needed: each shape is recognised from the value itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import (
    data_equal,
    is_empty,
    is_reference,
    sets_equal,
)
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext

Actions = list[dict[str, Any]]
_ENUM_FIELDS = frozenset({"key", "label"})
_NESTED_FIELDS = frozenset({"name", "value"})


def _is_enum(value: Any) -> bool:
    return isinstance(value, dict) and "key" in value and value.keys() <= _ENUM_FIELDS and not is_reference(value)


def _is_nested(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and v.keys() == _NESTED_FIELDS for v in value)
    )


def attribute_values_equal(want: Any, have: Any, ctx: BuildContext) -> bool:
    """Whether an attribute value from a draft equals the product's (see the module docstring)."""
    if is_empty(want) or is_empty(have):
        return is_empty(want) and is_empty(have)
    if _is_enum(want) or _is_enum(have):
        want_key = want.get("key") if isinstance(want, Mapping) else want
        have_key = have.get("key") if isinstance(have, Mapping) else have
        return bool(want_key == have_key)
    if _is_nested(want) or _is_nested(have):
        return attributes_equal(want, have, ctx) if isinstance(want, list) and isinstance(have, list) else False
    if isinstance(want, list) and isinstance(have, list):
        return sets_equal(want, have, ctx, attribute_values_equal)
    return data_equal(want, have, ctx)


def attributes_by_name(attributes: list[Mapping[str, Any]] | None) -> dict[str, Any]:
    return {str(a.get("name")): a.get("value") for a in attributes or [] if a.get("name") is not None}


def attributes_equal(want: list[Any], have: list[Any], ctx: BuildContext) -> bool:
    left, right = attributes_by_name(want), attributes_by_name(have)
    return set(left) == set(right) and all(attribute_values_equal(left[n], right[n], ctx) for n in left)


def attribute_actions(
    want: list[Mapping[str, Any]] | None,
    have: list[Mapping[str, Any]] | None,
    ctx: BuildContext,
    action: str,
    extra: Mapping[str, Any],
) -> Actions:
    """``setAttribute`` (a variant's, ``extra`` naming it) or ``setProductAttribute`` per differing name."""
    want_values, have_values = attributes_by_name(want), attributes_by_name(have)
    actions: Actions = []
    for name in [*want_values, *(n for n in have_values if n not in want_values)]:
        value = want_values.get(name)
        if attribute_values_equal(value, have_values.get(name), ctx):
            continue
        change: dict[str, Any] = {"action": action, **extra, "name": name}
        if not is_empty(value):
            change["value"] = value
        actions.append(change)
    return actions
