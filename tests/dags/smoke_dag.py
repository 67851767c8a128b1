"""Smallest DAG: proves that real DAG runs work in the test session."""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task

with DAG("smoke_dag", schedule=None, start_date=datetime.datetime(2026, 1, 1), catchup=False):

    @task
    def produce() -> list[int]:
        return [1, 2, 3]

    @task
    def total(values: list[int]) -> int:
        return sum(values)

    total(produce())
