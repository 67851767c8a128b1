"""Templated publisher fields from upstream XCom: an XComArg, and plain Jinja strings holding JSON."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "publisher_templates_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"key": "from-params"},
):

    @task
    def make_draft() -> dict:
        return {"key": "from-xcomarg", "name": {"en": "XComArg"}}

    @task
    def make_items() -> list:
        return [{"payload": {"key": f"from-jinja-{i}", "name": {"en": "ü"}}} for i in range(3)]

    drafts = make_draft()
    items = make_items()
    create_from_xcomarg = CommercetoolsPublisherOperator(
        task_id="create_from_xcomarg", entity="products", payload=drafts
    )
    create_from_jinja = CommercetoolsPublisherOperator(
        task_id="create_from_jinja",
        entity="products",
        items='{{ ti.xcom_pull(task_ids="make_items") | tojson }}',
        query='{"expand": "productType"}',
    )
    items >> create_from_jinja
    update_by_jinja_path = CommercetoolsPublisherOperator(
        task_id="update_by_jinja_path",
        entity="products",
        path='{"key": "{{ ti.xcom_pull(task_ids="make_draft")["key"] }}"}',
        payload={"actions": [{"action": "setDescription", "description": "{{ params.key }}"}]},
        on_conflict="latest",
    )
    create_from_xcomarg >> update_by_jinja_path
