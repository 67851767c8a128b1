"""The fake's listener: a threaded HTTP/1.1 server with keep-alive that applies faults, latency and the request log.

Every address of the fake (its own, and those of APIs with a host of their own) is one
:class:`Listener`; what it answers comes from its handle, the rest from its :class:`ListenerHost`.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from airflow_provider_commercetools.testing.fake.faults import ANSWERING_FAULTS, InjectedFault, fault_response
from airflow_provider_commercetools.testing.fake.http import CLOCK, Handle, RecordedRequest, Response, dumps, error_body

MAX_BODY = 16 * 1024 * 1024


class ListenerHost(Protocol):
    """What a listener needs of the fake's HTTP core (:class:`~.core.HttpCore`)."""

    project_key: str
    latency: float
    stopping: threading.Event

    def record(self, request: RecordedRequest) -> None: ...

    def take_fault(self, method: str, path: str) -> InjectedFault | None: ...

    def count_fault(self, kind: str) -> None: ...

    def sleep(self, seconds: float) -> None: ...


class Listener(ThreadingHTTPServer):
    """One address of the fake, one thread per connection."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, host: ListenerHost, handle: Handle, address: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        """``address``: where to listen (by default ``127.0.0.1`` and a free port)."""
        self.host = host
        #: answers a request; faults, latency and the request log are the same for every listener
        self.handle: Handle = handle
        self.open_connections: set[socket.socket] = set()
        self.accepted_connections = 0
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can hang without DNS
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeCommercetools/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    server: Listener

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)
            self.server.accepted_connections += 1

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = do_GET

    # ------------------------------------------------------------------------------------------
    def _read_body(self) -> bytes | Response:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                try:
                    size = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    self.close_connection = True
                    return Response(400, dumps(error_body(400, "InvalidInput", "Malformed chunked body.")))
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    self.close_connection = True
                    return self._too_large()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return Response(400, dumps(error_body(400, "InvalidInput", "Invalid Content-Length.")))
        if length > MAX_BODY:
            self.close_connection = True
            return self._too_large()
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _too_large() -> Response:
        return Response(413, dumps(error_body(413, "ContentTooLarge", "The request body exceeds the limit of 16 MB.")))

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response, correlation_id: str, head_only: bool) -> None:
        reason = self.responses.get(response.status, ("",))[0]
        body = b"" if head_only else response.body
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string(CLOCK.time())}",  # the server's clock (RFC 9110 §6.6.1)
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(body)}",
            f"X-Correlation-ID: {correlation_id}",
        ]
        lines.extend(f"{k}: {v}" for k, v in response.headers.items())
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace") + body
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client went away (e.g. its read timeout fired during a slow answer)
            self.close_connection = True

    def _dispatch(self) -> None:
        host = self.server.host
        method = self.command.upper()
        split = urlsplit(self.path)
        path = split.path or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body_or_error = self._read_body()
        body = body_or_error if isinstance(body_or_error, bytes) else b""
        correlation_id = headers.get("x-correlation-id") or f"projects-{host.project_key}-{uuid.uuid4()}"
        head_only = method == "HEAD"

        def record(status: int, fault: str | None) -> None:
            host.record(RecordedRequest(method, path, query, headers, body, status, fault))

        if isinstance(body_or_error, Response):
            record(body_or_error.status, None)
            self._send(body_or_error, correlation_id, head_only)
            return

        fault = host.take_fault(method, path)
        if fault is not None and fault.kind == "apply_late":
            host.count_fault("apply_late")
            record(0, "apply_late")
            self._drop()
            timer = threading.Timer(fault.delay, self.server.handle, (method, path, query, headers, body))
            timer.daemon = True
            timer.start()
            return
        if fault is not None and fault.kind == "drop_before":
            host.count_fault("drop_before")
            record(0, "drop_before")
            self._drop()
            return
        if fault is not None and fault.kind in ANSWERING_FAULTS:
            response = fault_response(fault)
            host.count_fault(fault.kind)
            record(response.status, fault.kind)
            host.sleep(host.latency)
            self._send(response, correlation_id, head_only)
            return

        response = self.server.handle(method, path, query, headers, body)
        if fault is not None and fault.kind == "drop_after":
            host.count_fault("drop_after")
            record(0, "drop_after")
            self._drop()
            return
        if fault is not None and fault.kind == "slow":
            host.count_fault("slow")
            record(response.status, "slow")
            host.sleep(fault.delay)
        else:
            record(response.status, None)
        host.sleep(host.latency)
        if host.stopping.is_set():  # stopped while sleeping: do not answer
            self._drop()
            return
        self._send(response, correlation_id, head_only)
