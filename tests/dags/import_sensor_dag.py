"""Imports sent without waiting, then waited for by sensors: one deferred (triggerer), one poking."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator
from airflow_provider_commercetools.sensors.imports import CommercetoolsImportSensor

with DAG(
    "import_sensor_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"tag": "t"},
):
    for mode, deferrable in (("deferred", True), ("poking", False)):
        send = CommercetoolsImportOperator(
            task_id=f"send_{mode}",
            resource_type="inventory",
            items=[{"key": f"stock-{i}", "sku": f"sku-{i}", "quantityOnStock": i} for i in range(25)],
            container_key=f"stock-{mode}-{{{{ params.tag }}}}",
            wait=False,
        )
        wait = CommercetoolsImportSensor(
            task_id=f"wait_{mode}",
            container_key=f"stock-{mode}-{{{{ params.tag }}}}",
            poke_interval=0.05,
            timeout=60,
            mode="poke",
            deferrable=deferrable,
        )
        send >> wait
