"""Prices: standalone prices (matched by key) and the embedded prices of product variants.

Standalone prices (api-specs/api/types/standalone-price/updates/): ``changeValue``, validity,
tiers, discounted price, ``changeActive``, custom fields. What identifies a price (sku, currency,
country, customer group, channel) has no update action: a draft that changes one is refused (the
price would be another one: give it another key).

Embedded prices (api-specs/api/types/product/updates/ProductAddPriceAction.raml, ChangePrice,
RemovePrice) are matched by ``key`` when the draft price has one, else by currency, country,
customer group, channel and validity (the price scope commercetools keeps unique per variant).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import (
    instant,
    is_empty,
    reference_key,
    sets_equal,
    values_equal,
)
from airflow_provider_commercetools.commercetools.writing.sync.actions.custom import custom_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange, SyncType

Actions = list[dict[str, Any]]


def _instant(value: Any) -> str | None:
    if value is None:
        return None
    parsed = instant(str(value))
    return parsed.isoformat() if parsed is not None else str(value)


def price_scope(price: Mapping[str, Any], ctx: BuildContext) -> tuple[Any, ...]:
    """What makes a price unique in a variant: currency, country, customer group, channel, validity."""
    return (
        (price.get("value") or {}).get("currencyCode"),
        price.get("country"),
        reference_key(price.get("customerGroup"), ctx),
        reference_key(price.get("channel"), ctx),
        _instant(price.get("validFrom")),
        _instant(price.get("validUntil")),
    )


def _tiers_equal(want: Any, have: Any, ctx: BuildContext) -> bool:
    return sets_equal(want, have, ctx)


def prices_equal(want: Mapping[str, Any], have: Mapping[str, Any], ctx: BuildContext) -> bool:
    """An embedded price equals the draft's (scope aside): value, tiers, custom fields, and the key and
    discounted price when the draft gives them (a price keyed elsewhere, or discounted by a product
    discount, is not changed back and forth by a feed that knows neither)."""
    return (
        values_equal(want.get("value"), have.get("value"), ctx)
        and _tiers_equal(want.get("tiers"), have.get("tiers"), ctx)
        and (want.get("key") is None or want.get("key") == have.get("key"))
        and (is_empty(want.get("discounted")) or values_equal(want.get("discounted"), have.get("discounted"), ctx))
        and not custom_actions(want.get("custom"), have.get("custom"), ctx)
    )


def embedded_price_actions(
    draft_prices: list[Mapping[str, Any]] | None,
    current_prices: list[Mapping[str, Any]] | None,
    ctx: BuildContext,
    variant: Mapping[str, Any],
    staged: bool,
) -> Actions:
    """removePrice / changePrice / addPrice for one variant (``variant``: its ``sku`` or ``variantId``)."""
    have = list(current_prices or [])
    matched: dict[int, Mapping[str, Any]] = {}
    unmatched: list[Mapping[str, Any]] = []
    for price in draft_prices or []:
        pos = _find(have, matched, lambda c, p=price: p.get("key") is not None and c.get("key") == p.get("key"))
        if pos is None:
            unmatched.append(price)
        else:
            matched[pos] = price
    added: list[Mapping[str, Any]] = []
    for price in unmatched:
        scope = price_scope(price, ctx)

        def same_scope(candidate: Mapping[str, Any], price: Mapping[str, Any] = price, scope: Any = scope) -> bool:
            keys_allow = candidate.get("key") is None or price.get("key") is None
            return keys_allow and price_scope(candidate, ctx) == scope

        pos = _find(have, matched, same_scope)
        if pos is None:
            added.append(price)
        else:
            matched[pos] = price
    actions: Actions = []
    for pos, candidate in enumerate(have):
        if pos not in matched:
            actions.append({"action": "removePrice", "priceId": candidate.get("id"), "staged": staged})
    for pos, price in sorted(matched.items()):
        if not prices_equal(price, have[pos], ctx) or price_scope(price, ctx) != price_scope(have[pos], ctx):
            change = {"action": "changePrice", "priceId": have[pos].get("id"), "price": dict(price)}
            actions.append({**change, "staged": staged})
    for price in added:
        actions.append({"action": "addPrice", **variant, "price": dict(price), "staged": staged})
    return actions


def _find(have: list[Mapping[str, Any]], taken: Mapping[int, Any], test: Any) -> int | None:
    for pos, candidate in enumerate(have):
        if pos not in taken and test(candidate):
            return pos
    return None


STANDALONE_FIELDS = (
    Field("value", "changeValue", unset=False),
    Field("active", "changeActive", default=True),
    Field("discounted", "setDiscountedPrice", unset=False),
)
_IDENTITY = ("sku", "country", "customerGroup", "channel")


def _standalone_actions(
    draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: frozenset[str] | None
) -> Actions:
    for name in _IDENTITY:
        if not values_equal(draft.get(name), current.get(name), ctx):
            raise RefusedChange(
                "standalone-prices",
                name,
                f"differs from the price's ({current.get(name)!r}); no update action changes it.",
                "Give the price another key (and let prune remove the old one).",
            )
    currency, have_currency = (
        (draft.get("value") or {}).get("currencyCode"),
        (current.get("value") or {}).get("currencyCode"),
    )
    if currency != have_currency:
        raise RefusedChange(
            "standalone-prices",
            "value.currencyCode",
            f"changes from {have_currency!r} to {currency!r}; a price's currency cannot change.",
            "Give the price another key.",
        )
    actions = field_actions(STANDALONE_FIELDS, draft, current, ctx, groups)
    if wanted(groups, "validity"):
        changed = [f for f in ("validFrom", "validUntil") if not values_equal(draft.get(f), current.get(f), ctx)]
        if len(changed) == 2:
            action = {"action": "setValidFromAndUntil"}
            action.update({f: draft[f] for f in changed if draft.get(f) is not None})
            actions.append(action)
        elif changed:
            name = changed[0]
            single = {"action": f"set{name[0].upper()}{name[1:]}"}
            if draft.get(name) is not None:
                single[name] = draft[name]
            actions.append(single)
    if wanted(groups, "tiers") and not _tiers_equal(draft.get("tiers"), current.get("tiers"), ctx):
        actions.append({"action": "setPriceTiers", "tiers": draft.get("tiers") or []})
    if wanted(groups, "custom"):
        actions += custom_actions(draft.get("custom"), current.get("custom"), ctx, resource_type="standalone-prices")
    return actions


STANDALONE_PRICES = SyncType(
    name="standalone-prices",
    entity="standalone-prices",
    match=("key",),
    references={"customerGroup": "customer-group", "channel": "channel", "custom.type": "type"},
    field_groups=("value", "active", "discounted", "validity", "tiers", "custom"),
    build_actions=_standalone_actions,
)
