"""An import whose first try gives up waiting (its operations still processing) and whose retry
reconnects to the operations the first try created (the journal: Airflow 3.3+'s task state store, or
the file beside ``output_path``), sending nothing again."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator

with DAG(
    "import_retry_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"output": "", "journal_file": True},
):
    CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="category",
        items=[{"key": f"c{i}", "name": {"en": f"C{i}"}, "slug": {"en": f"c{i}"}} for i in range(100)],
        output_path="{{ params.output if params.journal_file else '' }}",
        timeout=1.0,
        poll_interval=0.05,
        retries=1,
        retry_delay=datetime.timedelta(seconds=0),
    )
