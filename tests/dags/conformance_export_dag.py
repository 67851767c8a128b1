"""Conformance (emulator): export a whole collection to JSON Lines, then publish from an exported file.

``export_all`` streams every category to a file with keyset paging; ``export_some`` reads the
categories matching ``params.where`` to a second file, a ``@task`` turns each into a custom object,
and the publisher upserts them. Run by tests/conformance against @labdigital/commercetools-mock.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "conformance_export_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"output_dir": "/tmp/conformance_export_dag", "where": 'key >= "c19990"', "container": "exported"},
):
    CommercetoolsSubscriberOperator(
        task_id="export_all",
        entity="categories",
        output_path="{{ params.output_dir }}/categories.jsonl",
    )

    some = CommercetoolsSubscriberOperator(
        task_id="export_some",
        entity="categories",
        query={"where": "{{ params.where }}"},
        output_path="{{ params.output_dir }}/some.jsonl",
        page_size=4,
    )

    @task
    def to_custom_objects(result: dict, params=None) -> list[dict]:
        return [
            {"container": params["container"], "key": c["key"], "value": {"id": c["id"], "version": c["version"]}}
            for c in read_json_lines("path", result["path"])
        ]

    CommercetoolsPublisherOperator(
        task_id="publish",
        entity="custom-objects",
        items=to_custom_objects(some.output),
        max_workers=4,
    )
