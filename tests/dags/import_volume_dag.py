"""25,000 products through one stable container per task, twice: polling, and deferred to the triggerer.

Items from a JSON Lines file (param ``products``); each task's container is its default one
(``<dag>-<task>-product``), reused by every run of the DAG.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator

with DAG(
    "import_volume_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"products": "", "output_dir": "/tmp/import_volume_dag"},
):
    for deferrable in (False, True):
        CommercetoolsImportOperator(
            task_id="import_deferred" if deferrable else "import_polling",
            resource_type="product",
            items="{{ params.products }}",
            output_path="{{ params.output_dir }}/" + ("deferred" if deferrable else "polling") + ".jsonl",
            poll_interval=0.05,
            max_workers=8,
            on_error="skip",
            deferrable=deferrable,
        )
