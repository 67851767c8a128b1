"""Incremental export of products and their deletions over short scheduled intervals, on the server's clock.

Both tasks read the data interval with the same ``settle``: the clock tests run consecutive
intervals against a fake whose clock differs from the worker's and whose writes show late.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator

with DAG(
    "incremental_clock_dag",
    schedule=datetime.timedelta(seconds=4),
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_dir": "/tmp/incremental_clock_dag", "settle": 2, "overlap": 0},
):
    CommercetoolsSubscriberOperator(
        task_id="export_products",
        entity="products",
        modified_since="{{ data_interval_start }}",
        modified_until="{{ data_interval_end }}",
        settle="{{ params.settle }}",
        overlap="{{ params.overlap }}",
        output_path="{{ params.output_dir }}/products-{{ data_interval_end.isoformat() }}.jsonl",
    )
    CommercetoolsDeletionsOperator(
        task_id="export_deletions",
        entity="products",
        modified_since="{{ data_interval_start }}",
        modified_until="{{ data_interval_end }}",
        settle="{{ params.settle }}",
        output_path="{{ params.output_dir }}/deleted-{{ data_interval_end.isoformat() }}.jsonl",
    )
