"""Publishing batches to commercetools: items become validated requests, sent concurrently, one result each.

It knows nothing of Airflow: ``CommercetoolsPublisherOperator`` renders its parameters, hands them to
:class:`Publisher` and writes the results. One concept per module:

- :mod:`.items`: what ``items`` is (a list, a file, an earlier run's summary) and how an item is
  merged over the defaults;
- :mod:`.building`: an item becomes a :class:`PreparedRequest`, driven by the entity table's write
  behaviour (``Entity.post_to_collection``, ``Entity.lookup_by``): a new entity is a table row;
- :mod:`.sending`: one request sent, with conflicts (409), lost-create recovery and duplicates compared;
- :mod:`.compare`: the field paths where an existing resource differs from a draft;
- :mod:`.duplicates`: a keyed create answered ``DuplicateField``, compared with its existing resource;
- :mod:`.publisher`: validation of a batch, worker threads, results as they complete, stopping;
- :mod:`.journal`: the write-ahead journal on the storage of ``output_path`` (small objects);
- :mod:`.resume`: what interrupted earlier attempts did, from the journal and records they left;
- :mod:`.liveness`: noticing that the worker which started the task is gone;
- :mod:`.run`: one run of the operator: its items, its results files, the loop over the results.

The records, the report and the results files are :mod:`airflow_provider_commercetools.commercetools.results`,
shared with the Import API; the names re-exported here stay importable from ``writing``.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.results.records import (
    FAILED,
    NOT_SENT,
    RESULT_KEYS,
    SKIPPED,
    STATUSES,
    SUCCEEDED,
    SUMMARY_FIELDS,
    TO_RESEND,
    ItemResult,
    UnreadableItem,
    describe_error,
    is_result_record,
    summarise_response,
)
from airflow_provider_commercetools.commercetools.results.report import (
    PublishFailedError,
    PublishReport,
    failures_location,
)
from airflow_provider_commercetools.commercetools.writing.building import (
    CREATE,
    DELETE,
    METHODS,
    READ,
    READ_METHODS,
    UPDATE,
    UPSERT,
    WRITE,
    PreparedRequest,
    PublishDefaults,
    build_request,
    check_method,
)
from airflow_provider_commercetools.commercetools.writing.items import ITEM_KEYS, ItemsFile, items_source
from airflow_provider_commercetools.commercetools.writing.publisher import (
    MAX_WORKERS,
    ON_CONFLICT,
    ON_ERROR,
    Publisher,
    check_max_workers,
)
from airflow_provider_commercetools.commercetools.writing.resume import EarlierAttempts, fingerprint
from airflow_provider_commercetools.commercetools.writing.sending import MAX_CREATE_RESENDS, Sender

__all__ = [
    "CREATE",
    "DELETE",
    "FAILED",
    "ITEM_KEYS",
    "MAX_CREATE_RESENDS",
    "MAX_WORKERS",
    "METHODS",
    "NOT_SENT",
    "ON_CONFLICT",
    "ON_ERROR",
    "READ",
    "READ_METHODS",
    "RESULT_KEYS",
    "SKIPPED",
    "STATUSES",
    "SUCCEEDED",
    "SUMMARY_FIELDS",
    "TO_RESEND",
    "UPDATE",
    "UPSERT",
    "WRITE",
    "EarlierAttempts",
    "ItemResult",
    "ItemsFile",
    "PreparedRequest",
    "PublishDefaults",
    "PublishFailedError",
    "PublishReport",
    "Publisher",
    "Sender",
    "UnreadableItem",
    "build_request",
    "check_max_workers",
    "check_method",
    "describe_error",
    "failures_location",
    "fingerprint",
    "is_result_record",
    "items_source",
    "summarise_response",
]
