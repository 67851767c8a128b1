"""Start a real ``airflow api-server`` (the Airflow 3 web UI and REST API) for a test, and stop it.

It runs in its own temporary AIRFLOW_HOME with its own SQLite DB (``airflow db migrate``),
SimpleAuthManager with every user an admin (no login page), test connections enabled and no
example DAGs, on 127.0.0.1 and a free port. ``launch()`` returns at once (the UI tests' conftest
launches it when collection ends, so that it starts while other tests run); ``wait_ready()`` waits
a bounded time; ``stop()`` always ends the server's whole process group, and the server also gets
SIGTERM if the test process dies without stopping it.
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
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# The airflow script of the running interpreter's environment (a venv's bin/), else the one on PATH.
_BESIDE = Path(sys.executable).with_name("airflow")
AIRFLOW = _BESIDE if _BESIDE.exists() else Path(shutil.which("airflow") or "airflow")
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def airflow_env(home: str | Path, **extra: str) -> dict[str, str]:
    """The environment for an Airflow subprocess in ``home``: none of the test session's settings
    (its AIRFLOW_HOME, DB, DAGs folder, unit-test mode) nor any ``AIRFLOW_CONN_*`` leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "AIRFLOW_VAR_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(Path(home) / "dags"),
        AIRFLOW__CORE__TEST_CONNECTION="Enabled",
        # A fixed key: the connection passwords in this throwaway DB are encrypted with it.
        AIRFLOW__CORE__FERNET_KEY="0123456789abcdef0123456789abcdef0123456789A=",
        AIRFLOW__API_AUTH__JWT_SECRET="ui-test-jwt-secret",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        COLUMNS="200",  # the CLI wraps its messages at the terminal width
        NO_COLOR="1",
    )
    env.update(extra)
    return env


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM to the child when the test process dies (kept across exec)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class AirflowApiServer:
    """``with AirflowApiServer() as server: server.url ...``"""

    def __init__(self, *, start_timeout: float = 180.0) -> None:
        self.start_timeout = start_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="ct-ui-airflow-home-")
        self.home = Path(self._tmp.name)
        (self.home / "dags").mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = airflow_env(
            self.home,
            AIRFLOW__CORE__AUTH_MANAGER=SIMPLE_AUTH_MANAGER,  # every user an admin: no login page
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        )
        self.log_path = self.home / "api-server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._launched_at = 0.0
        self._ready = False
        self._token: str | None = None

    def launch(self) -> AirflowApiServer:
        """Create the DB and start the server in the background (one process group); return at once."""
        if self._proc is not None:
            return self
        script = '"$1" db migrate && exec "$1" api-server --host 127.0.0.1 --port "$2" --workers 1'
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                ["/bin/sh", "-c", script, "sh", str(AIRFLOW), str(self.port)],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends the workers too
                preexec_fn=_die_with_parent,
            )
        self._launched_at = time.monotonic()
        return self

    def wait_ready(self) -> AirflowApiServer:
        """Wait (at most ``start_timeout`` seconds from the launch) until the health check answers."""
        if self._ready:
            return self
        if self._proc is None:
            self.launch()
        assert self._proc is not None
        # Launched early, it competes with the other tests for 2 cores: give it at least a minute
        # of its own once the UI tests wait for it.
        deadline = max(self._launched_at + self.start_timeout, time.monotonic() + 60)
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"airflow api-server exited with {self._proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=2) as response:
                    if response.status == 200:
                        self._ready = True
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"airflow api-server not ready in time after launch:\n{self.log_tail()}")

    def start(self) -> AirflowApiServer:
        try:
            return self.launch().wait_ready()
        except BaseException:
            self.stop()
            raise

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """End the server's whole process group (TERM, then KILL after 10 s) and remove its home."""
        proc, self._proc = self._proc, None
        self._ready = False
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            # Also whatever of the group outlived the leader (a PID in use as a process group id is
            # never reused, so this reaches only the server's processes).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self._tmp.cleanup()

    def __enter__(self) -> AirflowApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- REST API (SimpleAuthManager with all admins hands out tokens without a login) ----------

    def api(self, method: str, path: str, body: Any = None, *, timeout: float = 15) -> Any:
        """Call the REST API (``/api/v2/...``) and return the decoded JSON (raises on HTTP errors,
        with the answer's text in the message)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        request.add_header("Authorization", f"Bearer {self.token()}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path} -> {error.code}: {error.read().decode(errors='replace')}") from None
        return json.loads(raw) if raw else None

    def token(self) -> str:
        """A JWT for the REST API (``GET /auth/token`` needs no credentials when all are admins)."""
        if self._token is None:
            with urllib.request.urlopen(f"{self.url}/auth/token", timeout=10) as response:
                self._token = json.loads(response.read())["access_token"]
        return self._token
