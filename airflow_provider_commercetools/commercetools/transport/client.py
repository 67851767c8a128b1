"""The commercetools HTTP client on requests: pooled session, token grant, retries, typed errors, request log.

It knows nothing of Airflow; :class:`~airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook`
builds it from an Airflow connection. What a request is, what its answer means and when a write's
outcome is unknown is decided by the transport-independent core (``protocol``, ``exchange``,
``auth.BearerAuth``, ``retry``), shared with the async client.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests
from requests.hooks import dispatch_hook
from requests.structures import CaseInsensitiveDict
from requests.utils import requote_uri
from urllib3 import exceptions as urllib3_exceptions
from urllib3.exceptions import NameResolutionError, NewConnectionError, ProtocolError, ReadTimeoutError

from airflow_provider_commercetools.commercetools.errors import AuthenticationError, RequestError, TransportError
from airflow_provider_commercetools.commercetools.transport.auth import TOKEN_WANTED, BearerAuth, TokenProvider
from airflow_provider_commercetools.commercetools.transport.body import ACCEPT_ENCODING, READ_CHUNK, BodyReader
from airflow_provider_commercetools.commercetools.transport.config import CONNECT_TIMEOUT, ClientConfig
from airflow_provider_commercetools.commercetools.transport.core import (
    CLOCK_QUERY,
    GRANT_HINT,
    ClientCore,
    basic_credentials,
    log,
)
from airflow_provider_commercetools.commercetools.transport.deadline import BoundedAdapter, bounded_attempt
from airflow_provider_commercetools.commercetools.transport.exchange import Exchange, Result
from airflow_provider_commercetools.commercetools.transport.protocol import (
    IDEMPOTENT_METHODS,
    UNCERTAIN_STATUSES,
    USER_AGENT,
    Query,
    Request,
    Response,
    attempt_seconds,
    attempt_timed_out,
    cannot_connect,
    connect_timed_out,
    connection_lost,
    encode_query,
    invalid_url,
    log_attempt,
    no_response,
    read_response,
    read_token,
    reason,
    request_failed,
    tls_failed,
)

POOL_SIZE = 64

__all__ = [
    "GRANT_HINT",
    "IDEMPOTENT_METHODS",
    "POOL_SIZE",
    "UNCERTAIN_STATUSES",
    "USER_AGENT",
    "CommercetoolsClient",
    "Query",
    "basic_credentials",
    "encode_query",
    "log",
]

_frozen = False
_freeze_lock = threading.Lock()


def freeze_long_lived_objects() -> None:
    """Move the objects alive now (Airflow, the DAG, imported modules) out of the collector's sight,
    once per process (``gc.freeze()``).

    An export decodes thousands of dicts and lists per page; the collections they trigger would
    otherwise scan the whole Airflow-sized heap each time (about half of an export's time). The
    collector stays on for everything created afterwards. The young generations' garbage is collected
    first (about 2 ms); a full collection would scan the whole heap once more (about 130 ms in a task
    process, for some 70 unreachable objects): the old generation's few unreachable objects are frozen
    with the rest and freed when the task process ends.
    """
    global _frozen
    with _freeze_lock:
        if _frozen:
            return
        _frozen = True
    gc.collect(1)
    gc.freeze()


def read_body(answer: requests.Response, request: Request, limit: int) -> bytes:
    """The body of a streamed answer, decoded, at most ``limit`` bytes (see ``body.BodyReader``).

    The raw bytes are read in chunks of ``READ_CHUNK`` (1 MB: a page is a few reads, each of which gives
    up the GIL, instead of requests' 10 KB ones) and decompressed here, so that neither a huge body nor
    a small gzip body that inflates to gigabytes is held beyond the limit. urllib3's errors while
    reading are turned into requests' own, as ``Response.iter_content`` does.
    """
    reader = BodyReader(
        request, limit, answer.status_code, answer.headers.get("Content-Encoding"), answer.headers.get("Content-Length")
    )
    raw = answer.raw
    while True:
        try:
            data = raw.read(READ_CHUNK, decode_content=False)
        except ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error) from None
        except ReadTimeoutError as error:
            raise requests.exceptions.ConnectionError(error) from None
        except urllib3_exceptions.SSLError as error:
            raise requests.exceptions.SSLError(error) from None
        if not data:
            return reader.finish()
        reader.feed(data)


class CommercetoolsClient(ClientCore):
    """Sends requests to one commercetools project.

    :param config: URLs, credentials, scopes, timeout, retry policy.
    :param base_url: send to this host instead of ``config.api_url`` (e.g. ``config.import_url``);
        paths stay below the project key.
    :param session: a requests session to use (its proxies, CA bundle and adapters apply, and
        requests' environment handling: HTTP(S)_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, SSL_CERT_FILE).
    :param tokens: share another client's token cache (one grant for both).
    :param on_secret: called with the client secret, the Basic credentials and every access token,
        so that the caller can hide them from logs (Airflow's secrets masker).
    :param user_agent: sent as User-Agent; the hook appends the Airflow version.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        base_url: str | None = None,
        session: requests.Session | None = None,
        tokens: TokenProvider | None = None,
        on_secret: Callable[[str], None] | None = None,
        user_agent: str = USER_AGENT,
        logger: logging.Logger | Any = None,
    ) -> None:
        super().__init__(config, base_url=base_url, on_secret=on_secret, logger=logger)
        freeze_long_lived_objects()
        if session is None:
            session = requests.Session()
            adapter = BoundedAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
        self.session = session
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept-Encoding"] = ACCEPT_ENCODING  # what read_body decodes
        self.auth = tokens or TokenProvider(self._grant_token, on_token=on_secret)
        self.bearer = BearerAuth(self.auth, self.log)
        #: ``Session.request``'s settings from the session and the environment, per origin (see _settings)
        self._environment: dict[str, dict[str, Any]] = {}

    # -- public --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        payload: Any = None,
        idempotent: bool | None = None,
        correlation_id: str | None = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """Send ``method`` to ``{base_url}/{project_key}/{path}`` and return the parsed JSON body.

        HEAD returns True. Failures raise a :class:`RequestError` subclass. ``idempotent`` says
        whether a request whose response was lost may be sent again (default: by method;
        a POST only when the caller says so, e.g. an update guarded by its version). ``decode``
        replaces the JSON decoder of the body's bytes (pagination keeps each entity's text with it).
        """
        request = self._build(
            method,
            path,
            query=query,
            payload=payload,
            idempotent=idempotent,
            correlation_id=correlation_id,
            decode=decode,
        )
        exchange = Exchange(request)
        flow = self.bearer.auth_flow(request)
        step = next(flow)
        while True:
            try:
                if step is TOKEN_WANTED:
                    step = flow.send(self.auth.access_token())
                else:
                    assert isinstance(step, Request)
                    step = flow.send(self._with_retries(step, exchange))
            except StopIteration as done:
                return exchange.finish(done.value)

    def server_time(self, path: str) -> dt.datetime:
        """The earliest the server's time can be now, from the latest answer's ``Date``; when no answer has
        been seen yet, one cheap read first: ``GET {path}?limit=1&withTotal=false``."""
        if not self.server_clock.known:
            self.request("GET", path, query=CLOCK_QUERY)
        return self.server_clock.earliest()

    def close(self) -> None:
        self.session.close()

    # -- internals -----------------------------------------------------------------------------

    def _with_retries(self, request: Request, exchange: Exchange) -> Result:
        limit = time.monotonic() + self.config.retry.max_seconds

        def attempt(number: int) -> Any:
            try:
                return self._attempt(request, number, limit)
            except RequestError as error:
                exchange.observe(error)
                raise

        try:
            value = self.config.retry.call(
                attempt, idempotent=request.idempotent, describe=request.describe, logger=self.log
            )
        except RequestError as error:
            return Result(error=error)
        return Result(value=value)

    def _grant_token(self) -> tuple[str, float, str]:
        request, limit = self._token_request()
        try:
            data = self.config.retry.call(
                lambda number: self._attempt(request, number, limit),
                idempotent=True,
                describe=request.describe,
                logger=self.log,
            )
        except AuthenticationError as error:
            raise error.with_hint(GRANT_HINT) from None
        return read_token(request, data)

    def _attempt(self, request: Request, number: int, limit: float) -> Any:
        """One attempt, bounded as a whole: send, then turn the answer into parsed JSON or a typed error."""
        started = time.monotonic()
        status: int | str = "-"
        seconds = attempt_seconds(self.config.timeout, CONNECT_TIMEOUT, limit)
        try:
            with bounded_attempt(seconds) as bound:
                prepared = self._prepare(request)
                answer = self.session.get_adapter(request.url).send(
                    prepared,
                    timeout=(min(CONNECT_TIMEOUT, seconds), min(self.config.timeout, seconds)),
                    **self._settings(request.url),
                )
                if self.session.hooks["response"]:  # e.g. a request log on a session passed in
                    answer = dispatch_hook("response", self.session.hooks, answer)
                status = answer.status_code
                try:
                    content = read_body(answer, request, self.config.max_response_bytes)
                finally:
                    answer.close()  # after a complete read: the connection goes back to the pool
            status = answer.status_code
        except requests.RequestException as error:
            status = type(error).__name__
            if bound.expired:
                raise attempt_timed_out(request, seconds, sent=bound.sent) from None
            raise self._transport_error(error, request) from None
        finally:
            if self.config.log_requests:
                log_attempt(self.log, request, number, status, started)
        self._observe_date(request, answer.headers)
        response = Response(answer.status_code, answer.headers, content, answer.reason or "")
        return read_response(request, response)

    def _prepare(self, request: Request) -> requests.PreparedRequest:
        """The request as requests sends it, built directly instead of by ``Session.prepare_request``.

        ``prepare_request`` merges and re-validates what ``build_request`` has already made valid (the
        path quoted, the query encoded, the headers checked) and consults cookies, hooks and ~/.netrc:
        about a fifth of the client's CPU per create (BENCHMARKS.md, issue 23). What it would add is
        added here: the session's headers under the request's, its cookies when it has any,
        ``Content-Length``, and the URL requoted as requests does (IDNA for a non-ASCII host).
        ``Session.send`` is skipped too (redirects are never followed, cookies are not collected): the
        session's adapters, proxies, ``verify``, ``cert`` and response hooks apply, ~/.netrc does not.
        """
        prepared = requests.PreparedRequest()
        prepared.method = request.method
        url = request.url
        if request.params:
            url += "?" + urlencode(request.params)
        if url.isascii():
            prepared.url = requote_uri(url)
        else:
            prepared.prepare_url(url, None)
        headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(self.session.headers)
        headers.update(request.headers)
        body = request.body
        if body is not None:
            headers["Content-Length"] = str(len(body))
        elif request.method not in ("GET", "HEAD"):
            headers["Content-Length"] = "0"
        prepared.headers = headers
        prepared.body = body
        if self.session.cookies:
            prepared.prepare_cookies(self.session.cookies)
        return prepared

    def _settings(self, url: str) -> dict[str, Any]:
        """``proxies``, ``verify``, ``cert`` and ``stream`` for a request to ``url``, as ``Session.request`` merges
        them from the session and the environment (HTTP(S)_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE...), worked out
        once per origin (scheme, host and port: all that the proxies and NO_PROXY depend on) of this client.

        ``Session.request`` reads the whole environment (twice) on every request: about a fifth of the
        client's CPU per create (BENCHMARKS.md, fix C and issue 23). A task's environment is set before its
        client is made, so once per client is the same answer.
        """
        parts = url.split("/", 3)
        origin = "/".join(parts[:3])
        settings = self._environment.get(origin)
        if settings is None:
            settings = dict(self.session.merge_environment_settings(origin + "/", {}, True, self._verify(), None))
            self._environment[origin] = settings
        return {**settings, "proxies": dict(settings["proxies"])}

    def _verify(self) -> str | None:
        """requests reads REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE itself, but not OpenSSL's SSL_CERT_FILE
        (or SSL_CERT_DIR): honour those too, unless the session was given its own ``verify``."""
        if not self.session.trust_env or self.session.verify is not True:
            return None
        environ = os.environ
        if environ.get("REQUESTS_CA_BUNDLE") or environ.get("CURL_CA_BUNDLE"):
            return None
        return environ.get("SSL_CERT_FILE") or environ.get("SSL_CERT_DIR") or None

    def _transport_error(self, error: requests.RequestException, request: Request) -> TransportError:
        if isinstance(error, requests.exceptions.SSLError):
            return tls_failed(request, reason(error))
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return connect_timed_out(request, reason(error))
        if isinstance(error, requests.exceptions.ReadTimeout):
            return no_response(request, self.config.timeout)
        if isinstance(error, requests.exceptions.ConnectionError):
            cause = error.args[0] if error.args else None
            inner = getattr(cause, "reason", cause)
            if isinstance(inner, NewConnectionError | NameResolutionError):
                return cannot_connect(request, reason(error))
            return connection_lost(request, reason(error))
        if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
            return invalid_url(request, str(error))
        return request_failed(request, reason(error))
