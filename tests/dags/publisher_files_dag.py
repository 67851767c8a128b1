"""Subscriber -> @task transform -> publisher, the data passed as JSON Lines files (XCom carries paths)."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "publisher_files_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"output_dir": "/tmp/publisher_files_dag"},
):
    export = CommercetoolsSubscriberOperator(
        task_id="export_products",
        entity="products",
        output_path="{{ params.output_dir }}/products.jsonl",
        page_size=4,
    )

    @task
    def to_drafts(exported: dict, params=None) -> dict:
        """Copy every product under a new key: a draft per line, streamed file to file."""
        target = f"{params['output_dir']}/drafts.jsonl"
        with write_json_lines("target", target) as writer:
            for product in read_json_lines("exported", exported["path"]):
                writer.write({"key": f"copy-{product['key']}", "name": product["masterData"]["current"]["name"]})
        return {"path": target, "count": writer.count}

    CommercetoolsPublisherOperator(
        task_id="publish_copies",
        entity="products",
        items=to_drafts(export.output),
        output_path="{{ params.output_dir }}/results.jsonl",
        max_workers=4,
    )
