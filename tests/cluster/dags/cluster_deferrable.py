"""Deferrable tasks on a cluster: they wait in the triggerer, not in a worker slot.

``import_categories`` sends its categories to the Import API from a worker, then defers: the
triggerer polls the container's summary until every operation is processed, and a worker resumes the
task to collect the results (written to ``params.output_base``, object storage). ``wait_for_messages``
looks for ``CustomerCreated`` Messages once, from a worker, then defers: the triggerer polls the
Messages endpoint until one arrives. The triggerer needs the provider installed (it imports the
trigger classes) and the connection (``commercetools_default``, with the Import API's ``import_url``).
"""

from __future__ import annotations

import datetime

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator
from airflow_provider_commercetools.sensors.messages import CommercetoolsMessagesSensor

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]

CATEGORIES = 20
RUN_DIR = "{{ params.output_base }}/{{ run_id | replace(':', '_') }}"

with DAG(
    dag_id="cluster_deferrable",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_base": "s3://aws_default@commercetools/deferrable"},
    tags=["commercetools", "cluster"],
    doc_md=__doc__,
):
    CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="categories",
        items=[
            {"key": f"category-{i}", "name": {"en": f"Category {i}"}, "slug": {"en": f"category-{i}"}}
            for i in range(CATEGORIES)
        ],
        container_key="cluster-categories",
        output_path=RUN_DIR + "/categories.jsonl",
        poll_interval=0.5,
        deferrable=True,
    )
    wait = CommercetoolsMessagesSensor(
        task_id="wait_for_messages",
        message_types=["CustomerCreated"],
        start_from="earliest",
        poke_interval=0.5,
        timeout=120,
        deferrable=True,
    )
    wait >> wait.commit_task()
