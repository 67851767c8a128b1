"""The shared HTTP core of the fake: requests and answers, error bodies, injected faults, the threaded server.

Every fake API (the HTTP API, and others that plug in) answers through this one core, so faults, the
request log and keep-alive behave the same everywhere.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing.server import FakeCommercetools

FAULT_KINDS: frozenset[str] = frozenset(
    {"429", "500", "502", "503", "504", "html_502", "drop_before", "drop_after", "slow", "garbage_200"}
)
_STATUS_FAULTS = {
    "429": (429, "TooManyRequests", "Too many requests. Please retry later."),
    "500": (500, "General", "Internal Server Error: the request could not be processed."),
    "502": (502, "General", "Bad Gateway: the service is scaling, please retry."),
    "503": (503, "OverCapacity", "Service Unavailable: the service is over capacity, please retry."),
    "504": (504, "GatewayTimeout", "Gateway Timeout: the request took too long, please retry."),
}
_HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
#: faults only for :meth:`FakeCommercetools.inject`: ``apply_late`` drops the connection unanswered and
#: applies the request ``delay`` seconds later (a server that finishes a write after the client gave up)
_INJECT_ONLY = frozenset({"apply_late"})

JSON_TYPE = "application/json; charset=utf-8"
_READ_METHODS = frozenset({"GET", "HEAD"})
MAX_BODY = 16 * 1024 * 1024


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def _error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"statusCode": status, "message": message, "errors": [{"code": code, "message": message, **extra}]}


def _oauth_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    body = _error_body(status, code, message)
    body["error"] = code
    body["error_description"] = message
    return body


class _HttpError(Exception):
    """Raised inside request handling: becomes the JSON error answer."""

    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _bad_request(code: str, message: str, **extra: Any) -> _HttpError:
    return _HttpError(400, _error_body(400, code, message, **extra))


def _invalid_json(detail: str) -> _HttpError:
    message = f"Request body does not contain valid JSON. {detail}"
    return _bad_request("InvalidJsonInput", message, detailedErrorMessage=detail)


def _not_found(message: str) -> _HttpError:
    return _HttpError(404, _error_body(404, "ResourceNotFound", message))


def _conflict(entity_id: str, expected: int, actual: int) -> _HttpError:
    message = f"Object {entity_id} has a different version than expected. Expected: {expected} - Actual: {actual}."
    return _HttpError(409, _error_body(409, "ConcurrentModification", message, currentVersion=actual))


def _method_not_allowed(method: str, path: str) -> _HttpError:
    return _HttpError(405, _error_body(405, "MethodNotAllowed", f"The method {method} is not allowed on {path}."))


@dataclass
class RecordedRequest:
    """One request the fake received (recorded before it answered)."""

    method: str
    path: str  # as sent, without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # 0 when the connection was dropped without an answer
    fault: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class _InjectedFault:
    kind: str
    times: int
    method: str | None
    path_prefix: str | None
    retry_after: float | None
    delay: float


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    method: str | None
    path_prefix: str | None
    retry_after: float | None
    delay: float


def _fault_matches(method: str, path: str, want_method: str | None, prefix: str | None) -> bool:
    if want_method is not None and want_method.upper() != method:
        return False
    if path.startswith("/oauth") and not (prefix is not None and prefix.startswith("/oauth")):
        return False
    return prefix is None or path.startswith(prefix)


#: ``(method, path, query, headers, body) -> response``: what a listener answers with.
Handle = Callable[[str, str, dict[str, list[str]], dict[str, str], bytes], "_Response"]
#: What an API of the fake implements: an answer, or None for a path it does not serve (404, or the
#: next API mounted at the same address); errors are raised as ``_HttpError``.
ApiHandle = Callable[[str, str, dict[str, list[str]], dict[str, str], bytes], "_Response | None"]


@dataclass
class _Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, fake: FakeCommercetools, handle: Handle | None = None) -> None:
        self.fake = fake
        #: answers a request; faults, latency and the request log are the same for every listener
        self.handle: Handle = handle or fake._handle
        self.open_connections: set[socket.socket] = set()
        self.accepted_connections = 0
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can hang without DNS
        import socketserver

        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeCommercetools/1.0"
    sys_version = ""
    disable_nagle_algorithm = True
    server: _Server

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
    def _read_body(self) -> bytes | _Response:
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
                    return _Response(400, _dumps(_error_body(400, "InvalidInput", "Malformed chunked body.")))
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
            return _Response(400, _dumps(_error_body(400, "InvalidInput", "Invalid Content-Length.")))
        if length > MAX_BODY:
            self.close_connection = True
            return self._too_large()
        return self.rfile.read(length) if length else b""

    @staticmethod
    def _too_large() -> _Response:
        return _Response(
            413, _dumps(_error_body(413, "ContentTooLarge", "The request body exceeds the limit of 16 MB."))
        )

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: _Response, correlation_id: str, head_only: bool) -> None:
        reason = self.responses.get(response.status, ("",))[0]
        body = b"" if head_only else response.body
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
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
        fake = self.server.fake
        method = self.command.upper()
        split = urlsplit(self.path)
        path = split.path or "/"
        query = parse_qs(split.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in self.headers.items()}
        body_or_error = self._read_body()
        body = body_or_error if isinstance(body_or_error, bytes) else b""
        correlation_id = headers.get("x-correlation-id") or f"projects-{fake.project_key}-{uuid.uuid4()}"
        head_only = method == "HEAD"

        def record(status: int, fault: str | None) -> None:
            fake._record(RecordedRequest(method, path, query, headers, body, status, fault))

        if isinstance(body_or_error, _Response):
            record(body_or_error.status, None)
            self._send(body_or_error, correlation_id, head_only)
            return

        fault = fake._take_fault(method, path)
        if fault is not None and fault.kind == "apply_late":
            fake._count_fault("apply_late")
            record(0, "apply_late")
            self._drop()
            timer = threading.Timer(fault.delay, self.server.handle, (method, path, query, headers, body))
            timer.daemon = True
            timer.start()
            return
        if fault is not None and fault.kind == "drop_before":
            fake._count_fault("drop_before")
            record(0, "drop_before")
            self._drop()
            return
        if fault is not None and (fault.kind in _STATUS_FAULTS or fault.kind in ("html_502", "garbage_200")):
            response = _fault_response(fault)
            fake._count_fault(fault.kind)
            record(response.status, fault.kind)
            fake._sleep(fake.latency)
            self._send(response, correlation_id, head_only)
            return

        response = self.server.handle(method, path, query, headers, body)
        if fault is not None and fault.kind == "drop_after":
            fake._count_fault("drop_after")
            record(0, "drop_after")
            self._drop()
            return
        if fault is not None and fault.kind == "slow":
            fake._count_fault("slow")
            record(response.status, "slow")
            fake._sleep(fault.delay)
        else:
            record(response.status, None)
        fake._sleep(fake.latency)
        if fake._stop.is_set():  # stopped while sleeping: do not answer
            self._drop()
            return
        self._send(response, correlation_id, head_only)


def _fault_response(fault: _InjectedFault) -> _Response:
    if fault.kind == "html_502":
        return _Response(502, _HTML_502, "text/html; charset=utf-8")
    if fault.kind == "garbage_200":
        return _Response(200, b"not json", "application/json")
    status, code, message = _STATUS_FAULTS[fault.kind]
    headers: dict[str, str] = {}
    if fault.kind == "429":
        after = 1.0 if fault.retry_after is None else float(fault.retry_after)
        headers["Retry-After"] = str(int(after)) if after == int(after) else repr(after)
    return _Response(status, _dumps(_error_body(status, code, message)), headers=headers)
