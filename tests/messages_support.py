"""Helpers of the Messages tests: changes applied through the fake's write path, and their Messages."""

from __future__ import annotations

import json
import random
from typing import Any

from airflow_provider_commercetools.testing import FakeCommercetools


def create(ct: FakeCommercetools, resource: str, draft: dict[str, Any]) -> dict[str, Any]:
    """Create through the fake's HTTP API write path (as a POST would, without the socket)."""
    response = ct.project_api.create(resource, json.dumps(draft).encode())
    assert response.status == 201, response.body
    body = json.loads(response.body)
    return body.get("customer", body) if resource == "customers" else body


def update(
    ct: FakeCommercetools, resource: str, entity: dict[str, Any], actions: list[dict[str, Any]]
) -> dict[str, Any]:
    payload = {"version": entity["version"], "actions": actions}
    response = ct.project_api.update(resource, entity["id"], json.dumps(payload).encode())
    assert response.status == 200, response.body
    return json.loads(response.body)


def delete(ct: FakeCommercetools, resource: str, entity: dict[str, Any]) -> None:
    response = ct.project_api.delete(resource, entity["id"], {"version": [str(entity["version"])]})
    assert response.status == 200, response.body


def random_changes(ct: FakeCommercetools, count: int, seed: int = 0) -> dict[str, int]:
    """``count`` writes on orders and products (creates, state/slug changes, deletes); counts by kind."""
    rng = random.Random(seed)
    live: dict[str, list[dict[str, Any]]] = {"orders": [], "products": []}
    kinds = {"created": 0, "updated": 0, "deleted": 0}
    states = ("Open", "Confirmed", "Complete")
    for n in range(count):
        resource = rng.choice(("orders", "products"))
        pool = live[resource]
        roll = rng.random()
        if not pool or roll < 0.5:
            draft = (
                {"orderNumber": f"o-{seed}-{n}", "orderState": "Open"}
                if resource == "orders"
                else {"key": f"p-{seed}-{n}", "slug": {"en": f"p-{seed}-{n}"}}  # slugs are unique per locale
            )
            pool.append(create(ct, resource, draft))
            kinds["created"] += 1
        elif roll < 0.85:
            index = rng.randrange(len(pool))
            entity = pool[index]
            if resource == "orders":
                state = states[(states.index(entity["orderState"]) + 1) % len(states)]
                action = {"action": "changeOrderState", "orderState": state}
            else:
                action = {"action": "changeSlug", "slug": {"en": f"p-{seed}-{n}-new"}}
            pool[index] = update(ct, resource, entity, [action])
            kinds["updated"] += 1
        else:
            delete(ct, resource, pool.pop(rng.randrange(len(pool))))
            kinds["deleted"] += 1
    return kinds
