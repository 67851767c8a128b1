"""Product update actions in the fake, on products as commercetools holds them.

Every product in the fake has ``masterData`` (``current``, ``staged``, ``published``,
``hasStagedChanges``: product_shape.py); the actions write ``staged`` (``staged`` true, the default) or
both ``current`` and ``staged`` (``staged: false``), and ``publish`` copies ``staged`` to ``current``.
Actions of prices, images and assets are not modelled (refused, see update_actions.py).

Each handler does what the action's RAML file says:
``api-specs/api/types/product/updates/Product<Action>Action.raml`` in
commercetools/commercetools-api-reference at the commit ``spec_actions.json`` names.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.testing.fake.action_support import (
    Handler,
    add_to_list,
    invalid_operation,
    remove_from_list,
    require,
    set_field,
)
from airflow_provider_commercetools.testing.fake.http import invalid_json
from airflow_provider_commercetools.testing.fake.store import copy_json


def _data(entity: dict[str, Any], action: dict[str, Any]) -> list[dict[str, Any]]:
    """The product data the action writes: ``staged`` (default), also ``current`` with ``staged: false``."""
    master = _master(entity)
    staged = master.setdefault("staged", {})
    if action.get("staged", True) is False:
        return [master.setdefault("current", {}), staged]
    master["hasStagedChanges"] = True
    return [staged]


def _data_field(field: str, required: bool) -> Handler:
    """``changeName`` / ``changeSlug`` / ``setDescription`` / ``setMetaTitle`` / ... : one field of the data."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        value = require(action, field, index) if required else action.get(field)
        for data in _data(entity, action):
            set_field(data, field, value)

    return handle


def add_to_category(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``addToCategory``: the category in ``categories``, ``orderHint`` in ``categoryOrderHints``."""
    category = require(action, "category", index)
    for data in _data(entity, action):
        if category in (data.get("categories") or []):
            raise invalid_operation(index, "the product is in that category already.")
        add_to_list(data, "categories", [category])
        if action.get("orderHint") is not None and category.get("id") is not None:
            data.setdefault("categoryOrderHints", {})[category["id"]] = action["orderHint"]


def remove_from_category(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``removeFromCategory``: out of ``categories`` (and its order hint)."""
    category = require(action, "category", index)
    for data in _data(entity, action):
        if category not in (data.get("categories") or []):
            raise invalid_operation(index, "the product is not in that category.")
        remove_from_list(data, "categories", [category])
        (data.get("categoryOrderHints") or {}).pop(category.get("id"), None)


def set_category_order_hint(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setCategoryOrderHint``: ``categoryOrderHints[categoryId]``, removed without ``orderHint``."""
    category_id = require(action, "categoryId", index)
    for data in _data(entity, action):
        set_field(data.setdefault("categoryOrderHints", {}), category_id, action.get("orderHint"))


def publish(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``publish``: ``current`` becomes a copy of ``staged``; ``scope: Prices`` is not modelled."""
    master = _master(entity)
    if action.get("scope", "All") != "All":
        raise invalid_operation(index, "the fake does not model action 'publish' with scope 'Prices' of products.")
    master["current"] = copy_json(master.get("staged") or {})
    master["published"], master["hasStagedChanges"] = True, False


def unpublish(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``unpublish``: ``published`` false."""
    _master(entity)["published"] = False


def _master(entity: dict[str, Any]) -> dict[str, Any]:
    """The Product's ``masterData`` (every product in the fake has it: product_shape.py)."""
    master = entity.get("masterData")
    if not isinstance(master, dict):
        raise TypeError("a product without masterData")  # answered 400 InvalidJsonInput (update_actions.py)
    return master


# ---------------------------------------------------------------------------------------- variants


def _variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The master variant and the others (draft variants without an id get 1, 2, ... as commercetools numbers)."""
    found = [data.setdefault("masterVariant", {}), *data.setdefault("variants", [])]
    for number, variant in enumerate(found, start=1):
        variant.setdefault("id", number)
    return found


def _variant(data: dict[str, Any], action: dict[str, Any], index: int, id_name: str = "variantId") -> dict[str, Any]:
    ident, sku = action.get(id_name), action.get("sku")
    if ident is None and sku is None:
        raise invalid_json(f"actions[{index}]: either '{id_name}' or 'sku' must be defined.")
    for variant in _variants(data):
        if (ident is not None and variant.get("id") == ident) or (ident is None and variant.get("sku") == sku):
            return variant
    raise invalid_operation(
        index, f"no variant with {id_name} {ident}" if ident is not None else f"no variant '{sku}'."
    )


def _set_attribute(holder: dict[str, Any], name: str, value: Any) -> None:
    attributes = [a for a in holder.get("attributes") or [] if a.get("name") != name]
    if value is not None:
        attributes.append({"name": name, "value": copy_json(value)})
    holder["attributes"] = attributes


def set_attribute(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setAttribute``: the attribute ``name`` of one variant (removed without ``value``)."""
    name = require(action, "name", index)
    for data in _data(entity, action):
        _set_attribute(_variant(data, action, index), name, action.get("value"))


def set_attribute_in_all_variants(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setAttributeInAllVariants``: the attribute ``name`` of every variant."""
    name = require(action, "name", index)
    for data in _data(entity, action):
        for variant in _variants(data):
            _set_attribute(variant, name, action.get("value"))


def set_product_attribute(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setProductAttribute``: the product-level attribute ``name`` (the data's ``attributes``)."""
    name = require(action, "name", index)
    for data in _data(entity, action):
        _set_attribute(data, name, action.get("value"))


def set_sku(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setSku``: ``sku`` of the variant ``variantId`` (removed without ``sku``)."""
    variant_id = require(action, "variantId", index)
    for data in _data(entity, action):
        set_field(_variant(data, {"variantId": variant_id}, index), "sku", action.get("sku"))


def set_product_variant_key(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setProductVariantKey``: ``key`` of the variant named by ``variantId`` or ``sku``."""
    for data in _data(entity, action):
        set_field(_variant(data, action, index), "key", action.get("key"))


def add_variant(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``addVariant``: a new variant with the next id, from ``sku``, ``key``, ``attributes``, ``prices``, ``images``."""
    if action.get("prices") or action.get("images") or action.get("assets"):
        raise invalid_operation(index, "the fake does not model prices, images or assets of products (addVariant).")
    for data in _data(entity, action):
        variants = _variants(data)
        sku = action.get("sku")
        if sku is not None and any(v.get("sku") == sku for v in variants):
            raise invalid_operation(index, f"a variant with sku '{sku}' exists.")
        new: dict[str, Any] = {"id": max(int(v["id"]) for v in variants) + 1}
        for field in ("sku", "key", "attributes"):
            if action.get(field) is not None:
                new[field] = copy_json(action[field])
        data["variants"].append(new)


def remove_variant(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``removeVariant``: the variant named by ``id`` or ``sku`` (not the master variant)."""
    for data in _data(entity, action):
        variant = _variant(data, action, index, id_name="id")
        if variant is data["masterVariant"]:
            raise invalid_operation(index, "the master variant cannot be removed (changeMasterVariant first).")
        data["variants"].remove(variant)


def change_master_variant(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``changeMasterVariant``: the variant named becomes the master; the old master joins the variants."""
    for data in _data(entity, action):
        variant = _variant(data, action, index)
        if variant is data["masterVariant"]:
            continue
        data["variants"].remove(variant)
        data["variants"].append(data["masterVariant"])  # the spec does not say where in variants
        data["masterVariant"] = variant


PRODUCTS: dict[str, Handler] = {
    "changeName": _data_field("name", True),
    "changeSlug": _data_field("slug", True),
    "setDescription": _data_field("description", False),
    "setMetaTitle": _data_field("metaTitle", False),
    "setMetaDescription": _data_field("metaDescription", False),
    "setMetaKeywords": _data_field("metaKeywords", False),
    "setSearchKeywords": _data_field("searchKeywords", False),
    "addToCategory": add_to_category,
    "removeFromCategory": remove_from_category,
    "setCategoryOrderHint": set_category_order_hint,
    "publish": publish,
    "unpublish": unpublish,
    "setAttribute": set_attribute,
    "setAttributeInAllVariants": set_attribute_in_all_variants,
    "setProductAttribute": set_product_attribute,
    "setSku": set_sku,
    "setProductVariantKey": set_product_variant_key,
    "addVariant": add_variant,
    "removeVariant": remove_variant,
    "changeMasterVariant": change_master_variant,
}
