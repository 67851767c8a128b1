"""Properties of the action builders, over every golden draft and seeded random edits of them.

- A resource created from a draft (as the API stores it: references by id, ids and defaults filled
  in) equals the draft: a second run over the same feed plans no action.
- For a random edit of a draft that matches its resource, the actions applied to the resource by the
  test model give one that equals the edited draft (the diff converges in one step), or the change
  is refused with a reason; never an error of another kind.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.writing.compare import is_money, is_reference
from airflow_provider_commercetools.commercetools.writing.sync import RefusedChange, sync_type
from tests.commercetools.writing.sync.model import KeyContext, apply_actions

GOLDEN = Path(__file__).parent / "golden"
_SEED = 20261207


def _golden() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    found = []
    for path in sorted(GOLDEN.glob("*.json")):
        data = json.loads(path.read_text())
        found += [(data, case) for case in data["cases"] if "refused" not in case]
    return found


def _create(type_name: str, body: dict[str, Any], ctx: KeyContext) -> dict[str, Any]:
    """The resource commercetools would store for a create body (the parts the builders read)."""
    created = ctx.by_id(copy.deepcopy(body))
    created.update(id="new-id", version=1)
    counter = iter(range(1, 1000))
    for asset in created.get("assets", []):
        asset["id"] = f"asset-{next(counter)}"
    # the defaults the API fills in (ChannelDraft.raml, StateDraft.raml, StandalonePriceDraft.raml)
    defaults = {
        "channels": ("roles", ["InventorySupply"]),
        "states": ("initial", True),
        "standalone-prices": ("active", True),
    }
    if type_name in defaults:
        field, value = defaults[type_name]
        created.setdefault(field, value)
    if type_name == "customer-groups":
        created["name"] = created.pop("groupName")
    elif type_name == "tax-categories":
        for rate in created.get("rates", []):
            rate["id"] = f"rate-{next(counter)}"
            rate.setdefault("amount", round(sum(s["amount"] for s in rate.get("subRates", [])), 12))
    elif type_name == "customers":
        ids = []
        for address in created.get("addresses", []):
            address["id"] = f"addr-{next(counter)}"
            ids.append(address["id"])
        for kind in ("Shipping", "Billing"):
            index = created.pop(f"default{kind}Address", None)
            if index is not None:
                created[f"default{kind}AddressId"] = ids[index]
            created[f"{kind.lower()}AddressIds"] = [ids[i] for i in created.pop(f"{kind.lower()}Addresses", [])]
    elif type_name == "products":
        return _create_product(created, ctx, counter)
    return created


def _create_product(created: dict[str, Any], ctx: KeyContext, counter: Any) -> dict[str, Any]:
    product = {
        k: created.pop(k) for k in ("id", "version", "key", "productType", "taxCategory", "state") if k in created
    }
    publish = created.pop("publish", False)
    hints = created.pop("categoryOrderHints", None)
    if hints:
        created["categoryOrderHints"] = {ctx.id_of("category", k) or k: v for k, v in hints.items()}
    variants = [created.get("masterVariant"), *created.get("variants", [])]
    for number, variant in enumerate(v for v in variants if v):
        variant["id"] = number + 1
        for price in variant.get("prices", []):
            price["id"] = f"price-{next(counter)}"
        for asset in variant.get("assets", []):
            asset["id"] = f"asset-{next(counter)}"
    product["masterData"] = {
        "staged": created,
        "current": copy.deepcopy(created),
        "published": bool(publish),
        "hasStagedChanges": False,
    }
    return product


@pytest.mark.parametrize(("data", "case"), [pytest.param(d, c, id=f"{d['type']}:{c['name']}") for d, c in _golden()])
def test_a_resource_created_from_a_draft_equals_it(data: dict[str, Any], case: dict[str, Any]) -> None:
    ctx = KeyContext(data.get("refs"))
    sync = sync_type(data["type"])
    created = _create(data["type"], sync.draft_for_create(case["draft"]), ctx)
    assert sync.build_actions(case["draft"], created, ctx, None) == []


def _edit(value: Any, rng: random.Random) -> Any:
    """One random change somewhere inside ``value`` (a leaf changed, an entry dropped, a list reordered),
    keeping the draft one commercetools would accept the shape of."""
    if isinstance(value, dict) and value:
        keys = [k for k in value if k not in ("typeId", "id")]
        if not keys:
            return value
        key = rng.choice(keys)
        # dropping an optional entry keeps the draft valid; a Money, a reference or a required field would not be
        droppable = not (is_money(value) or is_reference(value)) and key not in _REQUIRED
        if droppable and rng.random() < 0.2:
            return {k: v for k, v in value.items() if k != key}
        return {**value, key: _edit(value[key], rng)}
    if isinstance(value, list) and value:
        choice = rng.random()
        if choice < 0.3:
            return list(reversed(value))
        if choice < 0.5:
            return value[:-1]
        index = rng.randrange(len(value))
        return [*value[:index], _edit(value[index], rng), *value[index + 1 :]]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return value


_REQUIRED = frozenset(
    {"name", "key", "sku", "url", "uri", "dimensions", "country", "type", "value", "label", "minimumQuantity"}
)
_EQUAL_CASES = [(d, c) for d, c in _golden() if not c["actions"] and not c.get("groups") and not c.get("options")]


@pytest.mark.parametrize(("data", "case"), [pytest.param(d, c, id=f"{d['type']}:{c['name']}") for d, c in _EQUAL_CASES])
def test_random_edits_converge_in_one_step(data: dict[str, Any], case: dict[str, Any]) -> None:
    rng = random.Random(f"{_SEED}:{data['type']}:{case['name']}")
    sync = sync_type(data["type"])
    converged = refused = 0
    for _ in range(60):
        ctx = KeyContext(data.get("refs"))
        draft = dict(case["draft"])
        for _ in range(rng.randint(1, 3)):
            field = rng.choice([k for k in draft if k not in sync.match])
            draft = {**draft, field: _edit(draft[field], rng)}
        try:
            actions = sync.build_actions(draft, case["current"], ctx, None)
        except RefusedChange:
            refused += 1
            continue
        applied = apply_actions(case["current"], actions, ctx)
        assert sync.build_actions(draft, applied, ctx, None) == [], f"draft {draft!r} after {actions!r}"
        converged += 1
    assert converged >= 5, f"only {converged} of 60 random edits were syncable ({refused} refused)"
