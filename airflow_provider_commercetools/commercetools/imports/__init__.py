"""Bulk writes through the commercetools Import API, on the shared results model.

- :mod:`.resources`: the resource types, processing states and limits, as data (from the API's spec);
- :mod:`.api`: the Import API's requests (containers, import requests, summaries, operations);
- :mod:`.items`: read the items and check them (before any request);
- :mod:`.importer`: :class:`Importer`: send in requests of 20, wait, collect, report;
- :mod:`.tracking`: this run's operations by id, their states from state-filtered queries (no offset past 10,000);
- :mod:`.journal`: where the operation ids are kept for a retry or a deferral;
- :mod:`.records`: the wait rule (:class:`WaitPolicy`) and a record's status from its ImportOperation.

Its records, report, error and files are :mod:`airflow_provider_commercetools.commercetools.results`'
(``ImportFailedError`` and ``ImportReport`` are importable from here and from :mod:`.records`).
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.importer import Importer
from airflow_provider_commercetools.commercetools.imports.items import PreparedItem, load_items
from airflow_provider_commercetools.commercetools.imports.records import (
    FINISHED,
    NOT_WAITED,
    TIMEOUT,
    UNRESOLVED_TIMEOUT,
    ImportFailedError,
    ImportReport,
    WaitPolicy,
)
from airflow_provider_commercetools.commercetools.imports.resources import (
    MAX_RESOURCES_PER_REQUEST,
    PROCESSING_STATES,
    RESOURCE_TYPES,
    ImportResourceType,
    container_key_for,
    get_resource_type,
)

__all__ = [
    "FINISHED",
    "MAX_RESOURCES_PER_REQUEST",
    "NOT_WAITED",
    "PROCESSING_STATES",
    "RESOURCE_TYPES",
    "TIMEOUT",
    "UNRESOLVED_TIMEOUT",
    "ImportApi",
    "ImportFailedError",
    "ImportReport",
    "ImportResourceType",
    "Importer",
    "PreparedItem",
    "WaitPolicy",
    "container_key_for",
    "get_resource_type",
    "load_items",
]
