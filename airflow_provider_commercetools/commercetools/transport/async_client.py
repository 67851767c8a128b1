"""The commercetools HTTP client for coroutines (deferrable triggers), on httpx.

Same behaviour as :class:`~airflow_provider_commercetools.commercetools.transport.client.CommercetoolsClient`:
the same core builds each request, reads each answer into a value or a typed error, decides
retries (the same :class:`RetryPolicy`, slept with ``asyncio.sleep``) and "outcome unknown", and
the same :class:`BearerAuth` flow resends once after a 401. Concurrent coroutines share one token
grant (an asyncio lock).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import ssl
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx

from airflow_provider_commercetools.commercetools.errors import AuthenticationError, RequestError, TransportError
from airflow_provider_commercetools.commercetools.transport.auth import TOKEN_WANTED, BearerAuth, TokenProvider
from airflow_provider_commercetools.commercetools.transport.body import ACCEPT_ENCODING, READ_CHUNK, BodyReader
from airflow_provider_commercetools.commercetools.transport.client import POOL_SIZE
from airflow_provider_commercetools.commercetools.transport.config import CONNECT_TIMEOUT, ClientConfig
from airflow_provider_commercetools.commercetools.transport.core import CLOCK_QUERY, GRANT_HINT, ClientCore
from airflow_provider_commercetools.commercetools.transport.exchange import Exchange, Result
from airflow_provider_commercetools.commercetools.transport.protocol import (
    USER_AGENT,
    Query,
    Request,
    Response,
    attempt_seconds,
    attempt_timed_out,
    cannot_connect,
    connect_timed_out,
    connection_lost,
    invalid_url,
    log_attempt,
    no_response,
    read_response,
    read_token,
    reason,
    request_failed,
    tls_failed,
)


def ca_context() -> ssl.SSLContext | bool:
    """Verification as the requests client does it: REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set
    (httpx itself reads SSL_CERT_FILE and SSL_CERT_DIR, and uses certifi otherwise)."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not bundle:
        return True
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)


class AsyncCommercetoolsClient(ClientCore):
    """Sends requests to one commercetools project from coroutines; use it as ``async with``.

    :param config: URLs, credentials, scopes, timeout, retry policy.
    :param base_url: send to this host instead of ``config.api_url`` (e.g. ``config.import_url``).
    :param http: an ``httpx.AsyncClient`` to use (default: one with the connection's timeout, a
        pool of ``POOL_SIZE``, redirects not followed, and the environment's proxies and CA bundle).
    :param tokens: share a token cache with another async client.
    :param on_secret: called with the client secret, the Basic credentials and every access token.
    :param user_agent: sent as User-Agent.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        base_url: str | None = None,
        http: httpx.AsyncClient | None = None,
        tokens: TokenProvider | None = None,
        on_secret: Callable[[str], None] | None = None,
        user_agent: str = USER_AGENT,
        logger: logging.Logger | Any = None,
    ) -> None:
        super().__init__(config, base_url=base_url, on_secret=on_secret, logger=logger)
        if http is None:
            http = httpx.AsyncClient(
                timeout=httpx.Timeout(config.timeout, connect=CONNECT_TIMEOUT),
                limits=httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE),
                verify=ca_context(),
                follow_redirects=False,
                trust_env=True,
            )
        self.http = http
        self.http.headers["User-Agent"] = user_agent
        self.http.headers["Accept-Encoding"] = ACCEPT_ENCODING  # what BodyReader decodes
        self.auth = tokens or TokenProvider(async_grant=self._grant_token, on_token=on_secret)
        self.bearer = BearerAuth(self.auth, self.log)

    async def __aenter__(self) -> AsyncCommercetoolsClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        payload: Any = None,
        idempotent: bool | None = None,
        correlation_id: str | None = None,
    ) -> Any:
        """Send ``method`` to ``{base_url}/{project_key}/{path}`` and return the parsed JSON body.

        The same contract as ``CommercetoolsClient.request``: HEAD returns True, failures raise a
        :class:`RequestError` subclass, a write whose answer was lost raises OutcomeUnknownError.
        """
        request = self._build(
            method,
            path,
            query=query,
            payload=payload,
            idempotent=idempotent,
            correlation_id=correlation_id,
        )
        exchange = Exchange(request)
        flow = self.bearer.auth_flow(request)
        step = next(flow)
        while True:
            try:
                if step is TOKEN_WANTED:
                    step = flow.send(await self.auth.async_access_token())
                else:
                    assert isinstance(step, Request)
                    step = flow.send(await self._with_retries(step, exchange))
            except StopIteration as done:
                return exchange.finish(done.value)

    async def server_time(self, path: str) -> dt.datetime:
        """The earliest the server's time can be now (see ``CommercetoolsClient.server_time``)."""
        if not self.server_clock.known:
            await self.request("GET", path, query=CLOCK_QUERY)
        return self.server_clock.earliest()

    # -- internals -----------------------------------------------------------------------------

    async def _with_retries(self, request: Request, exchange: Exchange) -> Result:
        limit = time.monotonic() + self.config.retry.max_seconds

        async def attempt(number: int) -> Any:
            try:
                return await self._attempt(request, number, limit)
            except RequestError as error:
                exchange.observe(error)
                raise

        try:
            value = await self.config.retry.acall(
                attempt, idempotent=request.idempotent, describe=request.describe, logger=self.log
            )
        except RequestError as error:
            return Result(error=error)
        return Result(value=value)

    async def _grant_token(self) -> tuple[str, float, str]:
        request, limit = self._token_request()

        async def attempt(number: int) -> Any:
            return await self._attempt(request, number, limit)

        try:
            data = await self.config.retry.acall(attempt, idempotent=True, describe=request.describe, logger=self.log)
        except AuthenticationError as error:
            raise error.with_hint(GRANT_HINT) from None
        return read_token(request, data)

    async def _attempt(self, request: Request, number: int, limit: float) -> Any:
        """One attempt, bounded as a whole (connecting, name resolution, headers and body)."""
        started = time.monotonic()
        status: int | str = "-"
        seconds = attempt_seconds(self.config.timeout, CONNECT_TIMEOUT, limit)
        try:
            answer, content = await asyncio.wait_for(self._exchange(request), timeout=seconds)
            status = answer.status_code
        except asyncio.TimeoutError:
            status = "timeout"
            raise attempt_timed_out(request, seconds, sent=True) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            status = type(error).__name__
            raise self._transport_error(error, request) from None
        finally:
            if self.config.log_requests:
                log_attempt(self.log, request, number, status, started)
        self._observe_date(request, answer.headers)
        response = Response(answer.status_code, answer.headers, content, answer.reason_phrase or "")
        return read_response(request, response)

    async def _exchange(self, request: Request) -> tuple[httpx.Response, bytes]:
        """Send the request and read its body within ``max_response_mb`` (raw chunks, decoded by ``BodyReader``)."""
        async with self.http.stream(
            request.method,
            request.url,
            params=tuple(request.params),
            content=request.body,
            headers=dict(request.headers),
        ) as answer:
            reader = BodyReader(
                request,
                self.config.max_response_bytes,
                answer.status_code,
                answer.headers.get("Content-Encoding"),
                answer.headers.get("Content-Length"),
            )
            async for data in answer.aiter_raw(READ_CHUNK):
                reader.feed(data)
            return answer, reader.finish()

    def _transport_error(self, error: Exception, request: Request) -> TransportError:
        text = reason(error) or type(error).__name__
        if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
            return connect_timed_out(request, text)
        if isinstance(error, httpx.TimeoutException):
            return no_response(request, self.config.timeout)
        if isinstance(error, httpx.ConnectError | httpx.ProxyError):
            if _caused_by(error, ssl.SSLError):
                return tls_failed(request, text)
            return cannot_connect(request, text)
        if isinstance(error, httpx.NetworkError | httpx.RemoteProtocolError):
            return connection_lost(request, text)
        if isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return invalid_url(request, text)
        return request_failed(request, text)


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
