"""Bulk update from a CSV file: stock levels (inventory entries) set from an ERP export.

The CSV has the columns ``sku`` and ``quantity``. The DAG exports the current inventory entries,
joins them with the CSV by SKU, and sends one ``changeQuantity`` update per entry whose quantity
differs (and a create for a SKU that has no entry yet), 8 at a time. ``on_conflict="retry"``
re-sends an update that met a concurrent change (409) with the current version: the stock level
from the ERP is the truth, so overwriting is what we want here. Results and failures go to JSON Lines
files; the items travel as a file too, so a CSV of a million rows never passes through XCom.

Connection: ``commercetools_default`` (``manage_products`` covers inventory).
"""

from __future__ import annotations

import csv
import datetime
from typing import Any

from airflow_provider_commercetools.commercetools.files import open_text, read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

WORK_DIR = "{{ params.work_dir }}/{{ run_id | replace(':', '_') }}"


def read_stock_csv(location: str) -> dict[str, int]:
    """``{sku: quantity}`` from the CSV; a bad row fails naming its line."""
    stock: dict[str, int] = {}
    with open_text("csv_path", location, "r") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                stock[row["sku"].strip()] = int(row["quantity"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(
                    f"{location} line {line}: expected columns sku,quantity with a whole number, got {row}"
                ) from None
    return stock


with DAG(
    dag_id="example_commercetools_bulk_stock_update",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"csv_path": "/tmp/commercetools/stock.csv", "work_dir": "/tmp/commercetools/stock"},
    tags=["commercetools", "example"],
    doc_md=__doc__,
):
    inventory = CommercetoolsSubscriberOperator(
        task_id="read_inventory", entity="inventory", output_path=WORK_DIR + "/inventory.jsonl"
    )

    @task
    def build_updates(inventory: dict[str, Any], params: dict | None = None) -> str:
        """Write the update items as JSON Lines and return the file's path."""
        stock = read_stock_csv(params["csv_path"])
        items_path = inventory["path"].rsplit("/", 1)[0] + "/items.jsonl"
        seen: set[str] = set()
        with write_json_lines("items", items_path) as items:
            for entry in read_json_lines("inventory", inventory["path"]):
                sku = entry.get("sku")
                if sku not in stock:
                    continue
                seen.add(sku)
                if entry.get("quantityOnStock") != stock[sku]:
                    actions = [{"action": "changeQuantity", "quantity": stock[sku]}]
                    items.write(
                        {"path": {"id": entry["id"]}, "payload": {"version": entry["version"], "actions": actions}}
                    )
            for sku in sorted(set(stock) - seen):
                items.write({"payload": {"sku": sku, "quantityOnStock": stock[sku]}})
        print(f"{items.count} stock changes for {len(stock)} SKUs in the CSV")
        return items_path

    CommercetoolsPublisherOperator(
        task_id="update_stock",
        method="POST",
        entity="inventory",
        items=build_updates(inventory.output),
        max_workers=8,
        on_conflict="retry",
        on_error="continue",
        output_path=WORK_DIR + "/results.jsonl",
    )
