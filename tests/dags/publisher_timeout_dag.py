"""A publisher task stopped by Airflow's own execution_timeout, then the same task run again.

``publish`` has ``execution_timeout`` of one second (Airflow raises AirflowTaskTimeout in the task, then
calls ``on_kill``); ``publish_again`` has the same items and output_path and no timeout, as Airflow's
retry of the task would run (``trigger_rule="all_done"``: it runs after the failure).
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

with DAG(
    "publisher_timeout_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={
        "items_file": "/tmp/publisher_timeout_dag/drafts.jsonl",
        "output_path": "/tmp/publisher_timeout_dag/out.jsonl",
    },
):
    first = CommercetoolsPublisherOperator(
        task_id="publish",
        entity="products",
        items="{{ params.items_file }}",
        output_path="{{ params.output_path }}",
        max_workers=4,
        execution_timeout=datetime.timedelta(seconds=1),
    )
    again = CommercetoolsPublisherOperator(
        task_id="publish_again",
        entity="products",
        items="{{ params.items_file }}",
        output_path="{{ params.output_path }}",
        max_workers=4,
        trigger_rule="all_done",
    )
    first >> again
