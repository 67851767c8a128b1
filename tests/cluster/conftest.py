from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: starts a real CeleryExecutor cluster (PostgreSQL, Redis, S3, two workers); Airflow 3 only"
    )
