"""Update actions whose effect is not "set the field the action names": one handler each, per resource.

Each handler does what the action's RAML file says; the files are
``api-specs/api/types/<folder>/updates/<Type><Action>Action.raml`` in
commercetools/commercetools-api-reference at the commit ``spec_actions.json`` names (folder and type
per resource there: e.g. ``customer/updates/CustomerAddAddressAction.raml``). Products are in
``product_actions.py``.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.testing.fake.action_support import (
    Handler,
    add_to_list,
    invalid_operation,
    item_index,
    new_id,
    remove_from_list,
    reorder,
    require,
    require_list,
    set_field,
)
from airflow_provider_commercetools.testing.fake.http import invalid_json
from airflow_provider_commercetools.testing.fake.store import copy_json

# ------------------------------------------------------------------ every resource with Custom Fields


def set_custom_type(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setCustomType``: ``type`` + ``fields`` replace ``custom``; without ``type`` it is removed."""
    if action.get("type") is None:
        entity.pop("custom", None)
    else:
        entity["custom"] = {"type": copy_json(action["type"]), "fields": copy_json(action.get("fields") or {})}


def set_custom_field(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setCustomField``: ``name`` = ``value``; without ``value`` the field is removed, and removing a
    field that does not exist is an ``InvalidOperation`` (the RAML says so). Without a Custom Type set
    the fake answers ``InvalidOperation`` too (the RAML does not say; our choice)."""
    name = require(action, "name", index)
    custom = entity.get("custom")
    if not isinstance(custom, dict) or custom.get("type") is None:
        raise invalid_operation(index, f"setCustomField '{name}' needs a Custom Type set (setCustomType) first.")
    fields = custom.setdefault("fields", {})
    if action.get("value") is None and name not in fields:
        raise invalid_operation(index, f"setCustomField: there is no Custom Field '{name}' to remove.")
    set_field(fields, name, action.get("value"))


COMMON: dict[str, Handler] = {"setCustomType": set_custom_type, "setCustomField": set_custom_field}

# ------------------------------------------------------------------------------ inventory entries


def quantity(kind: str) -> Handler:
    """``addQuantity`` / ``removeQuantity`` / ``changeQuantity``: ``quantityOnStock`` and ``availableQuantity``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        quantity = require(action, "quantity", index)
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise invalid_json(f"actions[{index}] -> quantity: JSON number expected.")
        stock = entity.get("quantityOnStock", 0)
        available = entity.get("availableQuantity", stock)  # the fake's create does not set it
        delta = {"add": quantity, "remove": -quantity, "change": quantity - stock}[kind]
        entity["quantityOnStock"], entity["availableQuantity"] = stock + delta, available + delta

    return handle


def set_inventory_limits(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setInventoryLimits``: ``minCartQuantity`` and ``maxCartQuantity`` (each removed when left out)."""
    set_field(entity, "minCartQuantity", action.get("minCartQuantity"))
    set_field(entity, "maxCartQuantity", action.get("maxCartQuantity"))


# ----------------------------------------------------------------------------- standalone prices


def set_valid_from_and_until(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setValidFromAndUntil``: the two fields ``validFrom`` and ``validUntil``."""
    set_field(entity, "validFrom", action.get("validFrom"))
    set_field(entity, "validUntil", action.get("validUntil"))


def set_price_tiers(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setPriceTiers``: the field is ``tiers``; an empty or missing list removes it."""
    set_field(entity, "tiers", action.get("tiers") or None)


def set_discounted_price(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setDiscountedPrice``: the field is ``discounted``; without a value it is removed."""
    set_field(entity, "discounted", action.get("discounted"))


def add_price_tier(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``addPriceTier``: one more tier; its ``minimumQuantity`` must not be taken."""
    tier = require(action, "tier", index)
    tiers = entity.setdefault("tiers", [])
    if any(t.get("minimumQuantity") == tier.get("minimumQuantity") for t in tiers):
        raise invalid_operation(index, f"a tier with minimumQuantity {tier.get('minimumQuantity')} exists.")
    tiers.append(tier)


def remove_price_tier(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``removePriceTier``: the tier with that ``minimumQuantity``."""
    minimum = require(action, "minimumQuantity", index)
    tiers = entity.get("tiers") or []
    kept = [t for t in tiers if t.get("minimumQuantity") != minimum]
    if len(kept) == len(tiers):
        raise invalid_operation(index, f"no tier with minimumQuantity {minimum}.")
    set_field(entity, "tiers", kept or None)


def change_price_value(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``changeValue``: ``value``; with ``staged: true`` it would write the staged price, not modelled."""
    if action.get("staged"):
        raise invalid_operation(index, "the fake does not model staged standalone prices (changeValue staged).")
    entity["value"] = require(action, "value", index)


# --------------------------------------------------------------------------------------- customers

_ADDRESS = ("addressId", "addressKey")


def _address_id(entity: dict[str, Any], action: dict[str, Any], index: int) -> str:
    addresses = entity.get("addresses") or []
    return str(addresses[item_index(addresses, action, index, _ADDRESS, "address")]["id"])


def add_address(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``addAddress``: appended to ``addresses`` with a new ``id``."""
    address = require(action, "address", index)
    if address.get("key") is not None and any(a.get("key") == address["key"] for a in entity.get("addresses", [])):
        raise invalid_operation(index, f"an address with key '{address['key']}' exists.")
    entity.setdefault("addresses", []).append({**address, "id": new_id()})


def change_address(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``changeAddress``: the address named by ``addressId``/``addressKey`` is replaced, its id kept."""
    address = require(action, "address", index)
    addresses = entity.get("addresses") or []
    position = item_index(addresses, action, index, _ADDRESS, "address")
    addresses[position] = {**address, "id": addresses[position]["id"]}


def remove_address(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``removeAddress``: from ``addresses`` and from the shipping/billing ids and defaults naming it."""
    address_id = _address_id(entity, action, index)
    entity["addresses"] = [a for a in entity["addresses"] if a.get("id") != address_id]
    for field in ("shippingAddressIds", "billingAddressIds"):
        if field in entity:
            remove_from_list(entity, field, [address_id])
    for field in ("defaultShippingAddressId", "defaultBillingAddressId"):
        if entity.get(field) == address_id:
            entity.pop(field)


def address_ids(field: str, add: bool) -> Handler:
    """``add``/``remove`` + ``ShippingAddressId``/``BillingAddressId``: the address's id in ``field``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        address_id = _address_id(entity, action, index)
        if add:
            add_to_list(entity, field, [address_id])
            return
        if address_id not in (entity.get(field) or []):
            raise invalid_operation(index, f"address '{address_id}' is not in {field}.")
        remove_from_list(entity, field, [address_id])
        default = "defaultShippingAddressId" if field == "shippingAddressIds" else "defaultBillingAddressId"
        if entity.get(default) == address_id:
            entity.pop(default)

    return handle


def default_address(field: str, ids: str) -> Handler:
    """``setDefaultShippingAddress``/``setDefaultBillingAddress``: the id (required), also added to the ids list."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        address_id = _address_id(entity, action, index)
        entity[field] = address_id
        add_to_list(entity, ids, [address_id])

    return handle


def set_authentication_mode(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setAuthenticationMode``: ``authMode``; ``Password`` needs ``password``, ``ExternalAuth`` drops it."""
    mode = require(action, "authMode", index)
    if mode not in ("Password", "ExternalAuth"):
        raise invalid_json(f"actions[{index}] -> authMode: one of 'Password', 'ExternalAuth' expected.")
    if mode == "Password":
        require(action, "password", index)  # commercetools stores its hash; the fake stores no password
    else:
        entity.pop("password", None)
    entity["authenticationMode"] = mode


def store_action(add: bool) -> Handler:
    """``addStore`` / ``removeStore``: the store in ``stores``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        (add_to_list if add else remove_from_list)(entity, "stores", [require(action, "store", index)])

    return handle


# ------------------------------------------------------------------------ sets of values, references


def to_list(field: str, prop: str, add: bool, *, many: bool = False) -> Handler:
    """``add<X>``/``remove<X>``: the value of ``prop`` (a list when ``many``) added to / removed from ``field``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        values = require_list(action, prop, index) if many else [require(action, prop, index)]
        if not add and not all(v in (entity.get(field) or []) for v in values):
            raise invalid_operation(index, f"{prop} is not in {field}: {values}.")
        (add_to_list if add else remove_from_list)(entity, field, values)

    return handle


def product_selection(kind: str) -> Handler:
    """Stores' ``addProductSelection`` / ``removeProductSelection`` / ``changeProductSelectionActive``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        selection = require(action, "productSelection", index)
        settings = entity.setdefault("productSelections", [])
        found = [s for s in settings if s.get("productSelection") == selection]
        if kind == "add":
            if found:
                raise invalid_operation(index, "the store has that product selection already.")
            settings.append({"productSelection": selection, "active": bool(action.get("active", False))})
        elif not found:
            raise invalid_operation(index, "the store does not have that product selection.")
        elif kind == "remove":
            settings.remove(found[0])
        else:
            found[0]["active"] = bool(action.get("active", False))

    return handle


def set_product_selections(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """Stores' ``setProductSelections``: settings with ``active`` (default false); none given: an empty list."""
    settings = action.get("productSelections") or []
    entity["productSelections"] = [
        {"productSelection": copy_json(s.get("productSelection")), "active": bool(s.get("active", False))}
        for s in settings
    ]


def set_customer_email(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """Orders' ``setCustomerEmail``: the property is ``email``, the field ``customerEmail`` (removed without it)."""
    set_field(entity, "customerEmail", action.get("email"))


# -------------------------------------------------------------------------------- tax categories


def add_tax_rate(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``addTaxRate``: appended to ``rates`` with a new ``id``."""
    entity.setdefault("rates", []).append({**require(action, "taxRate", index), "id": new_id()})


def remove_tax_rate(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``removeTaxRate``: the rate named by ``taxRateId``/``taxRateKey``."""
    rates = entity.get("rates") or []
    rates.pop(item_index(rates, action, index, ("taxRateId", "taxRateKey"), "tax rate"))


def replace_tax_rate(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``replaceTaxRate``: the rate named by ``taxRateId``/``taxRateKey`` replaced by ``taxRate`` (its id kept)."""
    rate = require(action, "taxRate", index)
    rates = entity.get("rates") or []
    position = item_index(rates, action, index, ("taxRateId", "taxRateKey"), "tax rate")
    rates[position] = {**rate, "id": rates[position]["id"]}


# -------------------------------------------------------------------------------- category assets

_ASSET = ("assetId", "assetKey")


def add_asset(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``addAsset``: inserted at ``position`` (default: the end) with a new ``id``."""
    asset = {**require(action, "asset", index), "id": new_id()}
    assets = entity.setdefault("assets", [])
    position = action.get("position")
    assets.insert(len(assets) if position is None else int(position), asset)


def remove_asset(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    assets = entity.get("assets") or []
    assets.pop(item_index(assets, action, index, _ASSET, "asset"))


def _asset_field(field: str, prop: str, required: bool) -> Handler:
    """``changeAssetName`` / ``setAssetDescription`` / ``setAssetSources`` / ``setAssetTags`` / ``setAssetKey``."""

    def handle(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
        assets = entity.get("assets") or []
        asset = assets[item_index(assets, action, index, _ASSET, "asset")]
        set_field(asset, field, require(action, prop, index) if required else action.get(prop))

    return handle


def set_asset_key(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``setAssetKey``: the asset named by ``assetId`` gets ``assetKey`` (removed when left out)."""
    assets = entity.get("assets") or []
    asset = assets[item_index(assets, {"assetId": require(action, "assetId", index)}, index, _ASSET, "asset")]
    set_field(asset, "key", action.get("assetKey"))


def change_asset_order(entity: dict[str, Any], action: dict[str, Any], index: int) -> None:
    """``changeAssetOrder``: ``assetOrder`` lists every asset id in the new order."""
    order = require_list(action, "assetOrder", index)
    entity["assets"] = reorder(entity.get("assets") or [], order, lambda a: a.get("id"), index, "asset id")


CATEGORY_ASSETS: dict[str, Handler] = {
    "addAsset": add_asset,
    "removeAsset": remove_asset,
    "changeAssetOrder": change_asset_order,
    "changeAssetName": _asset_field("name", "name", True),
    "setAssetDescription": _asset_field("description", "description", False),
    "setAssetSources": _asset_field("sources", "sources", True),
    "setAssetTags": _asset_field("tags", "tags", False),
    "setAssetKey": set_asset_key,
}
