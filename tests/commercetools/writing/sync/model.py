"""A small pure model of how commercetools applies update actions, for the builders' round-trip tests.

It knows the actions the builders send (names and shapes from api-specs/api/types/<resource>/
*UpdateAction.raml) and applies them to a resource dict the way the API would: a key-based
ResourceIdentifier becomes a Reference by id (through the test's context), ``set*`` without its
value removes the field. An action it does not know fails the test (so a new action needs a rule here).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from tests.commercetools.writing.sync.model_products import apply_product_action

_ids = itertools.count(1)


class KeyContext:
    """The builders' BuildContext over a fixed table of (typeId, id) -> key."""

    def __init__(self, refs: dict[str, dict[str, str]] | None = None) -> None:
        self.keys = {(t, i): k for t, ids in (refs or {}).items() for i, k in ids.items()}
        self.ids = {(t, k): i for (t, i), k in self.keys.items()}

    def key_of(self, type_id: str, id: str) -> str | None:
        return self.keys.get((type_id, id))

    def id_of(self, type_id: str, key: str) -> str | None:
        return self.ids.get((type_id, key))

    def by_id(self, value: Any) -> Any:
        """A draft value as the API stores it: ResourceIdentifiers by key become References by id."""
        if isinstance(value, dict):
            if set(value) == {"typeId", "key"}:
                type_id, key = value["typeId"], value["key"]
                if (type_id, key) not in self.ids:
                    new = f"{type_id}-{next(_ids)}"
                    self.ids[(type_id, key)] = new
                    self.keys[(type_id, new)] = key
                return {"typeId": type_id, "id": self.ids[(type_id, key)]}
            return {k: self.by_id(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.by_id(v) for v in value]
        return value


def _set(resource: dict[str, Any], field: str, value: Any) -> None:
    if value is None:
        resource.pop(field, None)
    else:
        resource[field] = value


# action name -> (field of the resource, parameter of the action)
SIMPLE: dict[str, tuple[str, str]] = {
    "changeName": ("name", "name"),
    "changeSlug": ("slug", "slug"),
    "setDescription": ("description", "description"),
    "changeParent": ("parent", "parent"),
    "changeOrderHint": ("orderHint", "orderHint"),
    "setExternalId": ("externalId", "externalId"),
    "setMetaTitle": ("metaTitle", "metaTitle"),
    "setMetaDescription": ("metaDescription", "metaDescription"),
    "setMetaKeywords": ("metaKeywords", "metaKeywords"),
    "changeDescription": ("description", "description"),
    "setRoles": ("roles", "roles"),
    "setAddress": ("address", "address"),
    "setGeoLocation": ("geoLocation", "geoLocation"),
    "changeType": ("type", "type"),
    "setName": ("name", "name"),
    "changeInitial": ("initial", "initial"),
    "setTransitions": ("transitions", "transitions"),
    "setLanguages": ("languages", "languages"),
    "setCountries": ("countries", "countries"),
    "setDistributionChannels": ("distributionChannels", "distributionChannels"),
    "setSupplyChannels": ("supplyChannels", "supplyChannels"),
    "setProductSelections": ("productSelections", "productSelections"),
}


def _custom(target: dict[str, Any], action: dict[str, Any], ctx: KeyContext, name: str) -> bool:
    if name.endswith("CustomType"):
        if action.get("type") is None:
            target.pop("custom", None)
        else:
            target["custom"] = {"type": ctx.by_id(action["type"]), "fields": dict(action.get("fields") or {})}
        return True
    if name.endswith("CustomField"):
        fields = target.setdefault("custom", {"fields": {}}).setdefault("fields", {})
        _set(fields, action["name"], action.get("value"))
        return True
    return False


def _asset(resource: dict[str, Any], action: dict[str, Any], ctx: KeyContext) -> bool:
    name = action["action"]
    assets = resource.setdefault("assets", [])
    if name == "addAsset":
        asset = dict(ctx.by_id(action["asset"]))
        asset["id"] = f"asset-{next(_ids)}"
        assets.insert(action.get("position", len(assets)), asset)
        return True
    if name == "changeAssetOrder":
        by_id = {a["id"]: a for a in assets}
        assert sorted(by_id) == sorted(action["assetOrder"]), "changeAssetOrder must list every asset"
        resource["assets"] = [by_id[i] for i in action["assetOrder"]]
        return True
    if "assetKey" not in action and "assetId" not in action:
        return False
    key, id_ = action.get("assetKey"), action.get("assetId")
    index = next(i for i, a in enumerate(assets) if a.get("key") == key or a.get("id") == id_)
    asset = assets[index]
    if name == "removeAsset":
        del assets[index]
    elif name == "changeAssetName":
        asset["name"] = action["name"]
    elif name in ("setAssetDescription", "setAssetTags", "setAssetSources"):
        field = {"setAssetDescription": "description", "setAssetTags": "tags", "setAssetSources": "sources"}[name]
        _set(asset, field, action.get(field))
    elif not _custom(asset, action, ctx, name):
        return False
    return True


def _lists(resource: dict[str, Any], action: dict[str, Any], ctx: KeyContext) -> bool:
    """Tax rates (ids assigned by the API) and zone locations."""
    name = action["action"]
    if not name.endswith(("TaxRate", "Location")):
        return False
    rates = resource.setdefault("rates", [])
    if name in ("addTaxRate", "replaceTaxRate"):
        # TaxRate.amount: the sub-rates' sum when the draft leaves it out (api-specs/.../tax-category/TaxRate.raml)
        rate = dict(action["taxRate"])
        rate.setdefault("amount", round(sum(s["amount"] for s in rate.get("subRates", [])), 12))
    if name == "addTaxRate":
        rates.append({**rate, "id": f"rate-{next(_ids)}"})
    elif name == "removeTaxRate":
        resource["rates"] = [r for r in rates if r["id"] != action["taxRateId"]]
    elif name == "replaceTaxRate":
        index = next(i for i, r in enumerate(rates) if r["id"] == action["taxRateId"])
        rates[index] = {**rate, "id": rates[index]["id"]}
    elif name == "addLocation":
        resource.setdefault("locations", []).append(action["location"])
    elif name == "removeLocation":
        resource["locations"].remove(action["location"])
    else:
        return False
    return True


def _enum_type(field_type: dict[str, Any]) -> dict[str, Any]:
    while field_type.get("name") in ("Set", "set"):
        field_type = field_type["elementType"]
    return field_type


def _definitions(resource: dict[str, Any], action: dict[str, Any], ctx: KeyContext) -> bool:
    """Field definitions of Types and attribute definitions of product types."""
    name = action["action"]
    if not ("Definition" in name or "Attribute" in name or "fieldName" in action or "attributeName" in action):
        return False
    list_field = "fieldDefinitions" if "fieldDefinitions" in resource or "fieldDefinition" in action else "attributes"
    items = resource.setdefault(list_field, [])
    if name in ("addFieldDefinition", "addAttributeDefinition"):
        items.append(ctx.by_id(action.get("fieldDefinition") or action.get("attribute")))
        return True
    if name in ("removeFieldDefinition", "removeAttributeDefinition"):
        gone = action.get("fieldName") or action.get("name")
        resource[list_field] = [d for d in items if d["name"] != gone]
        return True
    if name in ("changeFieldDefinitionOrder", "changeAttributeOrderByName"):
        by_name = {d["name"]: d for d in items}
        order = action.get("fieldNames") or action["attributeNames"]
        assert sorted(order) == sorted(by_name), "the order must list every definition"
        resource[list_field] = [by_name[n] for n in order]
        return True
    target = action.get("fieldName") or action.get("attributeName")
    if target is None:
        return False
    definition = next(d for d in items if d["name"] == target)
    props = {
        "changeLabel": ("label", "label"),
        "changeInputHint": ("inputHint", "inputHint" if "fieldName" in action else "newValue"),
        "setInputTip": ("inputTip", "inputTip"),
        "changeIsSearchable": ("isSearchable", "isSearchable"),
        "changeAttributeConstraint": ("attributeConstraint", "newValue"),
    }
    if name in props:
        prop, param = props[name]
        _set(definition, prop, action.get(param))
        return True
    enum = _enum_type(definition["type"])
    values = enum.setdefault("values", [])
    if name in ("addEnumValue", "addLocalizedEnumValue", "addPlainEnumValue"):
        values.append(action["value"])
    elif name == "removeEnumValues":
        enum["values"] = [v for v in values if v["key"] not in action["keys"]]
    elif name.endswith("EnumValueOrder"):
        keys = action.get("keys") or [v["key"] for v in action["values"]]
        by_key = {v["key"]: v for v in values}
        assert sorted(keys) == sorted(by_key), "the order must list every enum value"
        enum["values"] = [by_key[k] for k in keys]
    elif name.endswith("EnumValueLabel"):
        new = action.get("value") or action["newValue"]
        next(v for v in values if v["key"] == new["key"])["label"] = new["label"]
    else:
        return False
    return True


def _customer(resource: dict[str, Any], action: dict[str, Any], ctx: KeyContext) -> bool:
    """Addresses (ids assigned by the API) and the address id lists, by key as the builders send them."""
    name = action["action"]
    if "Address" not in name and name != "setAuthenticationMode":
        return False
    addresses = resource.setdefault("addresses", [])
    id_of = {a.get("key"): a["id"] for a in addresses}
    if name == "addAddress":
        addresses.append({**action["address"], "id": f"addr-{next(_ids)}"})
    elif name == "removeAddress":
        gone = id_of.get(action.get("addressKey"), action.get("addressId"))
        resource["addresses"] = [a for a in addresses if a["id"] != gone]
        for field in ("shippingAddressIds", "billingAddressIds"):
            resource[field] = [i for i in resource.get(field, []) if i != gone]
        for field in ("defaultShippingAddressId", "defaultBillingAddressId"):
            if resource.get(field) == gone:
                resource.pop(field)
    elif name == "changeAddress":
        index = next(i for i, a in enumerate(addresses) if a.get("key") == action["addressKey"])
        addresses[index] = {**action["address"], "id": addresses[index]["id"]}
    elif name in ("addShippingAddressId", "addBillingAddressId"):
        field = "shippingAddressIds" if "Shipping" in name else "billingAddressIds"
        resource.setdefault(field, []).append(id_of[action["addressKey"]])
    elif name in ("removeShippingAddressId", "removeBillingAddressId"):
        field = "shippingAddressIds" if "Shipping" in name else "billingAddressIds"
        resource[field].remove(id_of[action["addressKey"]])
    elif name in ("setDefaultShippingAddress", "setDefaultBillingAddress"):
        kind = "Shipping" if "Shipping" in name else "Billing"
        if "addressKey" not in action:
            resource.pop(f"default{kind}AddressId", None)
            return True
        address_id = id_of[action["addressKey"]]
        resource[f"default{kind}AddressId"] = address_id
        ids = resource.setdefault(f"{kind.lower()}AddressIds", [])
        if address_id not in ids:  # CustomerSetDefaultShippingAddressAction.raml: added if not contained
            ids.append(address_id)
    elif name == "setAuthenticationMode":
        resource["authenticationMode"] = action["authMode"]
    else:
        return False
    return True


def _stock_and_prices(resource: dict[str, Any], action: dict[str, Any], ctx: KeyContext) -> bool:
    name = action["action"]
    if name == "changeQuantity":
        resource["quantityOnStock"] = action["quantity"]
        resource["availableQuantity"] = action["quantity"]
    elif name == "setInventoryLimits":
        for field in ("minCartQuantity", "maxCartQuantity"):
            _set(resource, field, action.get(field))
    elif name == "changeValue":
        resource["value"] = {**action["value"], "type": "centPrecision", "fractionDigits": 2}
    elif name == "setValidFromAndUntil":
        _set(resource, "validFrom", action.get("validFrom"))
        _set(resource, "validUntil", action.get("validUntil"))
    elif name == "setPriceTiers":
        _set(resource, "tiers", action.get("tiers") or None)
    elif name == "setDiscountedPrice":
        _set(resource, "discounted", action.get("discounted"))
    elif name == "createOrUpdate":
        resource.update(action["draft"])
        resource["version"] = resource.get("version", 0) + 1
    else:
        return False
    return True


def _generic_set(resource: dict[str, Any], action: dict[str, Any], ctx: KeyContext) -> bool:
    """``setFoo``/``changeFoo`` with the one parameter ``foo`` (or none: removed) sets the field ``foo``."""
    name = action["action"]
    for prefix in ("set", "change"):
        if name.startswith(prefix) and len(name) > len(prefix):
            rest = name[len(prefix) :]
            field = rest[0].lower() + rest[1:]
            params = set(action) - {"action"}
            if params <= {field}:
                _set(resource, field, ctx.by_id(action.get(field)))
                return True
    return False


Rule = Callable[[dict[str, Any], dict[str, Any], KeyContext], bool]
RULES: list[Rule] = [_asset, _lists, _definitions, _customer, _stock_and_prices, _generic_set]


def apply_actions(current: dict[str, Any], actions: list[dict[str, Any]], ctx: KeyContext) -> dict[str, Any]:
    """``current`` after ``actions``, as commercetools would store it."""
    resource = copy.deepcopy(current)
    for action in actions:
        name = action["action"]
        if "masterData" in resource or "masterVariant" in resource:
            apply_product_action(resource, action, ctx, _asset)
        elif name in SIMPLE:
            field, param = SIMPLE[name]
            _set(resource, field, ctx.by_id(action.get(param)))
        elif _custom(resource, action, ctx, name) if name in ("setCustomType", "setCustomField") else False:
            pass
        elif not any(rule(resource, action, ctx) for rule in RULES):
            raise AssertionError(f"the test model does not know the action {action!r}")
    return resource
