"""Fixtures that run real DAGs from ``tests/dags`` (or ``example_dags``) with ``dag.test()``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Create the metadata DB once per test session."""
    from airflow.utils import db

    db.resetdb()


def load_dag(dag_id: str, folder: Path) -> Any:
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2.11
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    bag = DagBag(dag_folder=str(folder))
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag(dag_id)
    assert dag is not None, f"DAG {dag_id!r} not found in {folder}; found {sorted(bag.dag_ids)}"
    return dag


@pytest.fixture
def run_dag(airflow_db: None) -> Callable[..., Any]:
    """Run a DAG for real: ``run_dag("dag_id", run_conf={...}, logical_date=...)`` returns the DagRun.

    ``dag.test()`` does not raise when a task fails: check ``dag_run.state``.
    """

    def run(
        dag_id: str, *, folder: Path | None = None, logical_date: Any = None, run_conf: dict[str, Any] | None = None
    ) -> Any:
        from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

        dag = load_dag(dag_id, folder or Path(__file__).parent / "dags")
        kwargs: dict[str, Any] = {"run_conf": run_conf}
        if logical_date is not None:
            kwargs["logical_date" if AIRFLOW_V_3_0_PLUS else "execution_date"] = logical_date
        return dag.test(**kwargs)

    return run


def xcom_result(dag_run: Any, task_id: str, map_index: int = -1) -> Any:
    """The return value of a task in a finished DagRun (Airflow 2.11 and 3.x)."""
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = dag_run.get_task_instance(task_id, session=session, map_index=map_index)
        assert ti is not None, f"no task instance {task_id}"
        return ti.xcom_pull(task_ids=task_id, session=session, map_indexes=map_index)
