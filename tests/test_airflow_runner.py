from __future__ import annotations

from tests.airflow_runner import xcom_result


def test_real_dag_run_passes_xcom(run_dag):
    dag_run = run_dag("smoke_dag")
    assert dag_run.state == "success"
    assert xcom_result(dag_run, "total") == 6
