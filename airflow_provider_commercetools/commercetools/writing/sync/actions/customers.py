"""Customers: fields, addresses by key, default and shipping/billing addresses, group, stores, custom.

Actions from api-specs/api/types/customer/updates/. A CustomerDraft names its default and
shipping/billing addresses by index into ``addresses``; the Customer by address id. Both become
address keys here, so every draft address needs a ``key`` (refused otherwise: it could not be
matched, and would be removed and re-added on every run). ``setDefaultShippingAddress`` also adds the
address to ``shippingAddressIds`` (CustomerSetDefaultShippingAddressAction.raml), so the desired
shipping addresses include the default one (billing alike).

Never compared nor sent in an update: ``password`` (commercetools does not return it; it is only
part of a create, and :attr:`SyncType.secret_fields` names it so plans and logs leave it out) and
``isEmailVerified`` (no update action sets it; verification is a token flow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import values_equal
from airflow_provider_commercetools.commercetools.writing.sync.actions.custom import custom_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange, SyncType

Actions = list[dict[str, Any]]

FIELDS = (
    Field("email", "changeEmail", unset=False),
    Field("firstName", "setFirstName"),
    Field("lastName", "setLastName"),
    Field("middleName", "setMiddleName"),
    Field("title", "setTitle"),
    Field("salutation", "setSalutation"),
    Field("dateOfBirth", "setDateOfBirth"),
    Field("companyName", "setCompanyName"),
    Field("vatId", "setVatId"),
    Field("externalId", "setExternalId"),
    Field("locale", "setLocale"),
    Field("customerGroup", "setCustomerGroup"),
    Field("customerGroupAssignments", "setCustomerGroupAssignments", as_set=True, unset=False),
    Field("stores", "setStores", as_set=True, unset=False),
)


def _draft_addresses(draft: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    keyed: dict[str, Mapping[str, Any]] = {}
    for index, address in enumerate(draft.get("addresses") or []):
        key = address.get("key")
        if not key or key in keyed:
            raise RefusedChange(
                "customers",
                f"addresses[{index}]",
                "has no key." if not key else f"repeats the key {key!r}.",
                "Give every address a unique key: addresses are matched by key.",
            )
        keyed[str(key)] = address
    return keyed


def _key_at(draft: Mapping[str, Any], field: str, index: Any, keys: list[str]) -> str:
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(keys):
        raise RefusedChange(
            "customers", field, f"{index!r} is not an index of the draft's addresses.", "Give an index into addresses."
        )
    return keys[index]


def _address_actions(draft: Mapping[str, Any], current: Mapping[str, Any], ctx: BuildContext) -> Actions:
    want = _draft_addresses(draft)
    keys = list(want)
    have_list = list(current.get("addresses") or [])
    have = {a.get("key"): a for a in have_list if a.get("key")}
    key_by_id = {a.get("id"): a.get("key") for a in have_list}
    actions: Actions = []
    for address in have_list:
        if address.get("key") not in want:
            ref = {"addressKey": address["key"]} if address.get("key") else {"addressId": address.get("id")}
            actions.append({"action": "removeAddress", **ref})
    for key, address in want.items():
        if key not in have:
            actions.append({"action": "addAddress", "address": dict(address)})
        elif not values_equal({**address, "id": None}, {**have[key], "id": None}, ctx):
            actions.append({"action": "changeAddress", "addressKey": key, "address": dict(address)})
    for kind, Kind in (("shipping", "Shipping"), ("billing", "Billing")):
        default_index = draft.get(f"default{Kind}Address")
        default = None if default_index is None else _key_at(draft, f"default{Kind}Address", default_index, keys)
        wanted_keys = {_key_at(draft, f"{kind}Addresses", i, keys) for i in draft.get(f"{kind}Addresses") or []}
        if default is not None:
            wanted_keys.add(default)
        have_keys = {key_by_id.get(i) for i in current.get(f"{kind}AddressIds") or []}
        for key in sorted(k for k in have_keys if k in want and k not in wanted_keys):
            actions.append({"action": f"remove{Kind}AddressId", "addressKey": key})
        for key in sorted(wanted_keys - have_keys):
            if key != default:
                actions.append({"action": f"add{Kind}AddressId", "addressKey": key})
        have_default = key_by_id.get(current.get(f"default{Kind}AddressId"))
        if default != have_default and not (default is None and have_default not in want):
            action: dict[str, Any] = {"action": f"setDefault{Kind}Address"}
            if default is not None:
                action["addressKey"] = default
            actions.append(action)
    return actions


def build_actions(
    draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: frozenset[str] | None
) -> Actions:
    """The update actions that make a customer match its draft (never its password)."""
    if wanted(groups, "customerNumber") and draft.get("customerNumber") != current.get("customerNumber"):
        if current.get("customerNumber") is not None:
            raise RefusedChange(
                "customers",
                "customerNumber",
                f"is {current.get('customerNumber')!r}; a customer number cannot be changed once set.",
                "Keep the current number in the draft.",
            )
        if draft.get("customerNumber") is not None:
            actions: Actions = [{"action": "setCustomerNumber", "customerNumber": draft["customerNumber"]}]
        else:
            actions = []
    else:
        actions = []
    actions += field_actions(FIELDS, draft, current, ctx, groups)
    if wanted(groups, "authenticationMode"):
        want_mode = draft.get("authenticationMode") or "Password"
        have_mode = current.get("authenticationMode") or "Password"
        if want_mode != have_mode:
            if want_mode == "Password":
                raise RefusedChange(
                    "customers",
                    "authenticationMode",
                    "changing to 'Password' needs the customer's new password, which a sync does not send.",
                    "Set it with a setAuthenticationMode request of its own.",
                )
            actions.append({"action": "setAuthenticationMode", "authMode": want_mode})
    if wanted(groups, "addresses"):
        actions += _address_actions(draft, current, ctx)
    if wanted(groups, "custom"):
        actions += custom_actions(draft.get("custom"), current.get("custom"), ctx, resource_type="customers")
    return actions


CUSTOMERS = SyncType(
    name="customers",
    entity="customers",
    match=("key",),
    references={
        "customerGroup": "customer-group",
        "customerGroupAssignments.*.customerGroup": "customer-group",
        "stores.*": "store",
        "custom.type": "type",
        "addresses.*.custom.type": "type",
    },
    field_groups=(*(f.group_name for f in FIELDS), "customerNumber", "authenticationMode", "addresses", "custom"),
    build_actions=build_actions,
    secret_fields=("password",),
)
