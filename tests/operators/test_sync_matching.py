"""How the sync matches drafts to targets, in real DAG runs against the fake: products by the sku of any
variant, inventory entries by sku and supply channel, and drafts that cannot be matched or read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow_provider_commercetools.testing import FakeCommercetools
from tests.airflow_runner import xcom_result


def write(path: Path, lines: list[Any]) -> str:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return str(path)


def records(path: Path) -> dict[str, dict[str, Any]]:
    found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {str(r.get("key", r["index"])): r for r in found}


def product(key: str, skus: list[str], name: str, type_id: str) -> dict[str, Any]:
    """A product as commercetools holds it (staged = current)."""
    data = {
        "name": {"en": name},
        "slug": {"en": key},
        "masterVariant": {"id": 1, "sku": skus[0]},
        "variants": [{"id": n, "sku": sku} for n, sku in enumerate(skus[1:], start=2)],
    }
    return {
        "key": key,
        "productType": {"typeId": "product-type", "id": type_id},
        "masterData": {"current": data, "staged": json.loads(json.dumps(data)), "published": True},
    }


def api_posts(ct: FakeCommercetools, prefix: str) -> list[Any]:
    return [r for r in ct.requests if r.method == "POST" and r.path.startswith(f"/{ct.project_key}/{prefix}")]


def test_products_are_matched_by_the_sku_of_any_variant(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    type_id = ct.add("product-types", {"key": "tshirt", "name": "T-shirt", "description": "", "attributes": []})["id"]
    shirt = ct.add("products", product("shirt", ["S-1", "S-2"], "Shirt", type_id))
    ct.add("products", product("other", ["O-1"], "Other", type_id))
    product_type = {"typeId": "product-type", "key": "tshirt"}
    drafts = [
        {  # found by its second variant's sku, though the feed's master variant is new
            "key": "shirt",
            "productType": product_type,
            "name": {"en": "Shirt!"},
            "slug": {"en": "shirt"},
            "masterVariant": {"sku": "S-2"},
        },
        {"productType": product_type, "name": {"en": "No sku"}, "slug": {"en": "no-sku"}, "masterVariant": {}},
    ]
    conf = {"resource_type": "products", "drafts": write(tmp_path / "p.jsonl", drafts), "output_dir": str(tmp_path)}
    ct.reset_log()

    dag_run = run_dag("sync_by_sku_dag", run_conf=conf)

    assert dag_run.state == "success"  # on_error="skip"
    summary = xcom_result(dag_run, "sync")
    assert (summary["updated"], summary["created"], summary["failed"]) == (1, 0, 1)
    (update,) = api_posts(ct, "products/")
    assert update.path.endswith(f"/products/{shirt['id']}")
    actions = update.json()["actions"]
    assert any(a["action"] == "changeName" and a["name"] == {"en": "Shirt!"} for a in actions), actions
    where = [q for r in ct.requests if r.path.endswith("/products") for q in r.query.get("where", [])]
    assert where == ['masterData(staged(masterVariant(sku in ("S-2")) or variants(sku in ("S-2"))))']
    plan = [json.loads(line) for line in (tmp_path / "plan.jsonl").read_text().splitlines()]
    (invalid,) = [line for line in plan if line.get("op") == "invalid"]
    assert invalid["error"] == "drafts[1] has no variant with a 'sku' (match_by='sku')"


def test_inventory_entries_are_matched_by_sku_and_supply_channel(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    warehouse = ct.add("channels", {"key": "warehouse", "roles": ["InventorySupply"]})
    shop = ct.add("channels", {"key": "shop", "roles": ["InventorySupply"]})
    entries = {
        "warehouse": ct.add(
            "inventory",
            {"sku": "S-1", "supplyChannel": {"typeId": "channel", "id": warehouse["id"]}, "quantityOnStock": 5},
        ),
        "shop": ct.add(
            "inventory", {"sku": "S-1", "supplyChannel": {"typeId": "channel", "id": shop["id"]}, "quantityOnStock": 7}
        ),
        "none": ct.add("inventory", {"sku": "S-1", "quantityOnStock": 1}),
    }
    drafts = [
        {"sku": "S-1", "supplyChannel": {"typeId": "channel", "key": "warehouse"}, "quantityOnStock": 10},
        {"sku": "S-1", "supplyChannel": {"typeId": "channel", "key": "shop"}, "quantityOnStock": 7},
        {"sku": "S-1", "quantityOnStock": 1},
    ]
    conf = {"resource_type": "inventory", "drafts": write(tmp_path / "i.jsonl", drafts), "output_dir": str(tmp_path)}
    ct.reset_log()

    dag_run = run_dag("sync_apply_dag", run_conf=conf)

    assert dag_run.state == "success"
    summary = xcom_result(dag_run, "sync")
    assert (summary["updated"], summary["unchanged"], summary["created"]) == (1, 2, 0)
    (update,) = api_posts(ct, "inventory/")
    assert update.path.endswith(f"/inventory/{entries['warehouse']['id']}")
    stock = {e["id"]: e["quantityOnStock"] for e in ct.entities("inventory")}
    assert [stock[entries[k]["id"]] for k in ("warehouse", "shop", "none")] == [10, 7, 1]


def test_a_line_that_is_not_json_and_a_duplicate_are_failed_drafts_and_the_rest_is_applied(
    commercetools_connection, run_dag, tmp_path
):
    ct = commercetools_connection
    good = {"key": "good", "name": {"en": "Good"}, "slug": {"en": "good"}}
    lines = [good, '{"key": "broken", "name": ', {**good, "name": {"en": "Again"}}, "[1, 2]"]
    conf = {"resource_type": "categories", "drafts": write(tmp_path / "c.jsonl", lines), "output_dir": str(tmp_path)}

    dag_run = run_dag("sync_apply_dag", run_conf=conf)

    assert dag_run.state == "failed"  # after applying the good draft
    assert [c["name"] for c in ct.entities("categories")] == [{"en": "Good"}]
    failures = [json.loads(line) for line in (tmp_path / "results.failures.jsonl").read_text().splitlines()]
    messages = {f["index"]: f["error"]["message"] for f in failures}
    assert messages[1].startswith("drafts[1] cannot be read: line 2 of ") and "is not JSON" in messages[1]
    assert messages[2] == "drafts[2] matches the same target as an earlier draft of the feed"
    assert messages[3] == "drafts[3] is not a JSON object but list"
