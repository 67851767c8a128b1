"""What became of one item: its status, a summary (or the whole) of the answer, or its error.

A record is what the results and failures files hold, one per item, with the item's ``index``; a
record of an earlier run stands for its original item when it is given as an item again.
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
NOT_SENT = "not_sent"
SKIPPED = "skipped"
STATUSES: tuple[str, ...] = (SUCCEEDED, FAILED, NOT_SENT, SKIPPED)
#: Statuses whose records carry the original item, to be sent again.
TO_RESEND = frozenset({FAILED, NOT_SENT})

RESULT_KEYS = frozenset(
    {"index", "status", "request", "response", "error", "item", "recovered", "conflict_retries", "note"}
)
#: Fields of a response kept in a result by default (``keep_response=True`` keeps the whole answer).
SUMMARY_FIELDS = ("id", "version", "key", "container", "orderNumber")


@dataclass(frozen=True)
class UnreadableItem:
    """An input line that could not be read as JSON: it becomes a failed item, the rest goes on."""

    text: str
    problem: str


def describe_error(error: BaseException) -> dict[str, Any]:
    """What a result says about an error: type, HTTP status, codes, message, correlation id."""
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


@dataclass
class ItemResult:
    """What became of one item."""

    index: int
    status: str
    request: str
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    item: Any = None
    recovered: bool = False
    conflict_retries: int = 0
    note: str = ""
    #: the exception behind a failure (not part of the record)
    cause: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def outcome_unknown(self) -> bool:
        """A failure that may have been applied (its answer was lost)."""
        return self.status == FAILED and (self.error or {}).get("type") == OutcomeUnknownError.__name__

    def to_record(self, *, with_item: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; failed and not-sent records carry the original item (to send again)."""
        record: dict[str, Any] = {"index": self.index, "status": self.status, "request": self.request}
        if self.response is not None:
            record["response"] = self.response
        if self.error is not None:
            record["error"] = self.error
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
    """Whether ``value`` is a record written by a previous run (and not an item or an entity)."""
    return (
        isinstance(value, Mapping)
        and value.get("status") in STATUSES
        and isinstance(value.get("index"), int)
        and "request" in value
        and set(value) <= RESULT_KEYS
    )
