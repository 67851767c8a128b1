"""Update actions in the fake: the spec's actions per resource, each applied as the spec says or refused.

For a resource the spec list covers (``spec_actions.json``, see spec_actions.py) an action is one of:

- **not an action of the resource** in the spec (a typo, ``changeSlug`` on customers): refused with
  400 ``InvalidJsonInput``, as commercetools refuses a body that does not match its types (the exact
  ``detailedErrorMessage`` is our choice: the spec and docs do not give it);
- **handled**: an explicit handler (action_handlers.py, definition_actions.py, product_actions.py),
  each citing the action's RAML file;
- **generic**: ``set<X>``/``change<X>`` whose only property is ``x`` and the resource has a field
  ``x`` (checked against the spec's names): the field is set (a ``set`` without a value removes it);
- **not modelled**: every other action of the spec: refused with 400 ``InvalidOperation`` "the fake
  does not model action ...", so a test never passes on an effect the fake would get wrong.

A refused action refuses the whole update: nothing is written (commercetools applies the actions of
one update all or nothing). Updates of a resource the list does not cover are refused the same way.
"""

from __future__ import annotations

from typing import Any, Literal

from airflow_provider_commercetools.testing.fake import action_handlers as h
from airflow_provider_commercetools.testing.fake.action_support import Handler, invalid_operation, set_field
from airflow_provider_commercetools.testing.fake.definition_actions import PRODUCT_TYPES, TYPES
from airflow_provider_commercetools.testing.fake.http import bad_request, invalid_json
from airflow_provider_commercetools.testing.fake.product_actions import PRODUCTS
from airflow_provider_commercetools.testing.fake.spec_actions import resource_actions
from airflow_provider_commercetools.testing.fake.store import SYSTEM_FIELDS

_INVENTORY: dict[str, Handler] = {
    "addQuantity": h.quantity("add"),
    "removeQuantity": h.quantity("remove"),
    "changeQuantity": h.quantity("change"),
    "setInventoryLimits": h.set_inventory_limits,
}
_STANDALONE_PRICES: dict[str, Handler] = {
    "setValidFromAndUntil": h.set_valid_from_and_until,
    "setPriceTiers": h.set_price_tiers,
    "setDiscountedPrice": h.set_discounted_price,
    "addPriceTier": h.add_price_tier,
    "removePriceTier": h.remove_price_tier,
    "changeValue": h.change_price_value,
}
_CUSTOMERS: dict[str, Handler] = {
    "addAddress": h.add_address,
    "changeAddress": h.change_address,
    "removeAddress": h.remove_address,
    "addShippingAddressId": h.address_ids("shippingAddressIds", add=True),
    "removeShippingAddressId": h.address_ids("shippingAddressIds", add=False),
    "addBillingAddressId": h.address_ids("billingAddressIds", add=True),
    "removeBillingAddressId": h.address_ids("billingAddressIds", add=False),
    "setDefaultShippingAddress": h.default_address("defaultShippingAddressId", "shippingAddressIds"),
    "setDefaultBillingAddress": h.default_address("defaultBillingAddressId", "billingAddressIds"),
    "setAuthenticationMode": h.set_authentication_mode,
    "addStore": h.store_action(add=True),
    "removeStore": h.store_action(add=False),
}
_ROLES: dict[str, Handler] = {
    "addRoles": h.to_list("roles", "roles", add=True, many=True),
    "removeRoles": h.to_list("roles", "roles", add=False, many=True),
}
_STORES: dict[str, Handler] = {
    "addCountry": h.to_list("countries", "country", add=True),
    "removeCountry": h.to_list("countries", "country", add=False),
    "addDistributionChannel": h.to_list("distributionChannels", "distributionChannel", add=True),
    "removeDistributionChannel": h.to_list("distributionChannels", "distributionChannel", add=False),
    "addSupplyChannel": h.to_list("supplyChannels", "supplyChannel", add=True),
    "removeSupplyChannel": h.to_list("supplyChannels", "supplyChannel", add=False),
    "addProductSelection": h.product_selection("add"),
    "removeProductSelection": h.product_selection("remove"),
    "changeProductSelectionActive": h.product_selection("change"),
    "setProductSelections": h.set_product_selections,
}

#: resource -> action -> handler (besides setCustomType / setCustomField, for every resource with them)
HANDLERS: dict[str, dict[str, Handler]] = {
    "inventory": _INVENTORY,
    "standalone-prices": _STANDALONE_PRICES,
    "customers": _CUSTOMERS,
    "channels": _ROLES,
    "states": _ROLES,
    "stores": _STORES,
    "tax-categories": {
        "addTaxRate": h.add_tax_rate,
        "removeTaxRate": h.remove_tax_rate,
        "replaceTaxRate": h.replace_tax_rate,
    },
    "zones": {
        "addLocation": h.to_list("locations", "location", add=True),
        "removeLocation": h.to_list("locations", "location", add=False),
    },
    "categories": h.CATEGORY_ASSETS,
    "orders": {"setCustomerEmail": h.set_customer_email},
    "types": TYPES,
    "product-types": PRODUCT_TYPES,
    "products": PRODUCTS,
}

Kind = Literal["unknown", "handled", "generic", "not modelled"]


def handler_for(resource: str, name: str) -> Handler | None:
    """The explicit handler of ``name`` on ``resource``, if it has one (and the spec has the action)."""
    spec = resource_actions(resource)
    if spec is None or name not in spec.actions:
        return None
    return HANDLERS.get(resource, {}).get(name) or h.COMMON.get(name)


def kind_of(resource: str, name: str) -> Kind:
    """How the fake treats the action ``name`` on ``resource`` (see the module's docstring)."""
    spec = resource_actions(resource)
    if spec is None or name not in spec.actions:
        return "unknown"
    if handler_for(resource, name) is not None:
        return "handled"
    if (field := spec.generic_field(name)) is not None and field not in SYSTEM_FIELDS:
        return "generic"
    return "not modelled"


def apply_action(resource: str, entity: dict[str, Any], action: Any, index: int) -> None:
    """Apply one update action to ``entity`` (a private copy) or raise the 400 that refuses the update."""
    if not isinstance(action, dict) or not isinstance(action.get("action"), str) or not action["action"]:
        raise invalid_json(f"actions[{index}] -> action: Missing required value (the update action's name).")
    name: str = action["action"]
    spec = resource_actions(resource)
    if spec is None:
        raise bad_request(
            "InvalidOperation",
            f"the fake does not model update actions of '{resource}' (spec_actions.json lists the resources it does).",
        )
    kind = kind_of(resource, name)
    if kind == "unknown":
        raise invalid_json(
            f"actions[{index}] -> action: '{name}' is not an update action of {resource} "
            f"(the spec's are in {spec.update_action})."
        )
    if kind == "handled":
        handler = handler_for(resource, name)
        assert handler is not None
        try:
            handler(entity, action, index)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError):
            # a value of another JSON type than the spec's (an address that is a string, ...)
            raise invalid_json(
                f"actions[{index}]: the values of '{name}' do not have the types of the spec "
                f"(the actions of {spec.update_action})."
            ) from None
    elif kind == "generic":
        field = spec.generic_field(name)
        assert field is not None
        if name.startswith("change") and action.get(field) is None:
            raise invalid_json(f"actions[{index}] -> {field}: Missing required value.")
        set_field(entity, field, action.get(field))
    else:
        raise invalid_operation(
            index,
            f"the fake does not model action '{name}' of {resource}; test it against commercetools "
            "or the emulator (docs/testing.md lists what the fake models).",
        )
