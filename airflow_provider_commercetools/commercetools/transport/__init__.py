"""The request path: one way every request is built, checked, authorised, sent, retried and read.

- :mod:`.protocol`: building a request and reading its answer into a value or a typed error,
  independent of the HTTP library;
- :mod:`.safety`: the checks every request passes (method, project key, path segments, URLs) and
  the redaction of secrets in text;
- :mod:`.auth`: the OAuth2 token and the 401 -> new token -> resend-once step (``BearerAuth.auth_flow``);
- :mod:`.exchange`: "may this write have been applied" (outcome unknown after a lost answer);
- :mod:`.retry`: the one retry policy (backoff with jitter, ``Retry-After``, a time budget);
- :mod:`.deadline`: each attempt bounded as a whole (connect, DNS, headers and body);
- :mod:`.config`: the connection as the clients need it (URLs or a region, project key, scopes,
  timeouts, the retry policy);
- :mod:`.core`: what the two clients share; :mod:`.client` (requests, sync) and
  :mod:`.async_client` (httpx, for triggers) only move bytes.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.auth import BearerAuth, Token, TokenProvider
from airflow_provider_commercetools.commercetools.transport.client import POOL_SIZE, CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.protocol import USER_AGENT, Request, Response
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy

__all__ = [
    "POOL_SIZE",
    "USER_AGENT",
    "AsyncCommercetoolsClient",
    "BearerAuth",
    "CommercetoolsClient",
    "Request",
    "Response",
    "RetryPolicy",
    "Token",
    "TokenProvider",
]
