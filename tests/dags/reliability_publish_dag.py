"""Reliability suite: publish a batch of drafts from a JSON Lines file, through a faulty server.

A re-run sets ``params.items_file`` to the failures file of the run before (not ``params.items``: Jinja
would find the dict's method). The task's exception, if any, is written to ``params.error_file`` (the
text a user reads in the UI).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator


def record_failure(context: Any) -> None:
    """on_failure_callback: keep the exception that failed the task, for the test to read."""
    target = context["params"].get("error_file")
    if target:
        error = context.get("exception")
        Path(target).write_text(json.dumps({"type": type(error).__name__, "message": str(error)}))


with DAG(
    "reliability_publish_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={
        "items_file": "/tmp/reliability_publish/items.jsonl",
        "output_path": "/tmp/reliability_publish/results.jsonl",
        "error_file": "",
    },
):
    CommercetoolsPublisherOperator(
        task_id="publish_products",
        entity="products",
        items="{{ params.items_file }}",
        output_path="{{ params.output_path }}",
        max_workers=8,
        on_error="continue",
        on_failure_callback=record_failure,
    )
