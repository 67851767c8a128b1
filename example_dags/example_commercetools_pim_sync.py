"""Hourly PIM feed sync: products first, then their standalone prices and stock, sending only what changed.

A PIM (or ERP) drops three JSON Lines files every hour under ``feed_dir`` (local or object storage):
``products.jsonl`` (ProductDrafts: product type, categories, tax category by key; variants with skus),
``prices.jsonl`` (StandalonePriceDrafts with a key and the sku) and ``stock.jsonl`` (InventoryEntryDrafts
by sku and supply channel). Each ``CommercetoolsSyncOperator`` reads its file in chunks, reads the
targets by key in batches, writes ``plan.jsonl`` (what it sends, and why) and sends the creates and the
update actions of what differs; an unchanged feed sends nothing. Prices follow the products (a price
needs its sku), and prices absent from the feed are deleted (``prune``), at most ``max_deletes`` a run:
a truncated feed stops the task before anything is deleted.

Connection: ``commercetools_default`` (``manage_products``, ``manage_inventory``... on the project).
"""

from __future__ import annotations

import datetime

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSyncOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]

FEED = "{{ params.feed_dir }}"
OUTPUT = "{{ params.output_dir }}/{{ run_id | replace(':', '_') }}"

with DAG(
    dag_id="example_commercetools_pim_sync",
    schedule="@hourly",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,
    params={"feed_dir": "/data/pim/latest", "output_dir": "/tmp/commercetools/pim"},
    tags=["commercetools", "example"],
    doc_md=__doc__,
):
    products = CommercetoolsSyncOperator(
        task_id="sync_products",
        resource_type="products",
        drafts=FEED + "/products.jsonl",
        output_path=OUTPUT + "/products",
        max_workers=8,
    )
    prices = CommercetoolsSyncOperator(
        task_id="sync_standalone_prices",
        resource_type="standalone-prices",
        drafts=FEED + "/prices.jsonl",
        output_path=OUTPUT + "/prices",
        prune=True,
        max_deletes=100,
        max_workers=8,
    )
    stock = CommercetoolsSyncOperator(
        task_id="sync_inventory",
        resource_type="inventory",
        drafts=FEED + "/stock.jsonl",
        output_path=OUTPUT + "/inventory",
        max_workers=8,
    )
    products >> [prices, stock]
