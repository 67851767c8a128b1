"""A client of the fake's Import API for the layer's tests (one place that builds its config)."""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi

PK = "test-project"


def import_client(server: Any, imports: FakeImportApi, scopes: list[str] | None = None) -> CommercetoolsClient:
    """A client of ``imports`` (the fake's Import API) authenticated by ``server``, with quick retries."""
    config = ClientConfig.create(
        project_key=PK,
        client_id=server.client_id,
        client_secret=server.client_secret,
        api_url=imports.url,
        auth_url=server.url,
        retry=RetryPolicy(initial_backoff=0.01, max_backoff=0.05),
        **({"scopes": scopes} if scopes is not None else {}),
    )
    return CommercetoolsClient(config)
