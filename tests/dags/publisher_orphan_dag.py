"""One publisher task whose worker is killed under it (tests/reliability/test_orphan.py)."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

with DAG(
    "publisher_orphan_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"items_file": "/tmp/publisher_orphan_dag/drafts.jsonl", "output_path": "/tmp/publisher_orphan_dag/r.jsonl"},
):
    CommercetoolsPublisherOperator(
        task_id="publish",
        entity="products",
        items="{{ params.items_file }}",
        output_path="{{ params.output_path }}",
        on_error="continue",
        max_workers=2,
    )
