"""The test model of the API for products (api-specs/api/types/product/updates/): staged and current data."""

from __future__ import annotations

import copy
import itertools
from typing import Any

_ids = itertools.count(1000)
_PRODUCT_LEVEL = {
    "setKey": "key",
    "setTaxCategory": "taxCategory",
    "transitionState": "state",
    "setPriceMode": "priceMode",
}
_DATA_FIELDS = {
    "changeName": "name",
    "changeSlug": "slug",
    "setDescription": "description",
    "setMetaTitle": "metaTitle",
    "setMetaDescription": "metaDescription",
    "setMetaKeywords": "metaKeywords",
    "setSearchKeywords": "searchKeywords",
}


def _set(target: dict[str, Any], field: str, value: Any) -> None:
    if value is None:
        target.pop(field, None)
    else:
        target[field] = value


def _variants(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [data["masterVariant"], *data.get("variants", [])] if data.get("masterVariant") else data.get("variants", [])


def _variant(data: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    for variant in _variants(data):
        if ("sku" in action and variant.get("sku") == action["sku"]) or variant.get("id") == action.get("variantId"):
            return variant
    raise AssertionError(f"no variant for {action!r}")


def _on_variant(variant: dict[str, Any], action: dict[str, Any], ctx: Any, asset_rule: Any) -> None:
    name = action["action"]
    if name == "setAttribute":
        attrs = [a for a in variant.get("attributes", []) if a["name"] != action["name"]]
        if "value" in action:
            attrs.append({"name": action["name"], "value": ctx.by_id(action["value"])})
        variant["attributes"] = attrs
    elif name == "addPrice":
        variant.setdefault("prices", []).append({**ctx.by_id(action["price"]), "id": f"price-{next(_ids)}"})
    elif name == "addExternalImage":
        variant.setdefault("images", []).append(action["image"])
    elif name == "removeImage":
        variant["images"] = [i for i in variant["images"] if i["url"] != action["imageUrl"]]
    elif name == "moveImageToPosition":
        image = next(i for i in variant["images"] if i["url"] == action["imageUrl"])
        variant["images"].remove(image)
        variant["images"].insert(action["position"], image)
    elif name == "setImageLabel":
        _set(next(i for i in variant["images"] if i["url"] == action["imageUrl"]), "label", action.get("label"))
    elif name == "setSku":
        _set(variant, "sku", action.get("sku"))
    elif name == "setProductVariantKey":
        _set(variant, "key", action.get("key"))
    elif not asset_rule(variant, action, ctx):
        raise AssertionError(f"the test model does not know the action {action!r}")


def _on_data(data: dict[str, Any], action: dict[str, Any], ctx: Any, asset_rule: Any) -> None:
    name = action["action"]
    if name in _DATA_FIELDS:
        field = _DATA_FIELDS[name]
        _set(data, field, action.get(field) or None)
    elif name == "addToCategory":
        data.setdefault("categories", []).append(ctx.by_id(action["category"]))
        if action.get("orderHint"):
            data.setdefault("categoryOrderHints", {})[ctx.by_id(action["category"])["id"]] = action["orderHint"]
    elif name == "removeFromCategory":
        gone = ctx.by_id(action["category"])["id"]
        data["categories"] = [c for c in data["categories"] if c["id"] != gone]
        data.get("categoryOrderHints", {}).pop(gone, None)
    elif name == "setCategoryOrderHint":
        _set(data.setdefault("categoryOrderHints", {}), action["categoryId"], action.get("orderHint"))
    elif name == "setAttributeInAllVariants":
        for variant in _variants(data):
            attrs = [a for a in variant.get("attributes", []) if a["name"] != action["name"]]
            if "value" in action:
                attrs.append({"name": action["name"], "value": ctx.by_id(action["value"])})
            variant["attributes"] = attrs
    elif name == "setProductAttribute":
        attrs = [a for a in data.get("attributes", []) if a["name"] != action["name"]]
        if "value" in action:
            attrs.append({"name": action["name"], "value": ctx.by_id(action["value"])})
        data["attributes"] = attrs
    elif name == "addVariant":
        fields = {k: ctx.by_id(v) for k, v in action.items() if k not in ("action", "staged")}
        for price in fields.get("prices", []):
            price["id"] = f"price-{next(_ids)}"
        top = max((v.get("id", 1) for v in _variants(data)), default=0)
        data.setdefault("variants", []).append({**fields, "id": top + 1})
    elif name == "changeMasterVariant":
        new = _variant(data, action)
        old = data["masterVariant"]
        data["variants"] = [old, *(v for v in data.get("variants", []) if v is not new)]
        data["masterVariant"] = new
    elif name == "removeVariant":
        ref = {"sku": action["sku"]} if "sku" in action else {"variantId": action["id"]}
        gone = _variant(data, ref)
        assert gone is not data["masterVariant"], "the master variant cannot be removed"
        data["variants"] = [v for v in data["variants"] if v is not gone]
    elif name in ("changePrice", "removePrice"):
        for variant in _variants(data):
            prices = variant.get("prices", [])
            for index, price in enumerate(prices):
                if price["id"] == action["priceId"]:
                    if name == "removePrice":
                        del prices[index]
                    else:
                        prices[index] = {**ctx.by_id(action["price"]), "id": price["id"]}
                    return
        raise AssertionError(f"no price for {action!r}")
    else:
        _on_variant(_variant(data, action), action, ctx, asset_rule)


def apply_product_action(product: dict[str, Any], action: dict[str, Any], ctx: Any, asset_rule: Any) -> None:
    """One product action on a Product (``masterData``) or a ProductProjection."""
    name = action["action"]
    master = product.get("masterData")
    if name in _PRODUCT_LEVEL:
        field = _PRODUCT_LEVEL[name]
        _set(product, field, ctx.by_id(action.get(field)))
    elif name == "publish":
        master["current"] = copy.deepcopy(master["staged"])
        master.update(published=True, hasStagedChanges=False)
    elif name == "unpublish":
        master["published"] = False
    elif master is None:
        _on_data(product, action, ctx, asset_rule)
    else:
        targets = [master["staged"]] if action.get("staged", True) else [master["staged"], master["current"]]
        for data in targets:
            _on_data(data, action, ctx, asset_rule)
        if action.get("staged", True):
            master["hasStagedChanges"] = True
