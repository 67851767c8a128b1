"""The fake's HTTP core: its listeners (start, listen, stop), the request log, faults and latency.

Every address of the fake answers through this one core, so faults, the request log and keep-alive
behave the same everywhere.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from airflow_provider_commercetools.testing.fake.faults import Faults, InjectedFault
from airflow_provider_commercetools.testing.fake.http import Handle, RecordedRequest
from airflow_provider_commercetools.testing.fake.listener import Listener


class HttpCore:
    """Listeners sharing one request log, one set of faults, one latency and one stop signal."""

    def __init__(self, lock: threading.RLock, *, project_key: str, latency: float, record_requests: bool) -> None:
        self.lock = lock
        self.project_key = project_key
        self.latency = float(latency)
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self.faults = Faults(lock)
        self.stopping = threading.Event()
        self.host = "127.0.0.1"
        self._listeners: list[tuple[Listener, threading.Thread]] = []

    # ------------------------------------------------------------------------------ listeners
    @property
    def started(self) -> bool:
        return bool(self._listeners)

    @property
    def accepted_connections(self) -> int:
        """Connections accepted so far at the first address (0 when stopped)."""
        return self._listeners[0][0].accepted_connections if self._listeners else 0

    def start(self, handle: Handle, *, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen at ``host:port`` (0: a free port) with ``handle``; returns the URL."""
        self.stopping.clear()
        self.host = host
        return self.listen(handle, port=port, name="fake-commercetools")

    def listen(self, handle: Handle, *, port: int = 0, name: str = "fake-commercetools-api") -> str:
        """Another address (same host, ``port`` 0: a free one) answered by ``handle``; returns its URL."""
        listener = Listener(self, handle, (self.host, port))
        thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        thread.start()
        self._listeners.append((listener, thread))
        return f"http://{self.host}:{listener.server_port}"

    def stop(self) -> None:
        """Stop every listener and wake handlers sleeping for latency or slow faults."""
        self.stopping.set()
        for listener, thread in self._listeners:
            listener.shutdown()
            listener.server_close()
            with listener.connections_lock:
                connections = list(listener.open_connections)
            for conn in connections:  # unblock handler threads waiting on idle keep-alive connections
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            thread.join(timeout=5)
        self._listeners.clear()

    # ------------------------------------------------------------------- what listeners use
    def record(self, request: RecordedRequest) -> None:
        """Append to the request log (unless ``record_requests`` is off)."""
        if not self.record_requests:
            return
        with self.lock:
            self.requests.append(request)

    def take_fault(self, method: str, path: str) -> InjectedFault | None:
        return self.faults.take(method, path)

    def count_fault(self, kind: str) -> None:
        self.faults.count(kind)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (cut short by :meth:`stop`)."""
        if seconds > 0:
            self.stopping.wait(seconds)

    # ------------------------------------------------------------------------------ observing
    def count_requests(self, method: str | None = None, path_prefix: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def reset_log(self) -> None:
        """Forget recorded requests and the served-fault counts."""
        with self.lock:
            self.requests.clear()
            self.faults.injected.clear()
