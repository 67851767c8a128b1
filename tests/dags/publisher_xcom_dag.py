"""Subscriber -> @task transform -> publisher, the data passed through XCom."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "publisher_xcom_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"color": "red", "new_color": "crimson"},
):
    read = CommercetoolsSubscriberOperator(
        task_id="read_categories",
        entity="categories",
        query={"where": ['externalId = "{{ params.color }}"']},
        page_size=2,
    )

    @task
    def recolour(categories: list[dict], params=None) -> list[dict]:
        """One update per category read: its id and version, and the action."""
        return [
            {
                "path": {"id": category["id"]},
                "payload": {
                    "version": category["version"],
                    "actions": [{"action": "setExternalId", "externalId": params["new_color"]}],
                },
            }
            for category in categories
        ]

    publish = CommercetoolsPublisherOperator(
        task_id="publish_categories",
        entity="categories",
        items=recolour(read.output),
        max_workers=3,
    )
