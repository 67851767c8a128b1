"""Run inside the cluster's environment (``.venv-cluster/bin/python control.py DAG_ID CONF_JSON TIMEOUT``):
wait until the dag-processor has stored the DAG, trigger one run with the conf, wait for it to end
(all bounded by TIMEOUT seconds), and print one JSON line: the run's state and every task instance
(task id, map index, state, hostname, try number, its XCom ``return_value``, and each try: state, start, end).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def _try(ti: Any) -> dict[str, object]:
    """One try of a task instance (or of its history): its number, state, start and end (ISO, seconds)."""
    dates = {"start_date": ti.start_date, "end_date": ti.end_date}
    return {
        "try_number": ti.try_number,
        "state": getattr(ti.state, "value", ti.state),
        **{k: v.isoformat(timespec="seconds") if v else None for k, v in dates.items()},
    }


def main() -> int:
    dag_id, conf, timeout = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
    deadline = time.monotonic() + timeout

    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.models.dagrun import DagRun
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import select

    while True:
        with create_session() as session:
            if SerializedDagModel.get(dag_id, session=session) is not None:
                break
        if time.monotonic() > deadline:
            print(f"DAG {dag_id} was not parsed by the dag-processor within {timeout:.0f} s", file=sys.stderr)
            return 2
        time.sleep(1)

    with create_session() as session:
        run = trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.TEST, conf=conf, session=session)
        assert run is not None
        run_id = run.run_id
    print(f"triggered {run_id}", file=sys.stderr)

    state = None
    while time.monotonic() < deadline:
        with create_session() as session:
            run = session.query(DagRun).filter(DagRun.dag_id == dag_id, DagRun.run_id == run_id).one()
            state = run.state
            if state in (DagRunState.SUCCESS, DagRunState.FAILED):
                returned = {
                    (x.task_id, x.map_index): XComModel.deserialize_value(x)
                    for x in session.scalars(
                        select(XComModel).where(
                            XComModel.dag_id == dag_id, XComModel.run_id == run_id, XComModel.key == "return_value"
                        )
                    )
                }
                earlier: dict[tuple[str, int], list[dict[str, object]]] = {}
                for old in session.scalars(
                    select(TaskInstanceHistory)
                    .where(TaskInstanceHistory.dag_id == dag_id, TaskInstanceHistory.run_id == run_id)
                    .order_by(TaskInstanceHistory.try_number)
                ):
                    earlier.setdefault((old.task_id, old.map_index), []).append(_try(old))
                tis = [
                    {
                        "task_id": ti.task_id,
                        "map_index": ti.map_index,
                        "state": getattr(ti.state, "value", ti.state),
                        "hostname": ti.hostname,
                        "try_number": ti.try_number,
                        "returned": returned.get((ti.task_id, ti.map_index)),
                        "tries": [*earlier.get((ti.task_id, ti.map_index), []), _try(ti)],
                    }
                    for ti in run.get_task_instances(session=session)
                ]
                print(json.dumps({"run_id": run_id, "state": getattr(state, "value", state), "task_instances": tis}))
                return 0
        time.sleep(1)
    print(f"run {run_id} still {state} after {timeout:.0f} s", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
