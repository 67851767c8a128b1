"""Re-running an earlier run's failures file (the README's advice to finish a batch): one publisher task."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

with DAG(
    "publisher_converge_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={
        "items_file": "/tmp/publisher_converge_dag/failures.jsonl",
        "output_path": "/tmp/publisher_converge_dag/r.jsonl",
        "resend_unknown": False,
    },
):
    CommercetoolsPublisherOperator(
        task_id="publish_again",
        entity="categories",
        items="{{ params.items_file }}",
        output_path="{{ params.output_path }}",
        on_error="continue",
        resend_unknown="{{ params.resend_unknown }}",
        max_workers=2,
    )
