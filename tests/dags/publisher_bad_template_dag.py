"""A template that renders to the wrong type: the task fails before any request."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

with DAG(
    "publisher_bad_template_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={"path": ["not", "a", "dict"]},
):
    CommercetoolsPublisherOperator(
        task_id="publish",
        entity="products",
        path="{{ params.path }}",
        payload={"version": 1, "actions": []},
    )
