"""Test helpers: a fake commercetools HTTP API (standard library only) and pytest fixtures.

``from airflow_provider_commercetools.testing import FakeCommercetools``; the pytest fixtures
``commercetools_server`` and ``commercetools_connection`` are registered automatically (``pytest11``
entry point) when the package is installed.

A local commercetools for your own DAGs (the HTTP API, the Import API and Messages, seeded with a
small demo catalogue), in a process of its own until Ctrl-C::

    python -m airflow_provider_commercetools.testing serve --port 8989 --seed demo

It binds ``127.0.0.1`` and prints the connection to use, ``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT='{...}'``
(with the Import API's address as the ``import_url`` extra). Options: ``--host``, ``--port``,
``--import-port`` (default: the port after ``--port``), ``--project-key``, ``--client-id``,
``--client-secret``, ``--seed demo|none`` (see :mod:`.serve`).
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
