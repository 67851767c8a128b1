"""Run one DAG the way a deployment does, so that Airflow writes real task log files.

``dag.test()`` runs tasks in-process and writes no task log files on either Airflow version. This
runs ``dag.test(use_executor=True)`` instead, in a fresh process:

- Airflow 2.11: the SequentialExecutor (the caller sets it) runs every task as ``airflow tasks run --local``
  (LocalTaskJob, then ``--raw``): the production code path, logging through FileTaskHandler.
- Airflow 3.x: :class:`SupervisingExecutor` runs every task through ``supervise_task`` (what
  LocalExecutor's workers call): a forked task process whose supervisor writes the JSON task log
  file. The only difference from a deployment is that the supervisor talks to an in-process
  execution API instead of an api-server over HTTP.

Usage: ``python -m tests.reliability.task_log_runner <dag_id> '<run_conf JSON>'``; prints the
DagRun's state as the last line. The environment (AIRFLOW_HOME, the metadata DB, connections)
comes from the caller.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

try:
    from airflow.executors.base_executor import BaseExecutor
except ImportError:  # pragma: no cover
    BaseExecutor = object  # type: ignore[assignment,misc]


class SupervisingExecutor(BaseExecutor):  # type: ignore[misc,valid-type]
    """Airflow 3: runs each task like a LocalExecutor worker does, one at a time, from this process.

    The execution API client is the one ``dag.test()`` uses (``InProcessTestSupervisor._api_client``,
    an Airflow internal of 3.x: if it moves, this is the line to adapt).
    """

    is_local = True
    serve_logs = False

    def _process_workloads(self, workloads: Any) -> None:
        from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor, supervise_task
        from airflow.utils.state import TaskInstanceState

        for workload in workloads:
            key = workload.ti.key
            self.queued_tasks.pop(key, None)
            self.running.add(key)
            exit_code = supervise_task(
                ti=workload.ti,
                bundle_info=workload.bundle_info,
                dag_rel_path=workload.dag_rel_path,
                token=workload.token,
                client=InProcessTestSupervisor._api_client(),
                log_path=workload.log_path,
            )
            self.change_state(key, TaskInstanceState.SUCCESS if exit_code == 0 else TaskInstanceState.FAILED)

    def end(self) -> None:
        """Nothing runs in the background."""

    def terminate(self) -> None:
        """Nothing runs in the background."""


def main(dag_id: str, run_conf: dict[str, Any]) -> str:
    from tests.airflow_runner import load_dag

    dag = load_dag(dag_id, Path(__file__).parents[1] / "dags")
    dag_run = dag.test(run_conf=run_conf, use_executor=True)
    return str(dag_run.state)


if __name__ == "__main__":
    state = main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
    print(f"DAG RUN STATE: {state}")
