"""One import whose items come from a param: a JSON Lines file, or an earlier run's failures file."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator

with DAG(
    "import_resend_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"source": "", "output": "/tmp/import_resend_dag/results.jsonl", "container": "resend"},
):
    CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="category",
        items="{{ params.source }}",
        container_key="{{ params.container }}",
        output_path="{{ params.output }}",
        unresolved_timeout=0.3,
        poll_interval=0.05,
        on_error="continue",
    )
    CommercetoolsImportOperator(
        task_id="import_categories_deferred",
        resource_type="category",
        items="{{ params.source }}",
        container_key="{{ params.container }}-deferred",
        output_path="{{ params.output }}.deferred.jsonl",
        unresolved_timeout=0.3,
        poll_interval=0.05,
        on_error="continue",
        deferrable=True,
    )
