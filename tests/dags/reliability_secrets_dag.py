"""Reliability suite: a run that logs every request, retries, re-grants a token and fails on a request.

Run by tests/reliability/test_secrets.py through an executor, so that Airflow writes task log files;
the test then searches them, the XComs and the exception texts for the client secret and every token.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)


def record_failure(context: Any) -> None:
    """on_failure_callback: keep the exception that failed the task, for the test to read."""
    target = context["params"].get("error_file")
    if target:
        error = context.get("exception")
        Path(target).write_text(json.dumps({"type": type(error).__name__, "message": str(error)}))


with DAG(
    "reliability_secrets_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"error_file": ""},
):
    export = CommercetoolsSubscriberOperator(task_id="export_products", entity="products", page_size=5)
    publish = CommercetoolsPublisherOperator(
        task_id="publish_products",
        entity="products",
        items=[
            {"key": "new-1", "name": {"en": "New 1"}},
            {"key": "new-2", "name": {"en": "New 2"}},
            # fails (404): its error is kept in the XCom summary
            {"path": {"key": "missing"}, "payload": {"version": 1, "actions": [{"action": "setKey", "key": "x"}]}},
        ],
        on_error="skip",
    )
    read_missing = CommercetoolsSubscriberOperator(
        task_id="read_missing",
        entity="products",
        path={"key": "missing"},
        on_failure_callback=record_failure,
    )
    export >> publish >> read_missing
