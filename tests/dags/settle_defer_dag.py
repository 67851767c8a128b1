"""A windowed export that never sleeps for its window to settle: every wait defers to the triggerer.

``longest_sleep=0`` with ``deferrable=True``: the clock tests run it with a window ending just ahead
of commercetools' clock, so the task can only succeed through Airflow's ``DateTimeTrigger``.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator

#: both tasks read the same window and never sleep for it to settle
WINDOW = {
    "entity": "products",
    "modified_since": "{{ params.since }}",
    "modified_until": "{{ params.until }}",
    "settle": "{{ params.settle }}",
    "deferrable": True,
    "longest_sleep": 0,
}

with DAG(
    "settle_defer_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_dir": "/tmp/settle_defer_dag", "since": "", "until": "", "settle": 2},
):
    CommercetoolsSubscriberOperator(
        task_id="export_products", output_path="{{ params.output_dir }}/products.jsonl", **WINDOW
    )
    CommercetoolsDeletionsOperator(
        task_id="export_deletions", output_path="{{ params.output_dir }}/deleted.jsonl", **WINDOW
    )
