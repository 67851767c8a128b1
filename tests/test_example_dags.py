"""Every example DAG run for real with dag.test() against the fake commercetools server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.airflow_runner import load_dag, xcom_result
from tests.messages_support import create, delete

EXAMPLES = Path(__file__).parents[1] / "example_dags"
UTC = dt.timezone.utc


def test_example_dags_load(airflow_db):
    ids = {
        "example_commercetools_incremental_export",
        "example_commercetools_project_copy",
        "example_commercetools_bulk_stock_update",
        "example_commercetools_partitioned_export",
        "example_commercetools_order_sync",
        "example_commercetools_pim_sync",
    }
    for dag_id in ids:
        assert load_dag(dag_id, EXAMPLES).doc_md


def test_incremental_export_reads_exactly_the_interval(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    messages = FakeMessages(ct)
    stamps = [
        f"2026-11-27T{hour:02d}:{minute}.000Z" if minute != "59:59.999" else f"2026-11-27T{hour:02d}:59:59.999Z"
        for hour in (8, 9, 10, 11)
        for minute in ("00:00", "30:00", "59:59.999")
    ]
    seeded = {
        entity: {ct.add(entity, {"key": f"{entity}-{i}", "lastModifiedAt": t})["id"]: t for i, t in enumerate(stamps)}
        for entity in ("products", "orders")
    }
    # Deletions (through the fake's write path, which produces ProductDeleted / OrderDeleted Messages)
    # stamped at the same instants: the export must list exactly those inside the interval.
    deleted: dict[str, dict[str, str]] = {"products": {}, "orders": {}}
    for entity in ("products", "orders"):
        for i, t in enumerate(stamps):
            messages.freeze_clock(t)
            gone = create(ct, entity, {"key": f"gone-{entity}-{i}"})
            delete(ct, entity, gone)
            deleted[entity][gone["id"]] = t
    messages.freeze_clock(None)
    dag_run = run_dag(
        "example_commercetools_incremental_export",
        folder=EXAMPLES,
        logical_date=dt.datetime(2026, 11, 27, 10, tzinfo=UTC),
        run_conf={"output_base": str(tmp_path)},
    )
    assert dag_run.state == "success"
    start, end = dag_run.data_interval_start, dag_run.data_interval_end
    assert end - start == dt.timedelta(hours=1)
    iso = "%Y-%m-%dT%H:%M:%S.000Z"
    for entity in ("products", "orders"):
        expected = {i for i, t in seeded[entity].items() if start.strftime(iso) <= t < end.strftime(iso)}
        assert len(expected) == 3  # the start, the middle and the last millisecond; not the end
        path = tmp_path / entity / f"{start.strftime('%Y%m%dT%H%M%S')}.jsonl"
        assert {e["id"] for e in read_json_lines("path", str(path))} == expected
        assert xcom_result(dag_run, f"export_{entity}") == {"path": str(path), "count": 3, "pages": 1}
        gone = {i for i, t in deleted[entity].items() if start.strftime(iso) <= t < end.strftime(iso)}
        assert len(gone) == 3
        deleted_path = tmp_path / entity / f"{start.strftime('%Y%m%dT%H%M%S')}.deleted.jsonl"
        records = list(read_json_lines("path", str(deleted_path)))
        assert {r["id"] for r in records} == gone
        assert all(r["version"] == 1 and r["key"].startswith("gone-") for r in records)
        assert xcom_result(dag_run, f"export_{entity}_deletions") == {"path": str(deleted_path), "count": 3}


def test_partitioned_export_reads_the_collection_exactly_once(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ids = ct.add_many("customers", ({"email": f"c{i}@example.com"} for i in range(3000)))
    dag_run = run_dag(
        "example_commercetools_partitioned_export", folder=EXAMPLES, run_conf={"output_base": str(tmp_path)}
    )
    assert dag_run.state == "success"
    result = xcom_result(dag_run, "write_manifest")
    manifest = json.loads(Path(result["manifest"]).read_text())
    assert manifest["count"] == result["count"] == 3000
    assert len(manifest["parts"]) == 8
    exported = [e["id"] for part in manifest["parts"] for e in read_json_lines("part", part["path"])]
    assert sorted(exported) == sorted(ids)
    assert all(part["count"] > 0 for part in manifest["parts"])


@pytest.fixture
def two_projects(monkeypatch):
    with FakeCommercetools(project_key="project-a") as source, FakeCommercetools(project_key="project-b") as target:
        monkeypatch.setenv("AIRFLOW_CONN_COMMERCETOOLS_SOURCE", connection_json(source))
        monkeypatch.setenv("AIRFLOW_CONN_COMMERCETOOLS_TARGET", connection_json(target))
        yield source, target


def test_project_copy_creates_and_updates_by_key(two_projects, run_dag, tmp_path):
    source, target = two_projects
    root = source.add("categories", {"key": "root", "name": {"en": "All"}, "slug": {"en": "all"}})
    ref = {"typeId": "category", "id": root["id"]}
    anc = [ref]
    source.add(
        "categories",
        {"key": "shoes", "name": {"en": "Shoes"}, "slug": {"en": "shoes"}, "parent": ref, "ancestors": anc},
    )
    source.add(
        "categories", {"key": "hats", "name": {"en": "Hats"}, "slug": {"en": "hats"}, "parent": ref, "ancestors": anc}
    )
    source.add("categories", {"name": {"en": "No key"}, "slug": {"en": "no-key"}})
    stale = target.add("categories", {"key": "hats", "name": {"en": "Caps"}, "slug": {"en": "hats"}})
    same = target.add("categories", {"key": "root", "name": {"en": "All"}, "slug": {"en": "all"}})

    dag_run = run_dag("example_commercetools_project_copy", folder=EXAMPLES, run_conf={"work_dir": str(tmp_path)})
    assert dag_run.state == "success"
    by_key = {c["key"]: c for c in target.entities("categories")}
    assert set(by_key) == {"root", "shoes", "hats"}
    # the draft's parent by key, stored by id as commercetools stores it
    assert by_key["shoes"]["parent"] == {"typeId": "category", "id": same["id"]}
    assert by_key["hats"]["parent"] == {"typeId": "category", "id": same["id"]}
    assert by_key["hats"]["name"] == {"en": "Hats"} and by_key["hats"]["version"] == stale["version"] + 1
    assert by_key["root"]["version"] == same["version"]  # identical: not touched
    summary = xcom_result(dag_run, "sync_to_target")
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "failed", "missing_references")} == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "failed": 0,
        "missing_references": 0,
    }
    assert summary["actions"] == {"changeName": 1, "changeParent": 1} and summary["requests"]["write"] == 2
    records = {r["key"]: r["status"] for r in read_json_lines("results", summary["output_path"])}
    assert records == {"root": "skipped", "shoes": "succeeded", "hats": "succeeded"}

    again = run_dag("example_commercetools_project_copy", folder=EXAMPLES, run_conf={"work_dir": str(tmp_path)})
    assert again.state == "success"
    second = xcom_result(again, "sync_to_target")
    assert (second["unchanged"], second["requests"]["write"]) == (3, 0)  # nothing differs any more


def pim_feed(folder: Path, shirt_name: str, price: int, stock: int) -> None:
    """An hour's PIM export: products, standalone prices, stock."""
    folder.mkdir(parents=True, exist_ok=True)
    product_type = {"typeId": "product-type", "key": "tshirt"}
    products = [
        {
            "key": f"shirt-{i}",
            "productType": product_type,
            "name": {"en": shirt_name if i == 0 else f"Shirt {i}"},
            "slug": {"en": f"shirt-{i}"},
            "masterVariant": {"sku": f"SHIRT-{i}", "key": f"shirt-{i}-m"},
        }
        for i in range(3)
    ]
    prices = [
        {"key": f"price-{i}", "sku": f"SHIRT-{i}", "value": {"currencyCode": "EUR", "centAmount": price + i}}
        for i in range(3)
    ]
    channel = {"typeId": "channel", "key": "warehouse"}
    stock_lines = [{"sku": f"SHIRT-{i}", "supplyChannel": channel, "quantityOnStock": stock + i} for i in range(3)]
    for name, lines in (("products", products), ("prices", prices), ("stock", stock_lines)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_pim_sync_products_then_prices_and_stock_and_an_unchanged_feed_sends_nothing(
    commercetools_connection, run_dag, tmp_path
):
    ct = commercetools_connection
    ct.add("product-types", {"key": "tshirt", "name": "T-shirt", "description": "", "attributes": []})
    ct.add("channels", {"key": "warehouse", "roles": ["InventorySupply"]})
    ct.add("standalone-prices", {"key": "price-old", "sku": "GONE", "value": {"currencyCode": "EUR", "centAmount": 1}})
    conf = {"feed_dir": str(tmp_path / "feed1"), "output_dir": str(tmp_path / "out")}
    pim_feed(tmp_path / "feed1", "Shirt 0", price=1000, stock=5)

    first = run_dag("example_commercetools_pim_sync", folder=EXAMPLES, run_conf=conf)

    assert first.state == "success"
    assert xcom_result(first, "sync_products")["created"] == 3
    prices = xcom_result(first, "sync_standalone_prices")
    assert (prices["created"], prices["deleted"]) == (3, 1)  # price-old is absent from the feed: pruned
    assert xcom_result(first, "sync_inventory")["created"] == 3
    assert sorted(p["key"] for p in ct.entities("standalone-prices")) == ["price-0", "price-1", "price-2"]
    assert {e["sku"]: e["quantityOnStock"] for e in ct.entities("inventory")} == {
        "SHIRT-0": 5,
        "SHIRT-1": 6,
        "SHIRT-2": 7,
    }

    # the next hour: one product renamed, every price and stock level changed
    pim_feed(tmp_path / "feed2", "Shirt zero", price=2000, stock=50)
    second = run_dag(
        "example_commercetools_pim_sync", folder=EXAMPLES, run_conf={**conf, "feed_dir": str(tmp_path / "feed2")}
    )

    assert second.state == "success"
    products = xcom_result(second, "sync_products")
    assert (products["updated"], products["unchanged"], products["actions"]) == (1, 2, {"changeName": 1})
    # (the fake does not fill a standalone price's default active=true, so the sync also sends changeActive)
    assert xcom_result(second, "sync_standalone_prices")["actions"]["changeValue"] == 3
    assert xcom_result(second, "sync_inventory")["updated"] == 3
    assert {e["sku"]: e["quantityOnStock"] for e in ct.entities("inventory")} == {
        "SHIRT-0": 50,
        "SHIRT-1": 51,
        "SHIRT-2": 52,
    }

    # the same feed again: three tasks, no write
    third = run_dag(
        "example_commercetools_pim_sync", folder=EXAMPLES, run_conf={**conf, "feed_dir": str(tmp_path / "feed2")}
    )
    assert third.state == "success"
    for task_id in ("sync_products", "sync_standalone_prices", "sync_inventory"):
        summary = xcom_result(third, task_id)
        assert summary["requests"]["write"] == 0 and summary["created"] == summary["updated"] == 0, task_id


def test_bulk_stock_update_from_csv(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    entries = {f"SKU-{i}": ct.add("inventory", {"sku": f"SKU-{i}", "quantityOnStock": 10}) for i in range(40)}
    stock = {sku: (10 if i % 4 == 0 else 100 + i) for i, sku in enumerate(entries)}  # 10 unchanged, 30 changed
    stock.update({f"NEW-{i}": i for i in range(5)})
    csv_path = tmp_path / "stock.csv"
    csv_path.write_text("sku,quantity\n" + "".join(f"{sku},{q}\n" for sku, q in stock.items()))

    dag_run = run_dag(
        "example_commercetools_bulk_stock_update",
        folder=EXAMPLES,
        run_conf={"csv_path": str(csv_path), "work_dir": str(tmp_path / "work")},
    )
    assert dag_run.state == "success"
    on_server = {e["sku"]: e for e in ct.entities("inventory")}
    assert {sku: e["quantityOnStock"] for sku, e in on_server.items()} == stock
    for sku in entries:
        assert on_server[sku]["version"] == (1 if stock[sku] == 10 else 2), sku
    summary = xcom_result(dag_run, "update_stock")
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (35, 35, 0)
