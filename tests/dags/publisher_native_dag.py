"""render_template_as_native_obj=True: templates render to dicts and lists, not strings."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "publisher_native_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={"path": {"key": "native"}, "version": 1},
):

    @task
    def make_items() -> list:
        return [{"key": "native", "name": {"en": "n"}}, {"key": "native-2"}]

    create = CommercetoolsPublisherOperator(
        task_id="create",
        entity="products",
        items="{{ ti.xcom_pull(task_ids='make_items') }}",
    )
    update = CommercetoolsPublisherOperator(
        task_id="update",
        entity="products",
        path="{{ params.path }}",
        payload={"version": "{{ params.version }}", "actions": [{"action": "setDescription", "description": "d"}]},
    )
    make_items() >> create >> update
