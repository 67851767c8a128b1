"""Subscriber -> downstream @task through XCom, with templated entity, path and query."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "subscriber_xcom_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"entity": "categories", "color": "red", "key": "c1"},
):
    collection = CommercetoolsSubscriberOperator(
        task_id="read_categories",
        entity="{{ params.entity }}",
        query={"where": ['color = "{{ params.color }}"'], "sort": "id asc"},
        page_size=3,
    )
    one = CommercetoolsSubscriberOperator(
        task_id="read_one",
        entity="{{ params.entity }}",
        path={"key": "{{ params.key }}"},
    )

    @task
    def summarise(entities: list[dict], entity: dict) -> dict:
        return {"keys": sorted(e["key"] for e in entities), "one": entity["key"]}

    summarise(collection.output, one.output)
