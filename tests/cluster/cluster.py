"""A real Airflow 3 cluster on 127.0.0.1 for the cluster tests: PostgreSQL (metadata DB), Redis (Celery
broker), moto's S3 server (object storage), an api-server (UI, REST and execution API), a scheduler, a
dag-processor, a triggerer and two Celery workers, each a separate process with its own temporary
directory as AIRFLOW_HOME, HOME, TMPDIR and working directory, and its own copy of the DAG files.

A worker can be lost like a node or a pod (:meth:`Cluster.kill_worker`: SIGKILL to its whole process
tree, the task processes in their own process groups included) and replaced by a new one
(:meth:`Cluster.add_worker`); :meth:`Cluster.worker_connected_to` tells which worker's processes hold a
connection to a port (the one running a task that talks to that server).

Everything binds 127.0.0.1 on free ports, every wait is bounded, and :meth:`Cluster.stop` ends every
process it started (each in its own process group; they also get SIGTERM when the test process dies).
The Airflow processes come from ``.venv-cluster`` (``bash scripts/setup.sh``), Redis and PostgreSQL
from Debian's ``redis-server`` and ``postgresql`` (``bash scripts/install_services.sh``).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.cluster import processes
from tests.cluster.postgres import ClusterError, Postgres, postgres_bin

__all__ = ["BUCKET", "HEARTBEAT_TIMEOUT", "WORKERS", "Cluster", "ClusterError"]

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv-cluster" / "bin"
DAGS = Path(__file__).parent / "dags"
CONTROL = Path(__file__).parent / "control.py"
BUCKET = "commercetools"
WORKERS = ("worker-a", "worker-b")
#: a lost worker's task is failed (and retried) once its last heartbeat is older than this (seconds)
HEARTBEAT_TIMEOUT = 15
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def check_installed() -> None:
    """Fail (never skip) with the command that installs a missing part."""
    missing = [str(VENV_BIN / name) for name in ("airflow", "moto_server") if not (VENV_BIN / name).exists()]
    if missing:
        raise ClusterError(f"missing {', '.join(missing)}: run bash scripts/setup.sh (it creates .venv-cluster)")
    if shutil.which("redis-server") is None:
        raise ClusterError("redis-server is not installed: run bash scripts/install_services.sh")
    postgres_bin()


class Cluster:
    """``with Cluster(connections={...}) as cluster: cluster.run_dag(...)``"""

    def __init__(self, connections: Mapping[str, str], *, start_timeout: float = 180.0) -> None:
        check_installed()
        self.start_timeout = start_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="ct-cluster-")
        self.base = Path(self._tmp.name)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: dict[str, Path] = {}
        self.homes: dict[str, Path] = {}
        #: the Celery workers that run (killed ones leave, added ones join)
        self.workers: list[str] = []
        #: processes ended on purpose (lost workers): not an error when found dead
        self.killed: set[str] = set()
        self._soon: list[str] = []  # workers to start from the test's thread (add_worker_soon)
        self.pg_port, self.redis_port, self.s3_port, self.api_port = (free_port() for _ in range(4))
        self.s3_url = f"http://127.0.0.1:{self.s3_port}"
        self.postgres = Postgres(self.base / "postgres", self.pg_port)
        db = f"postgresql+psycopg2://postgres@127.0.0.1:{self.pg_port}/airflow"
        self.env: dict[str, str] = {
            k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))
        }
        self.env.pop("AIRFLOW_HOME", None)
        self.env.update(
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=db,
            AIRFLOW__CELERY__BROKER_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            AIRFLOW__CELERY__RESULT_BACKEND=f"db+{db}",
            AIRFLOW__CELERY__WORKER_CONCURRENCY="2",
            AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER="1",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{self.api_port}/execution/",
            AIRFLOW__API__BASE_URL=f"http://127.0.0.1:{self.api_port}",
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__FERNET_KEY="0123456789abcdef0123456789abcdef0123456789A=",
            AIRFLOW__API_AUTH__JWT_SECRET="cluster-test-jwt-secret",
            AIRFLOW__API__SECRET_KEY="cluster-test-secret-key",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="2",
            # A task whose worker is lost is noticed only when its heartbeat is older than this (default
            # 300 s); the scheduler looks every detection interval (default 10 s). The task's supervisor
            # heartbeats every [workers] min_heartbeat_interval (5 s), so 15 s leaves room for a busy machine.
            AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT=str(HEARTBEAT_TIMEOUT),
            AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="2",
            # Redis redelivers a message that a worker took but did not acknowledge (acks_late: a task is
            # acknowledged when it ends) after this long, to any worker, even while the task still runs: it
            # must exceed the longest task. It is not what retries a lost worker's task (the heartbeat timeout
            # above is); a redelivered message of a try that already ended or is running elsewhere is refused
            # by the execution API (404 / 409). One hour: longer than every task here, and than the test.
            AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT="3600",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            AIRFLOW_CONN_AWS_DEFAULT=json.dumps(
                {
                    "conn_type": "aws",
                    "login": "testing",
                    "password": "testing",
                    "extra": {"endpoint_url": self.s3_url, "region_name": "us-east-1"},
                }
            ),
            NO_COLOR="1",
            COLUMNS="200",
        )
        for conn_id, value in connections.items():
            self.env[f"AIRFLOW_CONN_{conn_id.upper()}"] = value

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.postgres.start()
        self.logs["postgres"] = self.postgres.log
        self._spawn(
            "redis",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "", "--appendonly", "no"],
            cwd=self._home("redis"),
        )
        self._spawn(
            "moto", [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.s3_port)], cwd=self._home("moto")
        )
        self._airflow_once("db-migrate", ["db", "migrate"], timeout=self.start_timeout)
        self._spawn_airflow(
            "api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"]
        )
        self._spawn_airflow("scheduler", ["scheduler"], dags=False)
        self._spawn_airflow("dag-processor", ["dag-processor"])
        # Deferred tasks wait here: it runs their triggers (the provider's trigger classes, installed in its
        # environment, and the connections they name, from its environment like every other process's).
        self._spawn_airflow("triggerer", ["triggerer", "--skip-serve-logs"], dags=False)
        for name in WORKERS:
            self._spawn_worker(name)
        self._wait_redis()
        self._wait_http("moto", f"{self.s3_url}/")
        urllib.request.urlopen(urllib.request.Request(f"{self.s3_url}/{BUCKET}", method="PUT"), timeout=10).close()
        self._wait_http("api-server", f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health")
        for name in WORKERS:
            self._wait_worker(name)

    # ------------------------------------------------------------------ workers
    def _spawn_worker(self, name: str) -> None:
        self._spawn_airflow(
            name, ["celery", "worker", "--celery-hostname", f"{name}@%h", "--skip-serve-logs", "--without-mingle"]
        )
        self.workers.append(name)

    def _wait_worker(self, name: str) -> None:
        self._wait_log(name, f"{name}@")  # celery prints "<hostname> ready." once it consumes
        self._wait_log(name, " ready.")

    def add_worker(self, name: str, *, wait: bool = True) -> None:
        """Start one more Celery worker (e.g. the replacement of a lost one), with its own new home."""
        if name in self.procs:
            raise ValueError(f"{name} exists already: give the new worker a new name")
        self._spawn_worker(name)
        if wait:
            self._wait_worker(name)

    def add_worker_soon(self, name: str) -> None:
        """Ask for a new worker from another thread (e.g. one of a fake's): :meth:`run_dag` starts it. (A
        process started from a short-lived thread would get SIGTERM when that thread ends: PR_SET_PDEATHSIG
        follows the thread that forked.)"""
        self._soon.append(name)

    def kill_worker(self, name: str) -> list[int]:
        """Lose ``name`` as a node or a pod is lost: SIGKILL to all its processes at once (the worker's
        process group and each descendant's, the task processes included); returns their pids."""
        proc = self.procs[name]
        self.killed.add(name)
        self.workers.remove(name)
        pids = processes.kill_tree(proc.pid)
        proc.wait(timeout=10)
        return pids

    def worker_connected_to(self, port: int) -> str | None:
        """The worker one of whose processes holds a connection to ``port`` on 127.0.0.1 (a task talking
        to the server there), or None."""
        for name in self.workers:
            if processes.connected(processes.tree(self.procs[name].pid), port):
                return name
        return None

    def stop(self) -> None:
        """End every process (SIGTERM to its group, then SIGKILL after a short wait: nothing here needs a
        graceful shutdown), then PostgreSQL."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # whatever the group still has (task children)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self.postgres.stop()
        with contextlib.suppress(Exception):
            self._tmp.cleanup()

    # ------------------------------------------------------------------ the parts
    def _home(self, name: str, *, dags: bool = False) -> Path:
        home = self.base / name
        home.mkdir(exist_ok=True)
        if dags:
            shutil.copytree(DAGS, home / "dags", ignore=shutil.ignore_patterns("__pycache__"))
        self.homes[name] = home
        return home

    def _airflow_env(self, home: Path) -> dict[str, str]:
        return {
            **self.env,
            "AIRFLOW_HOME": str(home),
            "HOME": str(home),
            "TMPDIR": str(home / "tmp"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }

    def _spawn(self, name: str, cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
        log = self.base / f"{name}.log"
        self.logs[name] = log
        with log.open("wb") as out:
            self.procs[name] = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env or self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def _spawn_airflow(self, name: str, args: list[str], *, dags: bool = True) -> None:
        home = self._home(name, dags=dags)
        (home / "tmp").mkdir(exist_ok=True)
        if not dags:
            (home / "dags").mkdir(exist_ok=True)
        self._spawn(name, [str(VENV_BIN / "airflow"), *args], cwd=home, env=self._airflow_env(home))

    def _airflow_once(self, name: str, args: list[str], timeout: float) -> None:
        home = self._home(name)
        (home / "tmp").mkdir(exist_ok=True)
        (home / "dags").mkdir(exist_ok=True)
        try:
            done = subprocess.run(
                [str(VENV_BIN / "airflow"), *args],
                cwd=home,
                env=self._airflow_env(home),
                capture_output=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise ClusterError(f"airflow {' '.join(args)} did not finish in {timeout:.0f} s") from exc
        if done.returncode != 0:
            raise ClusterError(
                f"airflow {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout.decode()[-3000:]}{done.stderr.decode()[-3000:]}"
            )

    # ------------------------------------------------------------------ waiting
    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None and name not in self.killed:
                raise ClusterError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")

    def _wait(self, what: str, ready: Any) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if ready():
                return
            time.sleep(0.5)
        raise ClusterError(f"{what} not ready after {self.start_timeout:.0f} s:\n{self.log_tail(what.split()[0])}")

    def _wait_redis(self) -> None:
        def ping() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=2) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        self._wait("redis", ping)

    def _wait_http(self, name: str, url: str) -> None:
        def answers() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=3) as response:
                    return bool(response.status < 500)
            except urllib.error.HTTPError as exc:
                return exc.code < 500
            except OSError:
                return False

        self._wait(f"{name} at {url}", answers)

    def _wait_log(self, name: str, text: str) -> None:
        self._wait(f"{name} (waiting for {text.strip()!r} in its log)", lambda: text in self.log_text(name))

    def log_text(self, name: str) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace") if path and path.exists() else ""

    def log_tail(self, name: str, chars: int = 4000) -> str:
        return self.log_text(name)[-chars:]

    def all_logs(self, chars: int = 3000) -> str:
        return "\n".join(f"===== {name} =====\n{self.log_tail(name, chars)}" for name in self.logs)

    # ------------------------------------------------------------------ running DAGs
    def run_dag(self, dag_id: str, conf: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Trigger ``dag_id`` (once the dag-processor has parsed it) and wait for the run to end;
        returns control.py's report: the run's state and each task instance. Workers asked for by
        :meth:`add_worker_soon` meanwhile are started from here (this thread)."""
        home = self._home("control")
        (home / "tmp").mkdir(exist_ok=True)
        (home / "dags").mkdir(exist_ok=True)
        cmd = [str(VENV_BIN / "python"), str(CONTROL), dag_id, json.dumps(dict(conf)), str(timeout)]
        out, err = home / f"{dag_id}.out", home / f"{dag_id}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            control = subprocess.Popen(
                cmd, cwd=home, env=self._airflow_env(home), stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout + 60
        while control.poll() is None:
            while self._soon:
                self.add_worker(self._soon.pop(0), wait=False)
            if time.monotonic() > deadline:
                control.kill()
                control.wait()
                raise ClusterError(f"control.py did not finish in {timeout + 60:.0f} s\n{self.all_logs()}")
            time.sleep(0.2)
        if control.returncode != 0:
            raise ClusterError(
                f"control.py exited {control.returncode}:\n{err.read_text(errors='replace')[-4000:]}\n{self.all_logs()}"
            )
        report: dict[str, Any] = json.loads(out.read_text().strip().splitlines()[-1])
        return report

    def s3_objects(self, prefix: str) -> dict[str, str]:
        """Every object under ``prefix`` in the bucket, as text, read with boto3 in .venv-cluster."""
        script = (
            "import boto3, json, sys\n"
            "s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',"
            " aws_access_key_id='testing', aws_secret_access_key='testing')\n"
            "pages = s3.get_paginator('list_objects_v2').paginate(Bucket=sys.argv[2], Prefix=sys.argv[3])\n"
            "keys = [o['Key'] for page in pages for o in page.get('Contents', [])]\n"
            "print(json.dumps({k: s3.get_object(Bucket=sys.argv[2], Key=k)['Body'].read().decode() for k in keys}))\n"
        )
        done = subprocess.run(
            [str(VENV_BIN / "python"), "-c", script, self.s3_url, BUCKET, prefix],
            capture_output=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            env=self.env,
        )
        if done.returncode != 0:
            raise ClusterError(f"reading s3://{BUCKET}/{prefix} failed:\n{done.stderr.decode()[-3000:]}")
        objects: dict[str, str] = json.loads(done.stdout)
        return objects

    def task_logs(self, worker: str, dag_id: str = "*") -> list[Path]:
        """The task log files on a worker's own disk (``<home>/logs/dag_id=.../attempt=N.log``), of every
        DAG or of ``dag_id``."""
        return sorted((self.homes[worker] / "logs").glob(f"dag_id={dag_id}/**/attempt=*.log"))
