"""``FakeCommercetools``: the fake commercetools server, composed of its parts, behind one small facade.

The parts (each in a module of its own): the HTTP core (:class:`~.core.HttpCore`: listeners, request
log, faults, latency), the store (:class:`~.store.Store`: entities, seeding, write listeners), auth
(:class:`~.auth.Auth`: token grants and scope checks), and the project API (:class:`~.project_api.ProjectApi`
with :class:`~.listing.Listing` for queries). They share one lock (:attr:`FakeCommercetools.lock`).
Other APIs plug in through the facade: :meth:`~FakeCommercetools.mount` (same address),
:meth:`~FakeCommercetools.listen` (an address of their own, like the Import API's host) and
:meth:`~FakeCommercetools.on_write` (told of every write).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow_provider_commercetools.testing.fake.auth import Auth, GrantListener
from airflow_provider_commercetools.testing.fake.core import HttpCore
from airflow_provider_commercetools.testing.fake.faults import RequestListener
from airflow_provider_commercetools.testing.fake.http import CLOCK, ApiHandle, RecordedRequest, Response, answer
from airflow_provider_commercetools.testing.fake.listing import Listing, PageEncoder
from airflow_provider_commercetools.testing.fake.product_shape import seeded_product
from airflow_provider_commercetools.testing.fake.project_api import ProjectApi
from airflow_provider_commercetools.testing.fake.store import Store, WriteListener


class FakeCommercetools:
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
        #: the lock every part shares: hold it to read or change the fake's state atomically
        self.lock = threading.RLock()
        self.core = HttpCore(self.lock, project_key=project_key, latency=latency, record_requests=record_requests)
        self.store = Store(self.lock)
        self.auth = Auth(
            self.lock,
            project_key=project_key,
            client_id=client_id,
            client_secret=client_secret,
            scopes=scopes,
            token_lifetime=token_lifetime,
        )
        self.listing = Listing(self.store)
        self.project_api = ProjectApi(self.store, self.auth, self.listing, project_key=project_key)
        self._mounted: list[ApiHandle] = []
        self._url = ""

    # ------------------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the auth URL and the API URL."""
        if not self._url:
            raise RuntimeError("FakeCommercetools is not started; call start() first")
        return self._url

    def start(self, *, host: str = "127.0.0.1", port: int = 0) -> FakeCommercetools:
        """Listen at ``host:port`` (by default ``127.0.0.1`` and a free port)."""
        if self.core.started:
            raise RuntimeError("FakeCommercetools is already started")
        self._url = self.core.start(self._handle, host=host, port=port)
        return self

    def stop(self) -> None:
        """Stop every address of the fake (the data stays)."""
        if not self.core.started:
            return
        self.core.stop()
        self._url = ""
        CLOCK.offset = 0.0

    def __enter__(self) -> FakeCommercetools:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"FakeCommercetools(project_key={self.project_key!r}, url={self._url or 'not started'!r})"

    # -------------------------------------------------------------------------------- time
    @property
    def clock_offset(self) -> float:
        """Seconds the server's clock is ahead of this process's (negative: behind); 0 by default.

        Every timestamp the fake stamps and the ``Date`` header of every answer follow it (``FakeClock``
        of ``testing.fake.http``: one clock per process, set back to 0 when the fake stops).
        """
        return CLOCK.offset

    @clock_offset.setter
    def clock_offset(self, seconds: float) -> None:
        CLOCK.offset = float(seconds)

    @property
    def visibility_delay(self) -> float:
        """Seconds after its ``lastModifiedAt`` before a write shows in query results (Messages too); 0 by default.

        commercetools stamps ``lastModifiedAt`` on distributed API nodes and its queries are eventually
        consistent (the fake hides a write from queries until then).
        """
        return self.listing.visibility_delay

    @visibility_delay.setter
    def visibility_delay(self, seconds: float) -> None:
        self.listing.visibility_delay = float(seconds)

    # ------------------------------------------------------------------------ other APIs
    def mount(self, handle: ApiHandle) -> None:
        """Serve another API at this address: ``handle`` answers first (every path, the token endpoint
        too) and returns None for paths it does not serve, which go on to auth and the project API.
        It may raise ``HttpError`` (of ``testing.fake.http``) to answer with an error."""
        with self.lock:
            self._mounted.append(handle)

    def listen(self, handle: ApiHandle, *, port: int = 0) -> str:
        """Serve another API (e.g. the Import API, which has a host of its own) at a new address of
        this fake (``port`` 0: a free one), with the same faults, latency, tokens and request log;
        returns its URL. Stopped with the fake."""
        if not self.core.started:
            raise RuntimeError("FakeCommercetools is not started; call start() first")
        return self.core.listen(lambda *request: answer(handle, *request), port=port)

    def on_write(self, listener: WriteListener) -> None:
        """Call ``listener`` after every create, update and delete (e.g. to produce Messages)."""
        self.store.on_write(listener)

    def on_request(self, listener: RequestListener) -> None:
        """Call ``listener`` with ``(method, path)`` for every request as it arrives, before its fault is chosen."""
        self.core.faults.on_request(listener)

    @property
    def page_encoder(self) -> PageEncoder:
        """Encodes every page of query results the project API answers (compact JSON by default)."""
        return self.listing.encode_page

    @page_encoder.setter
    def page_encoder(self, encoder: PageEncoder) -> None:
        self.listing.encode_page = encoder

    # -------------------------------------------------------------------------------- seeding
    def add(self, resource: str, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``entity`` (no HTTP); fills id, version, createdAt, lastModifiedAt unless given.

        A product without ``masterData`` is a ProductDraft: it is stored as the Product commercetools makes
        of it (product_shape.py), as ``POST /products`` does."""
        return self.store.add(resource, seeded_product(entity) if resource == "products" else entity)

    def add_many(self, resource: str, entities: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store many entities quickly (50,000 in well under 2 s); returns their ids in order (products: as
        :meth:`add`)."""
        if resource == "products":
            entities = (seeded_product(e) for e in entities)
        return self.store.add_many(resource, entities)

    def entities(self, resource: str) -> list[dict[str, Any]]:
        """Copies of all entities of ``resource``, in creation order."""
        return self.store.entities(resource)

    def get_entity(self, resource: str, id: str) -> dict[str, Any] | None:
        """A copy of one entity, None if there is none with ``id``."""
        return self.store.get_entity(resource, id)

    def clear(self, resource: str | None = None) -> None:
        """Remove every stored entity, or those of ``resource`` (tokens, the request log and faults are kept)."""
        self.store.clear(resource)

    # ------------------------------------------------------------------------------ observing
    @property
    def requests(self) -> list[RecordedRequest]:
        """The request log, oldest first (empty with ``record_requests=False``)."""
        return self.core.requests

    @property
    def record_requests(self) -> bool:
        """Whether requests are recorded in :attr:`requests` (settable)."""
        return self.core.record_requests

    @record_requests.setter
    def record_requests(self, record: bool) -> None:
        self.core.record_requests = record

    @property
    def latency(self) -> float:
        """Seconds every answer waits (settable)."""
        return self.core.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.core.latency = float(seconds)

    @property
    def accepted_connections(self) -> int:
        """Connections accepted so far at :attr:`url` (keep-alive reuses them)."""
        return self.core.accepted_connections

    def count_requests(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Recorded requests of ``method`` whose path starts with ``path_prefix`` (None: any)."""
        return self.core.count_requests(method, path_prefix)

    def reset_log(self) -> None:
        """Forget recorded requests, the token grant count and the served-fault counts."""
        with self.lock:
            self.core.reset_log()
            self.auth.token_grants = 0

    # --------------------------------------------------------------------------------- faults
    @property
    def faults_injected(self) -> dict[str, int]:
        """How many faults of each kind were served (since :meth:`reset_log`)."""
        return self.core.faults.injected

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
        """Queue ``fault`` (one of ``FAULT_KINDS``, or ``apply_late``) for the next ``times`` requests that
        match ``method`` and ``path_prefix``; queued faults apply in order. ``retry_after``: the 429's
        header; ``delay``: seconds of ``slow`` and ``apply_late``."""
        self.core.faults.inject(
            fault, times=times, method=method, path_prefix=path_prefix, retry_after=retry_after, delay=delay
        )

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
        self.core.faults.set_random(
            rate, kinds, seed, method=method, path_prefix=path_prefix, retry_after=retry_after, delay=delay
        )

    def clear_faults(self) -> None:
        """Drop queued faults and disable random faults."""
        self.core.faults.clear()

    # ---------------------------------------------------------------------------------- auth
    @property
    def client_id(self) -> str:
        return self.auth.client_id

    @property
    def client_secret(self) -> str:
        return self.auth.client_secret

    @property
    def scopes(self) -> tuple[str, ...]:
        return self.auth.scopes

    @property
    def token_grants(self) -> int:
        """Tokens granted (since :meth:`reset_log`)."""
        return self.auth.token_grants

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes invalid (401 invalid_token); new grants work."""
        self.auth.revoke_tokens()

    def on_token(self, listener: GrantListener) -> None:
        """Call ``listener`` with every access token granted from now on."""
        self.auth.on_grant(listener)

    def token_scopes(self, headers: Mapping[str, str]) -> frozenset[str]:
        """The scopes of a request's bearer token; raises the 401 ``invalid_token`` answer without one."""
        return self.auth.token_scopes(headers)

    # ------------------------------------------------------------------------------- handling
    def _handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Response:
        return answer(self._route, method, path, query, headers, body)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Response | None:
        for handle in self._mounted:
            response = handle(method, path, query, headers, body)
            if response is not None:
                return response
        if path == "/oauth/token" or path.startswith("/oauth/"):
            return self.auth.handle(method, path, query, headers, body)
        return self.project_api.handle(method, path, query, headers, body)


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
