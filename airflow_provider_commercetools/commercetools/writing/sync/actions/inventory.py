"""Inventory entries, matched by sku and supply channel (api-specs/api/types/inventory/updates/).

``quantityOnStock`` is set with ``changeQuantity`` (the available quantity follows, less
reservations); ``minCartQuantity``/``maxCartQuantity`` together with ``setInventoryLimits``. The
supply channel is part of the match, so it is never changed.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import values_equal
from airflow_provider_commercetools.commercetools.writing.sync.actions.custom import custom_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, SyncType

FIELDS = (
    Field("quantityOnStock", "changeQuantity", param="quantity", unset=False),
    Field("restockableInDays", "setRestockableInDays"),
    Field("expectedDelivery", "setExpectedDelivery"),
    Field("reservationExpirationInMinutes", "setReservationExpirationInMinutes"),
    Field("key", "setKey"),
)


def build_actions(
    draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: frozenset[str] | None
) -> list[dict[str, Any]]:
    """The update actions that make an inventory entry match its draft."""
    actions = field_actions(FIELDS, draft, current, ctx, groups)
    if wanted(groups, "limits"):
        limits = ("minCartQuantity", "maxCartQuantity")
        if not all(values_equal(draft.get(f), current.get(f), ctx) for f in limits):
            actions.append(
                {"action": "setInventoryLimits", **{f: draft[f] for f in limits if draft.get(f) is not None}}
            )
    if wanted(groups, "custom"):
        actions += custom_actions(draft.get("custom"), current.get("custom"), ctx, resource_type="inventory")
    return actions


INVENTORY = SyncType(
    name="inventory",
    entity="inventory",
    match=("sku", "supplyChannel"),
    references={"supplyChannel": "channel", "custom.type": "type"},
    field_groups=(*(f.group_name for f in FIELDS), "limits", "custom"),
    build_actions=build_actions,
)
