"""Run the independent commercetools emulator for conformance tests.

The emulator is ``@labdigital/commercetools-mock`` 4.4.0, started by
``emulator/server.mjs`` (which also closes the gaps of that package that matter
for pagination and conflict tests; see the comments there). Install it once
with::

    npm ci --prefix emulator

Usage::

    with Emulator() as emu:
        ids = emu.seed("category", drafts)
        token = emu.token()
        requests.get(f"{emu.url}/{emu.project_key}/categories", ...)

Auth and API share one address, ``emu.url``: ``POST {url}/oauth/token`` and
``{url}/{project_key}/...``. Any non-empty client id/secret is accepted.

Standard library and ``requests`` only; this module must not import airflow.
"""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

EMULATOR_DIR = Path(__file__).resolve().parent
PACKAGE = "@labdigital/commercetools-mock"

__all__ = ["EMULATOR_DIR", "Emulator", "EmulatorError"]


class EmulatorError(RuntimeError):
    """The emulator is not installed, did not start, or refused a control call."""


class Emulator:
    """A running emulator process (a context manager).

    :param project_key: the default project key (any key works on the emulator;
        this one is used by :meth:`seed` and :meth:`token`).
    :param startup_timeout: seconds to wait for the ``READY`` line.
    :param max_seconds: the process exits by itself after this many seconds.
    """

    def __init__(
        self,
        project_key: str = "conformance",
        *,
        emulator_dir: str | os.PathLike[str] | None = None,
        node: str = "node",
        startup_timeout: float = 30.0,
        max_seconds: int = 3600,
        client_id: str = "conformance-client",
        client_secret: str = "conformance-secret",
    ) -> None:
        self.project_key = project_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.emulator_dir = Path(emulator_dir) if emulator_dir else EMULATOR_DIR
        self.node = node
        self.startup_timeout = startup_timeout
        self.max_seconds = max_seconds
        self.url: str = ""
        self._control_token = secrets.token_hex(16)
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._session = requests.Session()

    # -- lifecycle ---------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return self.url

    @property
    def api_url(self) -> str:
        return self.url

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Emulator:
        if self._proc is not None:
            raise EmulatorError("emulator already started")
        server = self.emulator_dir / "server.mjs"
        package_dir = self.emulator_dir / "node_modules" / Path(PACKAGE)
        if not package_dir.is_dir():
            raise EmulatorError(
                f"{PACKAGE} is not installed in {self.emulator_dir / 'node_modules'}; "
                f"run `npm ci --prefix {self._display_dir()}` first"
            )
        node = shutil.which(self.node)
        if node is None:
            raise EmulatorError(f"`{self.node}` (Node.js) not found on PATH")

        env = dict(os.environ)
        env.update(
            CT_MOCK_PROJECT_KEY=self.project_key,
            CT_MOCK_MAX_SECONDS=str(int(self.max_seconds)),
            CT_MOCK_CONTROL_TOKEN=self._control_token,
        )
        env.pop("CT_MOCK_IGNORE_STDIN", None)
        env.pop("CT_MOCK_PORT", None)
        self._proc = subprocess.Popen(
            [node, str(server), self.project_key],
            cwd=str(self.emulator_dir),
            env=env,
            stdin=subprocess.PIPE,  # closing it (or our death) stops the server
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(self._proc.stdout, lines.put, True), daemon=True).start()
        threading.Thread(
            target=self._pump,
            args=(self._proc.stderr, self._stderr.append, False),
            daemon=True,
        ).start()

        deadline = time.monotonic() + self.startup_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise EmulatorError(
                    f"emulator did not report READY within {self.startup_timeout:g}s" + self._stderr_tail()
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self._proc.poll() is not None:
                    # exited without output: collect what stderr said
                    time.sleep(0.1)
                    code = self._proc.returncode
                    self.stop()
                    raise EmulatorError(
                        f"emulator exited with code {code} before READY" + self._stderr_tail()
                    ) from None
                continue
            if line is None:
                code = self._proc.wait(timeout=5)
                self.stop()
                raise EmulatorError(f"emulator exited with code {code} before READY" + self._stderr_tail())
            if line.startswith("READY "):
                self.url = line.split(" ", 1)[1].strip().rstrip("/")
                return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process: close stdin, SIGTERM, wait, then SIGKILL."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None:
                try:
                    if proc.stdin:
                        proc.stdin.close()
                except OSError:
                    pass
                proc.terminate()
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=timeout)
        finally:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    if stream:
                        stream.close()
                except OSError:
                    pass
            self._session.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __del__(self) -> None:  # pragma: no cover - best effort
        with contextlib.suppress(Exception):
            self.stop(timeout=2)

    # -- control endpoints -------------------------------------------------

    def seed(
        self,
        type_id: str,
        resources: Iterable[dict[str, Any]],
        mode: str = "create",
        *,
        project_key: str | None = None,
        batch_size: int = 5000,
    ) -> list[str]:
        """Store resources in-process and return their ids, in order.

        ``mode="create"``: each resource is a draft and goes through the
        emulator's create path (ids, version 1, timestamps, references
        resolved). ``mode="unsafe"``: each resource is stored as is over
        generated ``id``/``createdAt``/``lastModifiedAt`` and ``version: 1``.
        ``type_id`` is the reference type id: ``category``, ``product``,
        ``product-type``, ``customer``, ``key-value-document`` (custom objects),
        ``inventory-entry``, ``order``, ...
        """
        if mode not in ("create", "unsafe"):
            raise ValueError(f"mode must be 'create' or 'unsafe', not {mode!r}")
        ids: list[str] = []
        batch: list[dict[str, Any]] = []
        for resource in resources:
            batch.append(resource)
            if len(batch) >= batch_size:
                ids.extend(self._seed_batch(type_id, batch, mode, project_key))
                batch = []
        if batch:
            ids.extend(self._seed_batch(type_id, batch, mode, project_key))
        return ids

    def clear(self) -> None:
        """Delete every stored resource of every project."""
        self._control("POST", "/__emulator/clear", json={})

    def token(self, scope: str | None = None) -> str:
        """Grant a client-credentials token (a convenience for tests)."""
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = self._session.post(
            f"{self.url}/oauth/token",
            auth=(self.client_id, self.client_secret),
            data=data,
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    # -- internals ---------------------------------------------------------

    def _seed_batch(
        self,
        type_id: str,
        batch: Sequence[dict[str, Any]],
        mode: str,
        project_key: str | None,
    ) -> list[str]:
        body = self._control(
            "POST",
            "/__emulator/seed",
            json={
                "projectKey": project_key or self.project_key,
                "typeId": type_id,
                "resources": list(batch),
                "mode": mode,
            },
        )
        return [str(i) for i in body["ids"]]

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        if not self.running:
            raise EmulatorError("emulator is not running")
        response = self._session.request(
            method,
            self.url + path,
            headers={"X-Emulator-Control-Token": self._control_token},
            timeout=300,
            **kwargs,
        )
        if response.status_code != 200:
            raise EmulatorError(f"{method} {path} answered {response.status_code}: {response.text[:2000]}")
        return response.json()

    @staticmethod
    def _pump(stream: Any, sink: Any, signal_eof: bool) -> None:
        try:
            for line in iter(stream.readline, ""):
                sink(line.rstrip("\n"))
        except (OSError, ValueError):
            pass
        finally:
            if signal_eof:
                sink(None)

    def _stderr_tail(self) -> str:
        tail = "\n".join(list(self._stderr)[-30:])
        return f"\n--- emulator stderr ---\n{tail}" if tail else ""

    def _display_dir(self) -> str:
        try:
            return str(self.emulator_dir.relative_to(Path.cwd()))
        except ValueError:
            return str(self.emulator_dir)
