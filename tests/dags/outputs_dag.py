"""Exports to a file named in the run's conf: the subscriber (every product) and the deletions of a window.

The output tests run them twice on one ``output_path``: a complete run, then one that fails.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

with DAG(
    "subscriber_output_dag",
    schedule=None,
    start_date=START,
    catchup=False,
    params={"output_path": "/tmp/subscriber_output_dag/products.jsonl"},
):
    CommercetoolsSubscriberOperator(
        task_id="export_products", entity="products", output_path="{{ params.output_path }}", page_size=7
    )

with DAG(
    "deletions_output_dag",
    schedule=None,
    start_date=START,
    catchup=False,
    params={"output_path": "/tmp/deletions_output_dag/deletions.jsonl"},
):
    CommercetoolsDeletionsOperator(
        task_id="export_deletions",
        entity="products",
        modified_since="2026-12-01T00:00:00Z",
        modified_until="2026-12-02T00:00:00Z",
        output_path="{{ params.output_path }}",
    )
