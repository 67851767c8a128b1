"""A small async client for the Import API's reads, on httpx, with the sync client's token and retry rules.

The triggerer runs one event loop for every trigger, so polling must not block it. This adapter
sends GETs with ``httpx.AsyncClient`` and shares the rest with the sync client: the
:class:`~airflow_provider_commercetools.commercetools.auth.TokenProvider` (one cached token; a grant
runs in a thread), the :class:`~airflow_provider_commercetools.commercetools.retry.RetryPolicy`
(what is retryable, the backoff, Retry-After) and the typed errors (``error_from_response``), so
that a 401 re-grants once and 429/502/503/504 or a dropped connection are retried as everywhere.
httpx because Airflow already depends on it (2.11 and 3.x): no new dependency.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

from airflow_provider_commercetools.commercetools.auth import TokenProvider
from airflow_provider_commercetools.commercetools.client import USER_AGENT, Query, encode_query, error_from_response
from airflow_provider_commercetools.commercetools.config import CONNECT_TIMEOUT, ClientConfig
from airflow_provider_commercetools.commercetools.errors import (
    AuthenticationError,
    RequestError,
    RetriesExhaustedError,
    TransportError,
    UnexpectedResponseError,
)

log = logging.getLogger(__name__)


class _Answer:
    """An httpx response with the attributes ``error_from_response`` reads of a requests response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = response.headers
        self.content = response.content
        self.text = response.text
        self.reason = response.reason_phrase
        self._response = response

    def json(self) -> Any:
        return self._response.json()


class AsyncImportClient:
    """GETs below ``{config.api_url}/{project_key}`` (the import URL), with ``auth``'s token."""

    def __init__(
        self, config: ClientConfig, auth: TokenProvider, *, user_agent: str = USER_AGENT, logger: Any = None
    ) -> None:
        self.config = config
        self.auth = auth
        self.log = logger or log
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=CONNECT_TIMEOUT),
            headers={"User-Agent": user_agent},
            follow_redirects=False,
            trust_env=True,
        )

    async def __aenter__(self) -> AsyncImportClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, *, query: Query | None = None) -> Any:
        """Send a read and return its JSON; failures raise the same typed errors as the sync client."""
        method = method.upper()
        if method not in ("GET", "HEAD"):
            raise ValueError("the async import client only reads")
        url_path = f"/{self.config.project_key}/{path.strip('/')}"
        describe = f"{method} {url_path}"
        policy = self.config.retry
        for auth_try in (1, 2):
            token = await asyncio.to_thread(self.auth.access_token)
            started = time.monotonic()
            attempt = 0
            while True:
                attempt += 1
                try:
                    return await self._attempt(method, url_path, query, token)
                except AuthenticationError:
                    self.auth.invalidate(token)
                    if auth_try == 2:
                        raise
                    break
                except RequestError as error:
                    elapsed = time.monotonic() - started
                    if not policy.is_retryable(error, True):
                        raise
                    if attempt >= policy.max_attempts or elapsed >= policy.max_seconds:
                        raise RetriesExhaustedError(
                            f"gave up after {attempt} attempts; last error: {error.message}",
                            attempts=attempt,
                            last_error=error,
                            **error.context(),
                            hint="commercetools or the network kept failing; the task can be retried later",
                        ) from error
                    sleep = policy.backoff(attempt, error)
                    self.log.warning(
                        "commercetools %s failed on attempt %d of %d: %s; retrying in %.2f s",
                        describe,
                        attempt,
                        policy.max_attempts,
                        error,
                        sleep,
                    )
                    await asyncio.sleep(sleep)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, method: str, url_path: str, query: Query | None, token: str) -> Any:
        correlation_id = f"airflow-{uuid.uuid4()}"
        try:
            response = await self._http.request(
                method,
                self.config.api_url + url_path,
                params=httpx.QueryParams(urlencode(encode_query(query))),
                headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation_id},
            )
        except httpx.TimeoutException as error:
            raise TransportError(
                f"no response within the {self.config.timeout:g} s timeout ({type(error).__name__})",
                sent=True,
                method=method,
                path=url_path,
                correlation_id=correlation_id,
            ) from None
        except httpx.TransportError as error:
            raise TransportError(
                f"connection failed: {type(error).__name__}: {error}"[:300],
                sent=True,
                method=method,
                path=url_path,
                correlation_id=correlation_id,
            ) from None
        correlation_id = response.headers.get("X-Correlation-ID", correlation_id)
        if response.status_code >= 400:
            raise error_from_response(_Answer(response), method, url_path, correlation_id)  # type: ignore[arg-type]
        if method == "HEAD":
            return True
        try:
            return response.json()
        except ValueError:
            raise UnexpectedResponseError(
                "the response is not JSON",
                method=method,
                path=url_path,
                status_code=response.status_code,
                correlation_id=correlation_id,
                hint="Check that the connection's import_url points to the Import API",
            ) from None
