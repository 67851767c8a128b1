"""A fake commercetools HTTP API (auth + project API) for tests, demos and benchmarks.

Standard library only. It serves real HTTP/1.1 with keep-alive on ``127.0.0.1`` (a free port), one
thread per connection, so a pooled ``requests.Session`` used from many threads behaves as against
the real API. Behaviour follows the commercetools HTTP API: client-credentials token grant with
scopes, bearer tokens that expire and can be revoked, generic resources with create / read / query /
update / delete, optimistic concurrency (409 ``ConcurrentModification``), ``DuplicateField`` on keys,
query predicates, sorting, limit / offset caps, custom objects, in-store scoping, and injectable
faults (429, 5xx, HTML proxy pages, dropped connections before or after a write, slow answers,
garbage bodies).

The parts live in ``testing/fake/``: ``http`` (the shared HTTP core: server, answers, error bodies,
faults), ``store`` (entities, indexes, sorting, update actions), ``auth`` (token grants, scopes),
``http_api`` (the project API) with ``listing`` (queries of collections), ``import_api`` (the Import
API) and ``messages`` (Messages from the fake's own writes). Other APIs plug in with
:meth:`FakeCommercetools.mount` (same address), :meth:`FakeCommercetools.listen` (an address of
their own, like the Import API's host) and :meth:`FakeCommercetools.on_write` (told of every write).

Usage::

    with FakeCommercetools() as ct:
        ct.add_many("products", ({"key": f"p{i}"} for i in range(1000)))
        ct.inject("503", times=2, path_prefix=f"/{ct.project_key}/products")
        ...  # point the client at ct.url (auth and API share this address)
"""

from __future__ import annotations

import bisect
import contextlib
import json
import random
import socket
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow_provider_commercetools.testing.fake.http import (
    _INJECT_ONLY,
    FAULT_KINDS,
    ApiHandle,
    RecordedRequest,
    _dumps,
    _error_body,
    _fault_matches,
    _HttpError,
    _InjectedFault,
    _not_found,
    _now_iso,
    _RandomFaults,
    _Response,
    _Server,
)
from airflow_provider_commercetools.testing.fake.http_api import FakeHttpApi
from airflow_provider_commercetools.testing.fake.store import _Collection, _copy, _uuid4, _UuidBatch

__all__ = ["FAULT_KINDS", "FakeCommercetools", "RecordedRequest", "connection_json"]


class FakeCommercetools(FakeHttpApi):
    """An in-process fake of the commercetools auth and project APIs over real HTTP."""

    def __init__(
        self,
        *,
        project_key: str = "test-project",
        client_id: str = "test-client",
        client_secret: str = "test-secret",
        scopes: Sequence[str] | None = None,
        token_lifetime: int = 172800,
        latency: float = 0.0,
        record_requests: bool = True,
    ) -> None:
        """``record_requests=False`` keeps :attr:`requests` empty (saves memory in long benchmarks;
        :meth:`count_requests` then counts nothing)."""
        self.project_key = project_key
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes: tuple[str, ...] = tuple(scopes) if scopes is not None else (f"manage_project:{project_key}",)
        self.token_lifetime = token_lifetime
        self.latency = float(latency)
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self.token_grants = 0
        self.faults_injected: dict[str, int] = {}
        self._lock = threading.RLock()
        self._collections: dict[str, _Collection] = {}
        self._tokens: dict[str, tuple[float, frozenset[str]]] = {}
        self._faults: list[_InjectedFault] = []
        self._random: _RandomFaults | None = None
        self._stop = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._url = ""
        self._created_at = _now_iso()
        self._write_listeners = []
        self._mounted: list[ApiHandle] = []
        self._listeners: list[tuple[_Server, threading.Thread]] = []

    # ------------------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the auth URL and the API URL."""
        if not self._url:
            raise RuntimeError("FakeCommercetools is not started; call start() first")
        return self._url

    def start(self) -> FakeCommercetools:
        if self._httpd is not None:
            raise RuntimeError("FakeCommercetools is already started")
        self._stop.clear()
        httpd = _Server(self)
        self._httpd = httpd
        self._url = f"http://127.0.0.1:{httpd.server_port}"
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-commercetools", daemon=True
        )
        self._thread.start()
        return self

    def mount(self, handle: ApiHandle) -> None:
        """Serve another API at this address: ``handle`` answers first and returns None for paths it
        does not serve (which go on to the HTTP API). It may raise the core's ``_HttpError``."""
        with self._lock:
            self._mounted.append(handle)

    def listen(self, handle: ApiHandle) -> str:
        """Serve another API (e.g. the Import API, which has a host of its own) at a new address of
        this fake, with the same faults, latency, tokens and request log; returns its URL. Stopped
        with the fake."""
        if self._httpd is None:
            raise RuntimeError("FakeCommercetools is not started; call start() first")
        httpd = _Server(self, lambda *request: self._answer(handle, *request))
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-commercetools-api", daemon=True
        )
        thread.start()
        self._listeners.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_port}"

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stop.set()  # wakes handlers sleeping for latency / slow faults
        for server, server_thread in [(httpd, thread), *self._listeners]:
            server.shutdown()
            server.server_close()
            with server.connections_lock:
                connections = list(server.open_connections)
            for conn in connections:  # unblock handler threads waiting on idle keep-alive connections
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            if server_thread is not None:
                server_thread.join(timeout=5)
        self._listeners.clear()
        self._httpd = None
        self._thread = None
        self._url = ""

    def __enter__(self) -> FakeCommercetools:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"FakeCommercetools(project_key={self.project_key!r}, url={self._url or 'not started'!r})"

    # -------------------------------------------------------------------------------- seeding
    def add(self, resource: str, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``entity`` (no HTTP); fills id, version, createdAt, lastModifiedAt unless given."""
        with self._lock:
            coll = self._collection(resource)
            e = self._prepare(coll, entity, _now_iso(), _uuid4)
            bisect.insort(coll.ids, e["id"])
            return _copy(e)

    def add_many(self, resource: str, entities: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store many entities quickly (50,000 in well under 2 s); returns their ids in order."""
        now = _now_iso()
        added: list[str] = []
        new_id = _UuidBatch().next
        with self._lock:
            coll = self._collection(resource)
            try:
                for entity in entities:
                    added.append(self._prepare(coll, entity, now, new_id)["id"])
            finally:
                if len(added) > 64:
                    coll.ids.extend(added)
                    coll.ids.sort()
                else:
                    for entity_id in added:
                        bisect.insort(coll.ids, entity_id)
        return added

    def entities(self, resource: str) -> list[dict[str, Any]]:
        """Copies of all entities of ``resource``, in creation order."""
        with self._lock:
            coll = self._collections.get(resource)
            return [] if coll is None else [_copy(e) for e in coll.by_id.values()]

    def get_entity(self, resource: str, id: str) -> dict[str, Any] | None:
        with self._lock:
            coll = self._collections.get(resource)
            e = None if coll is None else coll.by_id.get(id)
            return None if e is None else _copy(e)

    def clear(self) -> None:
        """Remove every stored entity (tokens, the request log and faults are kept)."""
        with self._lock:
            self._collections.clear()

    # ------------------------------------------------------------------------------ observing
    def _record(self, rec: RecordedRequest) -> None:
        if not self.record_requests:
            return
        with self._lock:
            self.requests.append(rec)

    def count_requests(self, method: str | None = None, path_prefix: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def reset_log(self) -> None:
        """Forget recorded requests, the token grant count and the served-fault counts."""
        with self._lock:
            self.requests.clear()
            self.token_grants = 0
            self.faults_injected.clear()

    # --------------------------------------------------------------------------------- faults
    def inject(
        self,
        fault: str,
        *,
        times: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests (queued faults apply in order)."""
        if fault not in FAULT_KINDS | _INJECT_ONLY:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULT_KINDS | _INJECT_ONLY))}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(_InjectedFault(fault, times, method, path_prefix, retry_after, delay))

    def set_random_faults(
        self,
        rate: float,
        kinds: Sequence[str],
        seed: int = 0,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Fault each matching request with probability ``rate`` (a kind drawn from ``kinds``).

        Deterministic given ``seed`` and the order of requests. ``rate`` 0 disables.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(sorted(FAULT_KINDS))}")
        with self._lock:
            if rate == 0 or not kinds:
                self._random = None
            else:
                self._random = _RandomFaults(
                    rate, tuple(kinds), random.Random(seed), method, path_prefix, retry_after, delay
                )

    def clear_faults(self) -> None:
        """Drop queued faults and disable random faults."""
        with self._lock:
            self._faults.clear()
            self._random = None

    def _take_fault(self, method: str, path: str) -> _InjectedFault | None:
        with self._lock:
            for i, f in enumerate(self._faults):
                if _fault_matches(method, path, f.method, f.path_prefix):
                    f.times -= 1
                    if f.times <= 0:
                        del self._faults[i]
                    return f
            rnd = self._random
            if (
                rnd is not None
                and _fault_matches(method, path, rnd.method, rnd.path_prefix)
                and rnd.rng.random() < rnd.rate
            ):
                kind = rnd.kinds[rnd.rng.randrange(len(rnd.kinds))]
                return _InjectedFault(kind, 1, None, None, rnd.retry_after, rnd.delay)
        return None

    def _count_fault(self, kind: str) -> None:
        with self._lock:
            self.faults_injected[kind] = self.faults_injected.get(kind, 0) + 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

    # ------------------------------------------------------------------------------- handling
    def _handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        if path == "/oauth/token" or path.startswith("/oauth/"):
            return self._answer(self._oauth, method, path, query, headers, body)
        return self._answer(self._api_or_mounted, method, path, query, headers, body)

    def _api_or_mounted(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        for handle in self._mounted:
            response = handle(method, path, query, headers, body)
            if response is not None:
                return response
        return self._api(method, path, query, headers, body)

    @staticmethod
    def _answer(
        handle: ApiHandle,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: bytes,
    ) -> _Response:
        """``handle``'s answer; an ``_HttpError`` becomes its error body, a bug in the fake a 500."""
        try:
            response = handle(method, path, query, headers, body)
            if response is None:
                raise _not_found(f"The endpoint '{path}' was not found.")
            return response
        except _HttpError as exc:
            return _Response(exc.status, _dumps(exc.body), headers=exc.headers)
        except Exception as exc:  # a bug in the fake: answer like the API would, keep serving
            return _Response(500, _dumps(_error_body(500, "General", f"Fake server error: {exc!r}")))


_CONNECTION_FIELDS = frozenset({"conn_type", "host", "login", "password", "schema", "port", "description"})


def connection_json(server: FakeCommercetools, **extra_overrides: Any) -> str:
    """The Airflow connection (JSON, as for ``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``) for ``server``.

    Keyword arguments override fields: connection fields (``host``, ``login``, ``password``,
    ``conn_type``, ``schema``, ``port``, ``description``) at the top level, anything else inside
    ``extra``; a value of ``None`` removes the field.
    """
    conn: dict[str, Any] = {
        "conn_type": "commercetools",
        "host": server.url,
        "login": server.client_id,
        "password": server.client_secret,
        "extra": {"project_key": server.project_key, "auth_url": server.url},
    }
    for name, value in extra_overrides.items():
        target = conn if name in _CONNECTION_FIELDS else conn["extra"]
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return json.dumps(conn)
