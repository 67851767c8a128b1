"""Test helpers: a fake commercetools HTTP API (standard library only) and pytest fixtures.

``from airflow_provider_commercetools.testing import FakeCommercetools``; the pytest fixtures
``commercetools_server`` and ``commercetools_connection`` are registered automatically (``pytest11``
entry point) when the package is installed.
"""

from __future__ import annotations

from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from airflow_provider_commercetools.testing.server import (
    FAULT_KINDS,
    FakeCommercetools,
    RecordedRequest,
    connection_json,
)

__all__ = ["FAULT_KINDS", "FakeCommercetools", "FakeImportApi", "FakeMessages", "RecordedRequest", "connection_json"]
