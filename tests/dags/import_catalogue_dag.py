"""Products imported before their categories: unresolved, then imported once the categories arrive.

The products task polls (unresolved counts as pending for half a second, then it reports them); the
categories task and the sensor on the products container wait deferred, in the triggerer.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator
from airflow_provider_commercetools.sensors.imports import CommercetoolsImportSensor

with DAG(
    "import_catalogue_dag",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1),
    catchup=False,
    params={"products": "", "categories": "", "output_dir": "/tmp/import_catalogue_dag", "tag": "t"},
):
    products = CommercetoolsImportOperator(
        task_id="import_products",
        resource_type="product",
        items="{{ params.products }}",
        container_key="products-{{ params.tag }}",
        output_path="{{ params.output_dir }}/products.jsonl",
        unresolved_timeout=0.5,
        poll_interval=0.05,
        max_workers=8,
        on_error="skip",
    )
    categories = CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="categories",
        items="{{ params.categories }}",
        container_key="categories-{{ params.tag }}",
        output_path="{{ params.output_dir }}/categories.jsonl",
        poll_interval=0.05,
        deferrable=True,
    )
    wait = CommercetoolsImportSensor(
        task_id="wait_for_products",
        container_key="products-{{ params.tag }}",
        poke_interval=0.05,
        timeout=60,
        deferrable=True,
    )
    products >> categories >> wait
