"""The layer's tests share one API client fixture on the test's fake commercetools (``ct``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.commercetools.clients import config_for


@pytest.fixture
def client(ct: FakeCommercetools, request: pytest.FixtureRequest) -> Iterator[CommercetoolsClient]:
    """A CommercetoolsClient on ``ct`` with the default retry policy, closed after the test;
    ``@pytest.mark.client_config(...)`` sets fields of its ClientConfig (retry, timeout, scopes...)."""
    marker = request.node.get_closest_marker("client_config")
    client = CommercetoolsClient(config_for(ct, **{"retry": None, **(marker.kwargs if marker else {})}))
    yield client
    client.close()
