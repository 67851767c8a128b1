"""Import resources handed over by an upstream task (XComArg), waiting by polling, results in XCom."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG("import_xcom_dag", schedule=None, start_date=datetime.datetime(2026, 1, 1), catchup=False):

    @task
    def prices() -> list[dict]:
        return [
            {
                "key": f"price-{i}",
                "value": {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 100 + i},
                "product": {"typeId": "product", "key": "shirt"},
                "productVariant": {"typeId": "product-variant", "key": "shirt-m"},
            }
            for i in range(45)
        ]

    CommercetoolsImportOperator(
        task_id="import_prices",
        resource_type="price",
        items=prices(),
        poll_interval=0.05,
    )
