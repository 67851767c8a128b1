"""CommercetoolsImportSensor in real DAG runs: deferred (the trigger polls with async HTTP) and poking.

The fake keeps new operations ``processing`` for a few reads of their container (a deterministic
asynchronous step), so both sensors must wait; the summaries follow ``types/import-summary.raml`` of
the Import API's spec (commercetools/commercetools-api-reference ``api-specs/importapi``).
"""

from __future__ import annotations

import pytest

from tests.airflow_runner import xcom_result

PK = "test-project"


@pytest.fixture(autouse=True)
def _sensors_on_sqlite(monkeypatch):
    """Airflow 2.11's sensors check the executor (LocalExecutor in its unit-test config) against SQLite."""
    monkeypatch.setenv("_AIRFLOW__SKIP_DATABASE_EXECUTOR_COMPATIBILITY_CHECK", "1")


def state_reads(ct, container: str, *, trigger: bool) -> int:
    """Queries of the container's operations in one waiting state (a poke or poll makes three); never a summary."""
    path = f"/{PK}/import-containers/{container}/import-operations"
    assert not any(r.path.endswith(f"/{container}/import-summaries") for r in ct.requests)
    return sum(
        1
        for r in ct.requests
        if r.path == path
        and r.query.get("state")
        and r.headers.get("x-correlation-id", "").startswith("airflow-trigger-") is trigger
    )


def test_sensors_wait_until_the_container_is_done(commercetools_import_api, run_dag):
    imports = commercetools_import_api
    imports.reads_before_processing = 3
    ct = imports.fake

    dag_run = run_dag("import_sensor_dag", run_conf={"tag": "s1"})

    assert dag_run.state == "success"
    for mode in ("deferred", "poking"):
        sent = xcom_result(dag_run, f"send_{mode}")
        assert (sent["total"], sent["pending"], sent["wait"]) == (25, 25, "not_waited")
        assert sent["states"]["processing"] == 25 and sent["failures"] == []
        waited = xcom_result(dag_run, f"wait_{mode}")
        assert waited["reason"] == "finished" and sum(waited["states"].values()) == 0
    # the fake holds each operation processing for 3 reads of its container: the deferred sensor poked once
    # (3 state queries), then its trigger polled until every operation was imported; the other one poked on
    assert xcom_result(dag_run, "wait_deferred")["deferred"] is True
    assert state_reads(ct, "stock-deferred-s1", trigger=False) == 3
    assert state_reads(ct, "stock-deferred-s1", trigger=True) >= 3
    assert state_reads(ct, "stock-poking-s1", trigger=False) >= 6
    assert state_reads(ct, "stock-poking-s1", trigger=True) == 0
    assert sorted(e["quantityOnStock"] for e in ct.entities("inventory")) == list(range(25))
