"""Reliability suite: export a whole collection to a JSON Lines file, through a faulty server.

``params.query`` (native rendering) lets a run resume after a failure (``{"where": 'id > "<last id>"'}``);
the task's exception, if any, is written to ``params.error_file`` (the text a user reads in the UI).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator


def record_failure(context: Any) -> None:
    """on_failure_callback: keep the exception that failed the task, for the test to read."""
    target = context["params"].get("error_file")
    if target:
        error = context.get("exception")
        Path(target).write_text(json.dumps({"type": type(error).__name__, "message": str(error)}))


with DAG(
    "reliability_export_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
    params={"output_path": "/tmp/reliability_export/products.jsonl", "query": {}, "error_file": ""},
):
    CommercetoolsSubscriberOperator(
        task_id="export_products",
        entity="products",
        query="{{ params.query }}",
        output_path="{{ params.output_path }}",
        page_size=100,
        on_failure_callback=record_failure,
    )
