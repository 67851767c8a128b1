"""A tiny HTTP server on 127.0.0.1 that records each exact request line and answers as a test says.

It grants a token on ``POST /oauth/token`` (unless the test answers that too) and hands every other
request to the test's ``answer(handler)``; loops are bounded, sockets time out.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy

FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
TOKEN = "loopback-token-0123456789"


@dataclass
class Seen:
    line: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Loopback:
    """The server; ``answer`` and ``grant`` are replaced by tests."""

    answer: Callable[[Handler], None] = field(default=lambda h: h.json(200, {"ok": True}))
    grant: Callable[[Handler], None] = field(
        default=lambda h: h.json(200, {"access_token": TOKEN, "expires_in": 3600, "scope": "manage_project:p1"})
    )
    seen: list[Seen] = field(default_factory=list)
    #: bytes each trickled answer got out before the client went away, and whether it was cut
    trickles: list[tuple[int, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.loopback = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def api_lines(self) -> list[str]:
        return [s.line for s in self.seen if not s.target.startswith("/oauth/")]

    def grants(self) -> int:
        return sum(1 for s in self.seen if s.target.startswith("/oauth/token"))

    def config(self, **overrides: Any) -> ClientConfig:
        fields: dict[str, Any] = {
            "project_key": "p1",
            "client_id": "loop-client",
            "client_secret": "loop-secret-value",
            "api_url": self.url,
            "auth_url": self.url,
            "retry": FAST,
        }
        fields.update(overrides)
        return ClientConfig.create(**fields)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    @property
    def loopback(self) -> Loopback:
        return self.server.loopback  # type: ignore[attr-defined]

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.loopback.record(Seen(self.requestline, self.command, self.path, headers, body))
        if self.path.startswith("/oauth/token"):
            self.loopback.grant(self)
        else:
            self.loopback.answer(self)

    do_GET = do_POST = do_DELETE = do_HEAD = do_PUT = _handle

    # -- answers ---------------------------------------------------------------------------------

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def trickle(self, total: int = 100, every: float = 0.1, headers_too: bool = False) -> None:
        """Answer 200 with ``total`` bytes of body, one byte each ``every`` seconds (bounded)."""
        data = b"[" + b" " * (total - 2) + b"]"
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n").encode()
        sent, cut = 0, False
        stream = head + data if headers_too else data
        try:
            if not headers_too:
                self.wfile.write(head)
                self.wfile.flush()
            for byte in stream:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                sent += 1
                time.sleep(every)
        except OSError:
            cut = True
        self.loopback.trickles.append((sent, cut))
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass
