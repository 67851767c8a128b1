"""pytest fixtures for testing against the fake commercetools API.

Registered as a ``pytest11`` entry point, so it is imported by every pytest run in an environment
where the provider is installed: it must stay cheap to import (standard library and pytest only;
never Airflow).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
    from airflow_provider_commercetools.testing.server import FakeCommercetools

CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"


@pytest.fixture
def commercetools_server() -> Iterator[FakeCommercetools]:
    """A started :class:`FakeCommercetools` (default project / client), stopped after the test."""
    from airflow_provider_commercetools.testing.server import FakeCommercetools

    server = FakeCommercetools().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def commercetools_connection(
    commercetools_server: FakeCommercetools, monkeypatch: pytest.MonkeyPatch
) -> FakeCommercetools:
    """``commercetools_server`` plus the ``commercetools_default`` Airflow connection pointing at it
    (set through the ``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT`` environment variable)."""
    from airflow_provider_commercetools.testing.server import connection_json

    monkeypatch.setenv(CONNECTION_ENV, connection_json(commercetools_server))
    return commercetools_server


@pytest.fixture
def commercetools_import_api(commercetools_server: FakeCommercetools, monkeypatch: pytest.MonkeyPatch) -> FakeImportApi:
    """The fake Import API of ``commercetools_server`` (an address of its own), and the
    ``commercetools_default`` connection pointing at both (its ``import_url`` extra).

    Asynchronous like commercetools: operations are processed ``processing_delay`` (0.1 s) after
    they arrive and summaries lag by ``summary_delay`` (0.5 s); set either on the returned object."""
    from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
    from airflow_provider_commercetools.testing.server import connection_json

    import_api = FakeImportApi(commercetools_server)
    monkeypatch.setenv(CONNECTION_ENV, connection_json(commercetools_server, import_url=import_api.url))
    return import_api
