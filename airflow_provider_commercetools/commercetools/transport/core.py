"""What the requests client and the httpx client share before any I/O: their setup and their requests.

Both clients check the base URL, register the secrets with the caller's masker, build every request
with the transport-independent core (``protocol.build_request``) and the token request with
``protocol.build_token_request``; only sending differs (blocking or awaited).
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_commercetools.commercetools.transport.auth import TokenProvider
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.transport.protocol import (
    Query,
    Request,
    build_request,
    build_token_request,
)
from airflow_provider_commercetools.commercetools.transport.safety import check_url
from airflow_provider_commercetools.commercetools.transport.server_clock import ServerClock

# One stdlib logger for the provider: Airflow routes it into the task log (and masks secrets there).
log = logging.getLogger("airflow_provider_commercetools")

#: The query of the one read :meth:`server_time` sends when no answer has been seen yet: one entity
#: without its total (the cheapest page a collection answers; needs only the read's own scope).
CLOCK_QUERY = {"limit": "1", "withTotal": "false"}

GRANT_HINT = (
    "The auth service rejected the client id or secret: check the connection's Login and "
    "Password against the API client (Merchant Center > Settings > Developer settings > API clients)"
)


def basic_credentials(client_id: str, client_secret: str) -> str:
    """base64(client_id:client_secret), as sent in the grant's Basic header."""
    return base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


class ClientCore:
    """The configuration, base URL, logger and secrets of a client, and the requests it sends.

    :param config: URLs, credentials, scopes, timeout, retry policy.
    :param base_url: send to this host instead of ``config.api_url`` (e.g. ``config.import_url``).
    :param on_secret: called with the client secret and the Basic credentials (and, by the client's
        token provider, every access token), so that the caller can hide them from logs.
    """

    auth: TokenProvider

    def __init__(
        self,
        config: ClientConfig,
        *,
        base_url: str | None,
        on_secret: Callable[[str], None] | None,
        logger: logging.Logger | Any,
    ) -> None:
        self.config = config
        self.base_url = check_url(
            "base_url", base_url or config.api_url, allow_insecure_http=config.allow_insecure_http
        )
        self.log = logger or log
        #: the project API's clock, from the ``Date`` of every answer of ``base_url`` (not the auth server's)
        self.server_clock = ServerClock()
        self._basic = basic_credentials(config.client_id, config.client_secret)
        if on_secret:
            on_secret(config.client_secret)
            on_secret(self._basic)

    @property
    def granted_scope(self) -> str:
        return self.auth.scope

    def _build(
        self,
        method: str,
        path: str,
        *,
        query: Query | None,
        payload: Any,
        idempotent: bool | None,
        correlation_id: str | None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Request:
        """The request for ``{base_url}/{project_key}/{path}``, checked (see ``protocol.build_request``)."""
        return build_request(
            self.base_url,
            self.config.project_key,
            method,
            path,
            query=query,
            payload=payload,
            idempotent=idempotent,
            correlation_id=correlation_id,
            decode=decode,
        )

    def _observe_date(self, request: Request, headers: Any) -> None:
        """Note the ``Date`` of an answer of this client's API (the auth server's clock is not the API's)."""
        if request.url.startswith(self.base_url):
            self.server_clock.observe(headers)

    def _token_request(self) -> tuple[Request, float]:
        """The client-credentials grant, and the monotonic time its retries must end by."""
        request = build_token_request(self.config.auth_url, self.config.scopes, self._basic)
        return request, time.monotonic() + self.config.retry.max_seconds
