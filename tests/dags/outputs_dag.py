"""Exports to a file named in the run's conf: the subscriber (every product) and the deletions of a window.

The output tests run them twice on one ``output_path``: a complete run, then one that fails.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator


def output_dag(dag_id: str, default_path: str) -> DAG:
    """A manual DAG whose run conf gives ``output_path``."""
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    return DAG(dag_id, schedule=None, start_date=start, catchup=False, params={"output_path": default_path})


with output_dag("subscriber_output_dag", "/tmp/subscriber_output_dag/products.jsonl"):
    CommercetoolsSubscriberOperator(
        task_id="export_products", entity="products", output_path="{{ params.output_path }}", page_size=7
    )

with output_dag("deletions_output_dag", "/tmp/deletions_output_dag/deletions.jsonl"):
    CommercetoolsDeletionsOperator(
        task_id="export_deletions",
        entity="products",
        modified_since="2026-12-01T00:00:00Z",
        modified_until="2026-12-02T00:00:00Z",
        output_path="{{ params.output_path }}",
    )
