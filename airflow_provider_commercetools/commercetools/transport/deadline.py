"""Time bounds for the requests client: name resolution, and each attempt's whole duration.

requests' ``timeout`` bounds each socket operation, not the whole answer: a server that sends a byte
every few tenths of a second keeps an attempt alive for ever, and ``getaddrinfo`` is not bounded at
all. :class:`BoundedAdapter` uses connections that resolve names within a limit and register with
the current :class:`Attempt`; the attempt's deadline (one watchdog thread for all attempts) shuts their
sockets, which ends whatever read or write is blocked on them.
"""

from __future__ import annotations

import heapq
import ipaddress
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager, suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError

#: Seconds that name resolution may take (like the connect timeout).
RESOLVE_SECONDS = 10.0

_local = threading.local()
_resolver: ThreadPoolExecutor | None = None
_resolver_lock = threading.Lock()


class Watchdog:
    """Runs actions at their due time (``time.monotonic``) on one daemon thread; cancelable."""

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []
        self._cond = threading.Condition()
        self._count = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, due: float, action: Callable[[], None]) -> list[Any]:
        entry: list[Any] = [due, next(self._count), action]
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="commercetools-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0] is entry:  # due before everything else: the watchdog must wake earlier
                self._cond.notify()
        return entry

    def cancel(self, entry: list[Any]) -> None:
        entry[2] = None  # dropped when it reaches the top of the heap

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(30.0)
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                entry = heapq.heappop(self._heap)
                action, entry[2] = entry[2], None
            with suppress(Exception):  # an action must not stop the watchdog
                action()


WATCHDOG = Watchdog()


class Attempt:
    """One attempt of the current thread: the connections it used, whether it ran out of time."""

    def __init__(self) -> None:
        self.connections: list[HTTPConnection] = []
        self.expired = False
        self.sent = False
        self._lock = threading.Lock()

    def track(self, connection: HTTPConnection, *, sending: bool) -> None:
        connection._commercetools_attempt = self  # type: ignore[attr-defined]
        with self._lock:
            if connection not in self.connections:
                self.connections.append(connection)
            self.sent = self.sent or sending
            expired = self.expired
        if expired:
            _shut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self.connections)
        for connection in connections:
            # a connection that another attempt has taken from the pool since is not ours to end
            if getattr(connection, "_commercetools_attempt", None) is self:
                _shut(connection)


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def bounded_attempt(seconds: float) -> Iterator[Attempt]:
    """Bound what the current thread sends and receives through a :class:`BoundedAdapter` to ``seconds``."""
    attempt = Attempt()
    previous = getattr(_local, "attempt", None)
    _local.attempt = attempt
    entry = WATCHDOG.watch(time.monotonic() + max(seconds, 0.0), attempt.expire)
    try:
        yield attempt
    finally:
        WATCHDOG.cancel(entry)
        _local.attempt = previous


def _current() -> Attempt | None:
    return getattr(_local, "attempt", None)


def resolve(host: str, port: int, seconds: float | None = None) -> list[str]:
    """The addresses of ``host``, or ``socket.gaierror`` when resolution fails or takes longer than ``seconds``."""
    global _resolver
    seconds = RESOLVE_SECONDS if seconds is None else seconds
    with _resolver_lock:
        if _resolver is None:
            _resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="commercetools-resolve")
    future = _resolver.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=seconds)
    except FutureTimeout:
        raise socket.gaierror(f"resolving {host!r} took longer than {seconds:g} s") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class _Bounded:
    """Mixed into urllib3's connections: bounded resolution, and registration with the attempt."""

    host: str
    port: int
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        host = self._dns_host
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            pass
        else:
            return super()._new_conn()  # type: ignore[misc]
        try:
            addresses = resolve(host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        last: Exception | None = None
        for address in addresses:
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[misc]
            except OSError as error:  # NewConnectionError, ConnectTimeoutError: try the next address
                last = error
            finally:
                self._dns_host = host
        assert last is not None
        raise last

    def connect(self) -> None:
        attempt = _current()
        if attempt is not None:
            attempt.track(self, sending=False)  # type: ignore[arg-type]
        super().connect()  # type: ignore[misc]
        if attempt is not None and attempt.expired:
            _shut(self)  # type: ignore[arg-type]

    def request(self, *args: Any, **kwargs: Any) -> None:
        attempt = _current()
        if attempt is not None:
            attempt.track(self, sending=True)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]


class BoundedHTTPConnection(_Bounded, HTTPConnection):
    pass


class BoundedHTTPSConnection(_Bounded, HTTPSConnection):
    pass


class _BoundedHTTPPool(HTTPConnectionPool):
    ConnectionCls = BoundedHTTPConnection


class _BoundedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = BoundedHTTPSConnection


_POOLS = {"http": _BoundedHTTPPool, "https": _BoundedHTTPSPool}


class BoundedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections (also through a proxy) honour :func:`bounded_attempt`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager
