"""Incremental export to a JSON Lines file (window = the data interval); a downstream task reads it."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "subscriber_file_dag",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_dir": "/tmp/subscriber_file_dag"},
):
    export = CommercetoolsSubscriberOperator(
        task_id="export_products",
        entity="products",
        modified_since="{{ data_interval_start }}",
        modified_until="{{ data_interval_end }}",
        output_path="{{ params.output_dir }}/products-{{ ds }}.jsonl",
        page_size=7,
    )

    @task
    def read_file(result: dict, data_interval_start=None, data_interval_end=None) -> dict:
        ids = [entity["id"] for entity in read_json_lines("path", result["path"])]
        return {
            "result": result,
            "ids": ids,
            "start": data_interval_start.isoformat(),
            "end": data_interval_end.isoformat(),
        }

    read_file(export.output)
