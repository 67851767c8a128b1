"""Event-driven scheduling for real (Airflow 3): dag-processor, triggerer and scheduler as processes.

An ``AssetWatcher`` with CommercetoolsMessagesEventTrigger watches the fake (which runs in this test
process, on 127.0.0.1); an ``OrderCreated`` Message must make the triggerer fire, the asset get an
event with the summary, and the scheduler create an ``asset_triggered`` DAG run; a second batch of
Messages must do it again. 35 to 80 s on 2 shared cores (a private AIRFLOW_HOME with its own SQLite DB;
log servers off, so no port is opened but the fake's).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.messages_support import create

AIRFLOW = str(Path(sys.executable).with_name("airflow"))

WATCH_DAG = textwrap.dedent(
    """
    import datetime
    from airflow.sdk import DAG, Asset, AssetWatcher, task
    from airflow_provider_commercetools.triggers.messages import CommercetoolsMessagesEventTrigger

    trigger = CommercetoolsMessagesEventTrigger(
        message_types=["OrderCreated"], start_from="earliest", poll_interval=0.3
    )
    orders = Asset("ct_orders_created", watchers=[AssetWatcher(name="ct_orders_watcher", trigger=trigger)])
    with DAG("watch_orders", schedule=[orders], start_date=datetime.datetime(2026, 1, 1), catchup=False):
        @task
        def hello():
            return 1

        hello()
    """
)


def airflow_env(home: Path, dags: Path, ct: FakeCommercetools) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    bundle = [{"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", "kwargs": {}}]
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST=json.dumps(bundle),
        AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="2",
        AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC="1",
        AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC="1",
        AIRFLOW_CONN_COMMERCETOOLS_DEFAULT=connection_json(ct),
        # Airflow's own test switch: LocalExecutor on SQLite is refused otherwise (tasks are not run here)
        _AIRFLOW__SKIP_DATABASE_EXECUTOR_COMPATIBILITY_CHECK="1",
    )
    return env


def rows(db: Path, sql: str) -> list[Any]:
    try:
        with sqlite3.connect(db, timeout=5) as connection:
            return connection.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not migrated yet, or locked for a moment
        return []


def wait_for(db: Path, sql: str, count: int, seconds: float, procs: list[subprocess.Popen[bytes]]) -> list[Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = rows(db, sql)
        if len(found) >= count:
            return found
        dead = [p.args for p in procs if p.poll() is not None]
        assert not dead, f"an Airflow process exited: {dead}"
        time.sleep(0.3)
    raise AssertionError(f"after {seconds:.0f} s: {rows(db, sql)}")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop the processes this test started, with their children (each leads a process group of its own)."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.1, deadline - time.monotonic()))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # what is left of the group (e.g. a trigger runner)
        proc.wait(10)


def test_an_asset_watcher_runs_the_dag_when_orders_are_created(tmp_path):
    from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

    if not AIRFLOW_V_3_0_PLUS:
        pytest.skip("event-driven scheduling (AssetWatcher) exists on Airflow 3 only")
    home, dags = tmp_path / "home", tmp_path / "dags"
    home.mkdir()
    dags.mkdir()
    (dags / "watch_orders.py").write_text(WATCH_DAG)
    db = home / "airflow.db"
    with FakeCommercetools() as ct:
        messages = FakeMessages(ct)
        env = airflow_env(home, dags, ct)
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=120)
        create(ct, "products", {"key": "not-an-order"})
        create(ct, "orders", {"orderNumber": "o-1"})
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for command in (["dag-processor"], ["triggerer", "--skip-serve-logs"], ["scheduler", "--skip-serve-logs"]):
                log = open(home / f"{command[0]}.log", "wb")  # noqa: SIM115 - closed with the process
                procs.append(
                    subprocess.Popen(
                        [AIRFLOW, *command], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            runs_sql = "select run_type from dag_run where dag_id = 'watch_orders'"
            assert wait_for(db, runs_sql, 1, 90, procs) == [("asset_triggered",)]
            create(ct, "orders", {"orderNumber": "o-2"})
            create(ct, "orders", {"orderNumber": "o-3"})
            wait_for(db, runs_sql, 2, 60, procs)
            extras = rows(db, "select extra from asset_event order by id")
            events = [json.loads(extra)["payload"] for (extra,) in extras]
        finally:
            stop(procs)
    created = [m for m in messages.all() if m["type"] == "OrderCreated"]
    assert [e["count"] for e in events] == [1, 2]
    assert all(e["types"] == {"OrderCreated": e["count"]} for e in events)
    assert events[0]["first_created_at"] == created[0]["createdAt"]
    assert events[1]["last_created_at"] == created[2]["createdAt"]
