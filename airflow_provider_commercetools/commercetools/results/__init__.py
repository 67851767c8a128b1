"""The results model shared by every writer (publisher, Import API, and the sync operator to come).

One record type (:class:`ItemResult`) with one status vocabulary (``succeeded``, ``failed``,
``not_sent``, ``skipped``, and ``pending`` that the Import API adds); a :class:`Writer` says which
statuses and record fields a writer writes (:data:`PUBLISHING`, :data:`IMPORTING`). One report
(:class:`Report`: counts, bounded lists, the XCom summary, the error message) and one error
hierarchy (:class:`BatchFailedError`, with :class:`PublishFailedError` and :class:`ImportFailedError`).
One writer of the results and failures files (:class:`ResultFiles`), with the publisher's journal.

- :mod:`.records`: statuses, :class:`ItemResult` and its JSON record, how an error is described;
- :mod:`.report`: :class:`Report`, the errors, where the failures file goes;
- :mod:`.files`: :class:`ResultFiles`.

It imports neither ``writing`` nor ``imports``: they build on it.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.results.files import ResultFiles
from airflow_provider_commercetools.commercetools.results.records import (
    ALL_STATUSES,
    FAILED,
    IMPORT_KEYS,
    IMPORTING,
    NOT_SENT,
    PENDING,
    PUBLISHING,
    RESULT_KEYS,
    SKIPPED,
    STATUSES,
    SUCCEEDED,
    TO_RESEND,
    ItemResult,
    UnreadableItem,
    Writer,
    describe_error,
    is_result_record,
)
from airflow_provider_commercetools.commercetools.results.report import (
    BatchFailedError,
    ImportFailedError,
    PublishFailedError,
    PublishReport,
    Report,
    failures_location,
)

__all__ = [
    "ALL_STATUSES",
    "FAILED",
    "IMPORTING",
    "IMPORT_KEYS",
    "NOT_SENT",
    "PENDING",
    "PUBLISHING",
    "RESULT_KEYS",
    "SKIPPED",
    "STATUSES",
    "SUCCEEDED",
    "TO_RESEND",
    "BatchFailedError",
    "ImportFailedError",
    "ItemResult",
    "PublishFailedError",
    "PublishReport",
    "Report",
    "ResultFiles",
    "UnreadableItem",
    "Writer",
    "describe_error",
    "failures_location",
    "is_result_record",
]
