"""A publish and an export whose worker is lost mid-way (the test kills the worker's whole process tree),
retried by Airflow on another worker.

``publish_customers`` creates 300 customers in the ``commercetools_loss`` project, half of them with a
``key`` (a retry can look those up) and half without (a retry cannot tell whether one was created),
with its results on object storage (``params.output_base``): its journal there is what a retry on
another worker reads back. ``export_products`` (after the publish, whatever its outcome) exports that
project's products, page by page, to one file on object storage. Both have ``retries=2`` and a short
``retry_delay``: a lost worker's task is failed by the scheduler once its heartbeat is older than
``[scheduler] task_instance_heartbeat_timeout``, then retried.
"""

from __future__ import annotations

import datetime

from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]

CUSTOMERS = 300
RUN_DIR = "{{ params.output_base }}/{{ run_id | replace(':', '_') }}"


def draft(i: int) -> dict[str, str]:
    """Customer ``i``: even ones have a key, odd ones only their email."""
    keyed = {"key": f"loss-{i:03d}"} if i % 2 == 0 else {}
    return {**keyed, "email": f"loss-{i:03d}@example.com", "firstName": f"Customer {i}"}


RETRIES = {"retries": 2, "retry_delay": datetime.timedelta(seconds=1)}

with DAG(
    dag_id="cluster_worker_loss",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_base": "s3://aws_default@commercetools/worker-loss"},
    tags=["commercetools", "cluster"],
    doc_md=__doc__,
):
    publish = CommercetoolsPublisherOperator(
        task_id="publish_customers",
        commercetools_conn_id="commercetools_loss",
        method="POST",
        entity="customers",
        items=[draft(i) for i in range(CUSTOMERS)],
        max_workers=4,
        on_error="continue",
        output_path=RUN_DIR + "/customers.jsonl",
        **RETRIES,
    )
    export = CommercetoolsSubscriberOperator(
        task_id="export_products",
        commercetools_conn_id="commercetools_loss",
        entity="products",
        page_size=100,
        output_path=RUN_DIR + "/products.jsonl",
        trigger_rule="all_done",
        **RETRIES,
    )
    publish >> export
