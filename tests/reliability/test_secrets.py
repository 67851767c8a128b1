"""Secrets: a DAG run that logs every request and fails on one leaks neither the secret nor a token.

The run goes through an executor (see task_log_runner.py), so Airflow writes the task log files a
deployment would; the test searches those files, the metadata database (XComs and the rest) and the
exception texts for the client secret and every access token the server issued.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from airflow_provider_commercetools.testing import connection_json
from tests.reliability.conftest import CONN_ENV
from tests.reliability.faults import FaultyCommercetools

REPO = Path(__file__).parents[2]
DAG_ID = "reliability_secrets_dag"
TASKS = {"export_products", "publish_products", "read_missing"}


def run_with_task_logs(dag_id: str, conf: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the DAG in a new process that shares this session's AIRFLOW_HOME, database and connections."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # Airflow 2: `airflow tasks run`
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    if version("apache-airflow").startswith("3"):
        env["AIRFLOW__CORE__EXECUTOR"] = "tests.reliability.task_log_runner.SupervisingExecutor"
        env.setdefault("AIRFLOW__API_AUTH__JWT_SECRET", "reliability-suite-jwt-secret-0123456789")
        env["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] = "1"  # notice the end of a task within a second
    else:  # each task as `airflow tasks run --local`, like every executor of Airflow 2 runs it
        env["AIRFLOW__CORE__EXECUTOR"] = "SequentialExecutor"
    return subprocess.run(
        [sys.executable, "-m", "tests.reliability.task_log_runner", dag_id, json.dumps(conf)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def database_rows(table: str, dag_id: str) -> list[str]:
    """Every row of ``table`` for ``dag_id``, as text (XCom values are JSON or bytes)."""
    path = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(f"SELECT * FROM {table} WHERE dag_id = ?", (dag_id,)).fetchall()
    return [" ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row) for row in rows]


def test_the_secret_and_tokens_reach_no_task_log_xcom_or_error(
    airflow_db, faulty_server: FaultyCommercetools, monkeypatch, tmp_path
):
    ct = faulty_server
    ct.add_many("products", ({"key": f"p{i}"} for i in range(12)))
    monkeypatch.setenv(
        CONN_ENV, connection_json(ct, log_requests=True, retry_max_attempts=3, retry_initial_backoff=0.01)
    )
    ct.inject("503", times=1, method="GET")  # a retry, logged with its error
    ct.revoke_tokens_after(2)  # a 401 and a second token in the first task
    error_file = tmp_path / "error.json"

    result = run_with_task_logs(DAG_ID, {"error_file": str(error_file)})

    output = result.stdout + result.stderr
    assert "DAG RUN STATE: failed" in result.stdout, output[-5000:]
    log_files = sorted((Path(os.environ["AIRFLOW_HOME"]) / "logs" / f"dag_id={DAG_ID}").rglob("*.log"))
    assert {f.parent.name.removeprefix("task_id=") for f in log_files} == TASKS, log_files
    logs = "\n".join(f.read_text(errors="replace") for f in log_files)
    xcoms = database_rows("xcom", DAG_ID)
    error = json.loads(error_file.read_text())

    # What was searched holds what it should: every request line, the retry, the 401, the failure.
    assert "commercetools GET /test-project/products?" in logs and " ms (attempt " in logs
    assert "-> 503" in logs and "retrying in" in logs
    assert "-> 401" in logs and "access token rejected (401); granting a new one" in logs
    assert "HTTP 404 ResourceNotFound" in logs
    assert error["type"] == "NotFoundError" and "The Resource with key 'missing' was not found" in error["message"]
    assert any('"p11"' in row for row in xcoms), "the export's XCom was not found"
    assert any("The Resource with key 'missing' was not found" in row for row in xcoms), "no failure in the XCom"
    assert len(ct.issued_tokens) >= len(TASKS) + 1  # one per task, and the one after the revocation

    database = Path(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))  # with -wal, -shm
    for secret in (ct.client_secret, *ct.issued_tokens):
        assert secret not in logs, "a secret is in a task log file"
        assert all(secret not in row for row in xcoms), "a secret is in an XCom"
        assert secret not in error["message"], "a secret is in an exception text"
        assert secret not in output, "a secret is in the run's console output"
        assert secret.encode() not in stored, "a secret is in the metadata database"


def test_a_customer_password_reaches_no_xcom_results_file_or_task_log(airflow_db, faulty_server, monkeypatch, tmp_path):
    """A failed customer draft's password: redacted in the XCom failures list, the results and failures files,
    and the task logs; its other fields stay, to see what failed."""
    ct = faulty_server
    ct.add("customers", {"key": "taken", "email": "first@example.com"})
    monkeypatch.setenv(CONN_ENV, connection_json(ct, log_requests=True))
    password = f"pw-{ct.client_secret[-12:]}-horse"
    output = tmp_path / "customers.jsonl"
    dag_id = "reliability_customer_secrets_dag"

    result = run_with_task_logs(dag_id, {"password": password, "output_path": str(output)})

    console = result.stdout + result.stderr
    assert "DAG RUN STATE: failed" in result.stdout, console[-5000:]  # the files task fails: one item failed
    log_files = sorted((Path(os.environ["AIRFLOW_HOME"]) / "logs" / f"dag_id={dag_id}").rglob("*.log"))
    logs = "\n".join(f.read_text(errors="replace") for f in log_files)
    xcoms = database_rows("xcom", dag_id)
    files = output.read_text() + output.with_name("customers.failures.jsonl").read_text()

    # What was searched holds what it should: the failed item (redacted) in the XCom and files, the error in the log.
    assert any('"taken"' in row and "[redacted]" in row for row in xcoms), "the XCom failures list was not found"
    failures = [json.loads(line) for line in output.with_name("customers.failures.jsonl").read_text().splitlines()]
    assert [f["item"]["password"] for f in failures] == ["[redacted]"] and failures[0]["item"]["firstName"] == "Ada"
    assert "DuplicateField" in logs and "items[0] failed" in logs
    sent = [json.loads(r.body) for r in ct.requests if r.method == "POST" and r.path.endswith("/customers")]
    assert {draft["password"] for draft in sent} == {password}  # commercetools got the real one

    assert password not in logs, "the password is in a task log file"
    assert all(password not in row for row in xcoms), "the password is in an XCom"
    assert password not in files, "the password is in a results or failures file"
    assert password not in console, "the password is in the run's console output"
