"""One collection exported by N mapped tasks, one id partition each; a downstream task merges the files."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

PARTS = 4

with DAG(
    "subscriber_mapped_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"output_dir": "/tmp/subscriber_mapped_dag"},
):
    export = CommercetoolsSubscriberOperator.partial(
        task_id="export_part",
        entity="customers",
        output_path="{{ params.output_dir }}/part-{{ ti.map_index }}.jsonl",
        page_size=50,
    ).expand(partition=CommercetoolsSubscriberOperator.partitions(PARTS))

    @task
    def merge(results) -> dict:
        results = sorted(results, key=lambda r: r["path"])
        return {
            "results": results,
            "ids": [[entity["id"] for entity in read_json_lines("path", r["path"])] for r in results],
        }

    merge(export.output)
