"""A publisher task whose worker dies under it stops sending (issue 24).

The DAG runs as a deployment runs it (see task_log_runner.py: Airflow 3's supervisor forks the task process,
Airflow 2.11's ``airflow tasks run --local`` starts ``--raw``); both put the task process in a process group
of its own. The test kills the process group of the runner, the supervisor with it (the worker's main
process OOM-killed, a ``kill -9`` of its group), not the task process: that one is left an orphan, as in the
issue's cluster trial, where it went on sending all its items. It must notice and stop; the fake's request
log says how many creates reached the server, the records say why the rest was not sent, and the retry
(run here as Airflow would, same items and output_path) leaves every draft exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import psutil
import pytest

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from tests.reliability.conftest import CONN_ENV

REPO = Path(__file__).parents[2]
DRAFTS = 600
KILL_AFTER = 30  # creates on the server
GONE = "the worker process that started this task"


@pytest.fixture
def slow_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCommercetools]:
    """Every answer takes 50 ms: the 600 creates from 2 workers would take 15 s."""
    server = FakeCommercetools(latency=0.05).start()
    monkeypatch.setenv(CONN_ENV, connection_json(server))
    try:
        yield server
    finally:
        server.stop()


def start_runner(conf: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The DAG run in a new session: its process group is the runner's and the supervisor's (Airflow 3), the
    runner's and ``airflow tasks run --local``'s (Airflow 2.11); the task process makes its own."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    if version("apache-airflow").startswith("3"):
        env["AIRFLOW__CORE__EXECUTOR"] = "tests.reliability.task_log_runner.SupervisingExecutor"
        env.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "reliability-suite-jwt-secret-0123456789")
    else:
        env["AIRFLOW__CORE__EXECUTOR"] = "SequentialExecutor"
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.task_log_runner", "publisher_orphan_dag", json.dumps(conf)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(condition, what: str, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_a_task_whose_worker_is_killed_stops_sending_and_its_retry_sends_nothing_twice(
    airflow_db, slow_server, tmp_path
):
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "results.jsonl"
    drafts = [{"key": f"d{i:03d}", "name": {"en": f"Draft {i}"}} for i in range(DRAFTS)]
    with write_json_lines("items", str(items)) as writer:
        writer.write_many(drafts)
    log = tmp_path / "runner.log"
    runner = start_runner({"items_file": str(items), "output_path": str(output)}, log)
    family: list[psutil.Process] = []
    try:
        wait_for(lambda: len(ct.entities("products")) >= KILL_AFTER or runner.poll() is not None, "creates")
        assert runner.poll() is None, log.read_text()[-3000:]
        family = psutil.Process(runner.pid).children(recursive=True)
        task = [p for p in family if p.pid != runner.pid and os.getpgid(p.pid) != runner.pid]
        assert task, f"no task process in a group of its own among {family}"
        os.killpg(runner.pid, signal.SIGKILL)  # the worker (runner, supervisor), not the task process
        runner.wait(timeout=30)
        assert all(p.is_running() for p in task), "the task process died with its worker: nothing was tested"

        # The orphan notices its parent is gone, lets the requests in flight finish, and ends.
        psutil.wait_procs(task, timeout=60)
        assert not [p for p in task if p.is_running()], "the orphaned task process went on running"
    finally:
        for process in family:
            if process.is_running():
                process.kill()
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait(timeout=30)

    created = len(ct.entities("products"))
    # On the code before this test the orphan sent all 600 (it took 15 s); it stopped within about a second.
    assert created < DRAFTS // 2, f"the orphan went on sending: {created} of {DRAFTS} created"
    records = [r for p in tmp_path.glob("results.jsonl.partial-*") for r in read_json_lines("path", str(p))]
    not_sent = [r for r in records if r["status"] == "not_sent"]
    assert not_sent and all(GONE in r["note"] for r in not_sent), records[:3]

    # Airflow's retry (same items and output_path) resumes: every draft exactly once.
    ct.reset_log()
    summary = CommercetoolsPublisherOperator(
        task_id="publish", entity="products", items=str(items), output_path=str(output), max_workers=16
    ).execute({})  # type: ignore[arg-type]
    assert sorted(e["key"] for e in ct.entities("products")) == [d["key"] for d in drafts]
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (DRAFTS, DRAFTS, 0)
    assert ct.count_requests("POST", f"/{ct.project_key}/products") <= DRAFTS - created + 2  # + those in flight
