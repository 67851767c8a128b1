"""Customer groups, channels, tax categories, zones and states: small resources other ones reference.

Update actions from api-specs/api/types/<customer-group|channel|tax-category|zone|state>/updates/.
What a draft that leaves a field out means, per field, is in docs/sync-fields.md; the defaults the API
fills in are from the drafts' RAML (``ChannelDraft.roles`` defaults to ``["InventorySupply"]``,
``StateDraft.initial`` to ``true``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import sets_equal, values_equal
from airflow_provider_commercetools.commercetools.writing.sync.actions.custom import custom_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange, SyncType

Actions = list[dict[str, Any]]
Groups = frozenset[str] | None


def _with_custom(rows: tuple[Field, ...]) -> Any:
    """A builder of a field table plus custom fields."""

    def build(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
        actions = field_actions(rows, draft, current, ctx, groups)
        if wanted(groups, "custom"):
            actions += custom_actions(draft.get("custom"), current.get("custom"), ctx)
        return actions

    return build


# CustomerGroupDraft.groupName is the CustomerGroup's name (CustomerGroupChangeNameAction.name).
CUSTOMER_GROUP_FIELDS = (Field("groupName", "changeName", param="name", group="name", unset=False, current="name"),)

CUSTOMER_GROUPS = SyncType(
    name="customer-groups",
    entity="customer-groups",
    match=("key",),
    references={"custom.type": "type"},
    field_groups=("name", "custom"),
    build_actions=_with_custom(CUSTOMER_GROUP_FIELDS),
)

# changeName and changeDescription need a value: a channel's name or description is not removed.
CHANNEL_FIELDS = (
    Field("name", "changeName", unset=False),
    Field("description", "changeDescription", unset=False),
    Field("roles", "setRoles", default=["InventorySupply"], as_set=True),
    Field("address", "setAddress"),
    Field("geoLocation", "setGeoLocation"),
)

CHANNELS = SyncType(
    name="channels",
    entity="channels",
    match=("key",),
    references={"custom.type": "type", "address.custom.type": "type"},
    field_groups=(*(f.group_name for f in CHANNEL_FIELDS), "custom"),
    build_actions=_with_custom(CHANNEL_FIELDS),
)


def _rate_identity(rate: Mapping[str, Any]) -> tuple[str, ...]:
    if rate.get("key"):
        return ("key", str(rate["key"]))
    return ("country", str(rate.get("country")), str(rate.get("state") or ""))


def _desired_rate(rate: Mapping[str, Any]) -> dict[str, Any]:
    """A TaxRateDraft as the TaxRate it becomes: ``amount`` is the sub-rates' sum when left out (TaxRate.raml)."""
    desired = dict(rate)
    if "amount" not in desired:
        desired["amount"] = round(sum(float(s.get("amount", 0)) for s in rate.get("subRates") or []), 12)
    return desired


def _rate_equal(want: Mapping[str, Any], have: Mapping[str, Any], ctx: BuildContext) -> bool:
    fields = ("name", "amount", "includedInPrice", "country", "state", "key")
    want = _desired_rate(want)
    return all(values_equal(want.get(f), have.get(f), ctx) for f in fields) and sets_equal(
        want.get("subRates"), have.get("subRates"), ctx
    )


def _tax_category_actions(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
    actions = field_actions(TAX_CATEGORY_FIELDS, draft, current, ctx, groups)
    if not wanted(groups, "rates"):
        return actions
    want: dict[tuple[str, ...], dict[str, Any]] = {}
    for index, rate in enumerate(draft.get("rates") or []):
        identity = _rate_identity(rate)
        if identity in want:
            raise RefusedChange(
                "tax-categories",
                f"rates[{index}]",
                f"two rates have the same {identity[0]} {identity[1:]}.",
                "Give each rate a unique key, or a unique country and state.",
            )
        want[identity] = {k: v for k, v in rate.items() if v is not None}
    have_by_id: dict[tuple[str, ...], Mapping[str, Any]] = {}
    for rate in current.get("rates") or []:
        have_by_id[_rate_identity(rate)] = rate
        # a rate created without a key is matched by country and state by a draft rate without one
    for identity, rate in have_by_id.items():
        if identity not in want:
            actions.append({"action": "removeTaxRate", "taxRateId": rate.get("id")})
    for identity, rate in want.items():
        have = have_by_id.get(identity)
        if have is None:
            actions.append({"action": "addTaxRate", "taxRate": rate})
        elif not _rate_equal(rate, have, ctx):
            actions.append({"action": "replaceTaxRate", "taxRateId": have.get("id"), "taxRate": rate})
    return actions


TAX_CATEGORY_FIELDS = (Field("name", "changeName", unset=False), Field("description", "setDescription"))

TAX_CATEGORIES = SyncType(
    name="tax-categories",
    entity="tax-categories",
    match=("key",),
    references={},
    field_groups=("name", "description", "rates"),
    build_actions=_tax_category_actions,
)


def _location(location: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in location.items() if v is not None}


def _zone_actions(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
    actions = field_actions(ZONE_FIELDS, draft, current, ctx, groups)
    if wanted(groups, "locations"):
        want = [_location(loc) for loc in draft.get("locations") or []]
        have = [_location(loc) for loc in current.get("locations") or []]
        actions += [{"action": "removeLocation", "location": loc} for loc in have if loc not in want]
        actions += [{"action": "addLocation", "location": loc} for loc in want if loc not in have]
    return actions


ZONE_FIELDS = (Field("name", "changeName", unset=False), Field("description", "setDescription"))

ZONES = SyncType(
    name="zones",
    entity="zones",
    match=("key",),
    references={},
    field_groups=("name", "description", "locations"),
    build_actions=_zone_actions,
)

STATE_FIELDS = (
    Field("type", "changeType", unset=False),
    Field("name", "setName"),
    Field("description", "setDescription"),
    Field("initial", "changeInitial", default=True),
    Field("roles", "setRoles", as_set=True),
)


def _state_actions(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
    actions = field_actions(STATE_FIELDS, draft, current, ctx, groups)
    if wanted(groups, "transitions"):
        # StateDraft.transitions: absent allows every transition, [] none (a final State): not the same.
        want, have = draft.get("transitions"), current.get("transitions")
        if (want is None) != (have is None) or not sets_equal(want, have, ctx):
            action: dict[str, Any] = {"action": "setTransitions"}
            if want is not None:
                action["transitions"] = want
            actions.append(action)
    return actions


STATES = SyncType(
    name="states",
    entity="states",
    match=("key",),
    references={"transitions.*": "state"},
    field_groups=(*(f.group_name for f in STATE_FIELDS), "transitions"),
    build_actions=_state_actions,
)

# Stores (asked for in sync-java #463): every list is a set; a product selection's ``active``
# defaults to false (ProductSelectionSettingDraft.raml). ``storefront`` (URL settings) is not synced.
STORE_FIELDS = (
    Field("name", "setName"),
    Field("languages", "setLanguages", as_set=True),
    Field("countries", "setCountries", as_set=True),
    Field("distributionChannels", "setDistributionChannels", as_set=True),
    Field("supplyChannels", "setSupplyChannels", as_set=True),
)


def _selections(items: Any) -> list[dict[str, Any]]:
    return [{"productSelection": i.get("productSelection"), "active": bool(i.get("active"))} for i in items or []]


def _store_actions(draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: Groups) -> Actions:
    actions = field_actions(STORE_FIELDS, draft, current, ctx, groups)
    if wanted(groups, "productSelections"):
        want = _selections(draft.get("productSelections"))
        if not sets_equal(want, _selections(current.get("productSelections")), ctx):
            action: dict[str, Any] = {"action": "setProductSelections"}
            if want:
                action["productSelections"] = draft.get("productSelections")
            actions.append(action)
    if wanted(groups, "custom"):
        actions += custom_actions(draft.get("custom"), current.get("custom"), ctx)
    return actions


STORES = SyncType(
    name="stores",
    entity="stores",
    match=("key",),
    references={
        "distributionChannels.*": "channel",
        "supplyChannels.*": "channel",
        "productSelections.*.productSelection": "product-selection",
        "custom.type": "type",
    },
    field_groups=(*(f.group_name for f in STORE_FIELDS), "productSelections", "custom"),
    build_actions=_store_actions,
)
