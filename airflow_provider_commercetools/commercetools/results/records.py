"""What became of one item, for every writer (publisher, Import API): its status, answer or error.

A record is what the results and failures files hold, one per item, with the item's ``index``; a
record of an earlier run stands for its original item when it is given as an item again. Every
writer uses the one status vocabulary and :class:`ItemResult`; a :class:`Writer` says which of the
statuses and record fields it writes (the Import API adds ``pending`` and the operation's fields).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import (
    ConfigurationError,
    OutcomeUnknownError,
    RequestError,
    RetriesExhaustedError,
)

SUCCEEDED = "succeeded"
FAILED = "failed"
#: sent, not final when the run stopped waiting (the Import API's asynchronous operations)
PENDING = "pending"
NOT_SENT = "not_sent"
SKIPPED = "skipped"
#: not sent by this run: an earlier run or attempt sent it and its outcome is unknown (it may have been applied),
#: and nothing identifies it to look it up (a create without a key); sent again only with ``resend_unknown``
OUTCOME_UNKNOWN = "outcome_unknown"
#: The Import API's statuses.
IMPORT_STATUSES: tuple[str, ...] = (SUCCEEDED, FAILED, PENDING, NOT_SENT, SKIPPED)
#: Every record status, whichever writer wrote it.
ALL_STATUSES: tuple[str, ...] = (*IMPORT_STATUSES, OUTCOME_UNKNOWN)
#: The publisher's statuses (a request is answered at once: nothing stays pending).
STATUSES: tuple[str, ...] = (SUCCEEDED, FAILED, NOT_SENT, SKIPPED, OUTCOME_UNKNOWN)
#: Statuses whose records carry the original item, to be sent again.
TO_RESEND = frozenset({FAILED, PENDING, NOT_SENT, OUTCOME_UNKNOWN})
#: Statuses of records that fail the task (besides ``pending`` after a wait).
UNFINISHED = frozenset({FAILED, NOT_SENT, OUTCOME_UNKNOWN})

_COMMON_KEYS = frozenset({"index", "status", "request", "error", "item", "note"})
#: The fields of the publisher's records.
RESULT_KEYS = _COMMON_KEYS | {"response", "recovered", "conflict_retries"}
#: The fields of the Import API's records (the item's key and its ImportOperation).
IMPORT_KEYS = _COMMON_KEYS | {"key", "state", "operation_id", "resource_version", "errors", "unresolved_references"}
#: Fields of a response kept in a result by default (``keep_response=True`` keeps the whole answer).
SUMMARY_FIELDS = ("id", "version", "key", "container", "orderNumber")


@dataclass(frozen=True)
class UnreadableItem:
    """An input line that could not be read as JSON: it becomes a failed item, the rest goes on."""

    text: str
    problem: str


def describe_error(error: BaseException) -> dict[str, Any]:
    """What a result says about an error: type, HTTP status, codes, message, correlation id, and the fields
    of a ``DuplicateField`` answer (``duplicate_fields``; names only, never the values)."""
    summary: dict[str, Any] = {"type": type(error).__name__}
    if isinstance(error, RequestError):
        summary.update(status=error.status_code, codes=list(error.codes))
    if isinstance(error, ConfigurationError):
        summary["parameter"] = error.parameter
    if isinstance(error, RetriesExhaustedError):
        summary["attempts"] = error.attempts
    summary["message"] = str(error) or repr(error)
    if isinstance(error, RequestError):
        summary["correlation_id"] = error.correlation_id
        duplicates = [
            str(e["field"])[:256]
            for e in error.errors
            if isinstance(e, dict) and e.get("code") == "DuplicateField" and isinstance(e.get("field"), str)
        ]
        if duplicates:  # which unique value clashed: the key (created meanwhile) or another (a slug, an email...)
            summary["duplicate_fields"] = duplicates
    return summary


def summarise_response(body: Any, method: str) -> dict[str, Any]:
    """The identifying fields of a response (id, version, key...), never the whole entity."""
    if method == "HEAD":
        return {"exists": bool(body)}
    if isinstance(body, dict) and len(body) == 1:
        (only,) = body.values()  # customers answer {"customer": {...}}
        if isinstance(only, dict) and "id" in only:
            body = only
    if not isinstance(body, dict):
        return {}
    if isinstance(body.get("results"), list):
        return {k: body[k] for k in ("count", "total", "offset") if k in body}
    return {k: body[k] for k in SUMMARY_FIELDS if k in body and not isinstance(body[k], dict | list)}


def whole_response(body: Any, method: str) -> dict[str, Any]:
    """The whole answer (``keep_response=True``): a dict as it came, anything else as ``{"body": ...}``."""
    if method == "HEAD":
        return {"exists": bool(body)}
    value = _json_safe(body)
    return value if isinstance(value, dict) else {"body": value}


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return {"unserialisable": short(value)}
    return value


@dataclass(frozen=True)
class Writer:
    """What one writer puts in its records and reports: its statuses, record fields and words."""

    #: the statuses it writes, in the order of its counts
    statuses: tuple[str, ...]
    #: the record fields it writes (a record of an earlier run has no others)
    keys: frozenset[str]
    #: what the report says: "commercetools {action} failed: N {noun}: X {succeeded}, ..."
    action: str
    noun: str
    succeeded: str
    #: "To {verb} the failed {noun} again, run with items=<the failures file>."
    verb: str
    #: what the error says without an output file
    file_hint: str
    #: counts beside the statuses in the summary: ``recovered`` and ``conflict_retries``, or ``states``
    extra_counts: tuple[str, ...]
    #: a failed record's line in the error names its ``key``
    names_key: bool = False

    def is_record(self, value: Any) -> bool:
        """Whether ``value`` is a record this writer wrote in an earlier run (and not an item or an entity)."""
        return (
            isinstance(value, Mapping)
            and value.get("status") in self.statuses
            and isinstance(value.get("index"), int)
            and "request" in value
            and set(value) <= self.keys
        )


PUBLISHING = Writer(
    STATUSES,
    RESULT_KEYS,
    action="publishing",
    noun="items",
    succeeded=SUCCEEDED,
    verb="send",
    file_hint="Set output_path to get every failed item in a file to re-send.",
    extra_counts=("recovered", "conflict_retries"),
)
IMPORTING = Writer(
    IMPORT_STATUSES,
    IMPORT_KEYS,
    action="import",
    noun="resources",
    succeeded="imported",
    verb="import",
    file_hint="Set output_path to get every failed resource in a file.",
    extra_counts=("states",),
    names_key=True,
)


@dataclass
class ItemResult:
    """What became of one item: the one record type of every writer (unset fields are left out of its record)."""

    index: int
    status: str
    request: str
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    item: Any = None
    recovered: bool = False
    conflict_retries: int = 0
    note: str = ""
    # the Import API's: the item's key and its ImportOperation
    key: str | None = None
    state: str | None = None
    operation_id: str | None = None
    resource_version: int | None = None
    errors: list[Any] = field(default_factory=list)
    unresolved_references: list[Any] = field(default_factory=list)
    #: the exception behind a failure (not part of the record)
    cause: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def outcome_unknown(self) -> bool:
        """A failure that may have been applied (its answer was lost, in this run or an earlier one)."""
        if self.status == OUTCOME_UNKNOWN:
            return True
        return self.status == FAILED and (self.error or {}).get("type") == OutcomeUnknownError.__name__

    def to_record(self, *, with_item: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; failed and not-sent records carry the original item (to send again)."""
        record: dict[str, Any] = {"index": self.index, "status": self.status, "request": self.request}
        if self.response is not None:
            record["response"] = self.response
        for name in ("key", "state", "operation_id", "resource_version", "error"):
            value = getattr(self, name)
            if value is not None:
                record[name] = value
        if self.errors:
            record["errors"] = self.errors
        if self.unresolved_references:
            record["unresolved_references"] = self.unresolved_references
        if self.recovered:
            record["recovered"] = True
        if self.conflict_retries:
            record["conflict_retries"] = self.conflict_retries
        if self.note:
            record["note"] = self.note
        if with_item and self.status in TO_RESEND:
            record["item"] = _json_safe(self.item)
        return record


def is_result_record(value: Any) -> bool:
    """Whether ``value`` is a record written by a previous publisher run (and not an item or an entity)."""
    return PUBLISHING.is_record(value)
