"""Fixtures of the reliability suite: a faulty fake server and a connection with a fast retry policy."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from airflow_provider_commercetools.testing import connection_json
from tests.reliability.faults import FaultyCommercetools

CONN_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
#: The connection extras of the fault suite: a short timeout (slow answers are faults), and a retry
#: policy with enough attempts for a 25% fault rate and almost no backoff (the suite must be fast).
FAST_RETRIES = {
    "timeout": 0.5,
    "retry_max_attempts": 10,
    "retry_max_seconds": 60,
    "retry_initial_backoff": 0.01,
}


@pytest.fixture
def faulty_server() -> Iterator[FaultyCommercetools]:
    """A started :class:`FaultyCommercetools` whose client secret is unique to the test."""
    server = FaultyCommercetools(client_secret=f"secret-{secrets.token_urlsafe(16)}").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def faulty_connection(faulty_server: FaultyCommercetools, monkeypatch: pytest.MonkeyPatch) -> FaultyCommercetools:
    """``faulty_server`` and the ``commercetools_default`` connection to it, with :data:`FAST_RETRIES`."""
    monkeypatch.setenv(CONN_ENV, connection_json(faulty_server, **FAST_RETRIES))
    return faulty_server
