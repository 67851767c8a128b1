"""What became of each resource of an import: records in the publisher's format, counts, and the wait rule."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError
from airflow_provider_commercetools.commercetools.imports.resources import (
    FAILED_STATES,
    IMPORTED,
    PROCESSING,
    PROCESSING_STATES,
    UNRESOLVED,
    WAIT_FOR_MASTER_VARIANT,
)

# record statuses: the publisher's, and "pending" (sent, not final when the run stopped waiting)
SUCCEEDED = "succeeded"
FAILED = "failed"
PENDING = "pending"
NOT_SENT = "not_sent"
SKIPPED = "skipped"
STATUSES: tuple[str, ...] = (SUCCEEDED, FAILED, PENDING, NOT_SENT, SKIPPED)
#: Records that carry their original item, to be imported again from the failures file.
TO_RESEND = frozenset({FAILED, PENDING, NOT_SENT})
RECORD_KEYS = frozenset(
    {
        "index",
        "status",
        "request",
        "key",
        "state",
        "operation_id",
        "resource_version",
        "errors",
        "unresolved_references",
        "error",
        "item",
        "note",
    }
)

# why the wait ended
FINISHED = "finished"  # no operation of the container is processing, unresolved or waiting for a master variant
UNRESOLVED_TIMEOUT = "unresolved_timeout"  # only unresolved operations left, for longer than unresolved_timeout
TIMEOUT = "timeout"  # timeout reached with operations still processing
NOT_WAITED = "not_waited"  # wait=False


def is_import_record(value: Any) -> bool:
    """Whether ``value`` is a record written by an earlier import run (not an import resource)."""
    return (
        isinstance(value, Mapping)
        and value.get("status") in STATUSES
        and isinstance(value.get("index"), int)
        and "request" in value
        and set(value) <= RECORD_KEYS
    )


@dataclass(frozen=True)
class WaitPolicy:
    """How long to wait for an import: ``timeout`` for everything, ``unresolved_timeout`` for unresolved references.

    An ``unresolved`` operation waits for the resources it references (by key) to appear, which may
    never happen: it counts as pending until ``unresolved_timeout`` seconds after the wait started,
    then as failed. Both are measured from ``started`` (epoch seconds, so a deferred wait keeps them).
    """

    timeout: float = 3600.0
    unresolved_timeout: float = 600.0
    poll_interval: float = 5.0

    @classmethod
    def create(cls, timeout: Any, unresolved_timeout: Any, poll_interval: Any) -> WaitPolicy:
        values = {}
        for name, value in (("timeout", timeout), ("unresolved_timeout", unresolved_timeout)):
            values[name] = _seconds(name, value, minimum=0.0)
        interval = _seconds("poll_interval", poll_interval, minimum=0.01)
        return cls(values["timeout"], min(values["unresolved_timeout"], values["timeout"]), interval)

    def decide(self, states: Mapping[str, int], started: float, now: float | None = None) -> str | None:
        """Why to stop waiting, given the container's summary counts; None to keep waiting."""
        elapsed = (time.time() if now is None else now) - started
        busy = states.get(PROCESSING, 0) + states.get(WAIT_FOR_MASTER_VARIANT, 0)
        unresolved = states.get(UNRESOLVED, 0)
        if busy == 0 and unresolved == 0:
            return FINISHED
        if elapsed >= self.timeout:
            return TIMEOUT
        if busy == 0 and elapsed >= self.unresolved_timeout:
            return UNRESOLVED_TIMEOUT
        return None


def _seconds(name: str, value: Any, *, minimum: float) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds >= minimum or seconds == float("inf"):
        raise ConfigurationError(name, f"{value!r} is not a number of seconds >= {minimum:g}.", "E.g. 600.")
    return seconds


@dataclass
class ImportRecord:
    """One item of the import and what became of it."""

    index: int
    status: str
    request: str
    key: str | None = None
    state: str | None = None
    operation_id: str | None = None
    resource_version: int | None = None
    errors: list[Any] = field(default_factory=list)
    unresolved_references: list[Any] = field(default_factory=list)
    error: dict[str, Any] | None = None
    item: Any = None
    note: str = ""

    def to_record(self, *, with_item: bool = True) -> dict[str, Any]:
        record: dict[str, Any] = {"index": self.index, "status": self.status, "request": self.request}
        for name in ("key", "state", "operation_id", "resource_version", "error"):
            value = getattr(self, name)
            if value is not None:
                record[name] = value
        if self.errors:
            record["errors"] = self.errors
        if self.unresolved_references:
            record["unresolved_references"] = self.unresolved_references
        if self.note:
            record["note"] = self.note
        if with_item and self.status in TO_RESEND:
            record["item"] = self.item
        return record

    def apply_operation(self, operation: Mapping[str, Any], reason: str) -> None:
        """Take the state of the item's ImportOperation; ``reason`` says why the wait ended."""
        state = operation.get("state")
        self.state = state if isinstance(state, str) else None
        self.operation_id = operation.get("id") or self.operation_id
        version = operation.get("resourceVersion")
        self.resource_version = version if isinstance(version, int) else None
        errors = operation.get("errors")
        self.errors = list(errors) if isinstance(errors, list) else []
        references = operation.get("unresolvedReferences")
        self.unresolved_references = list(references) if isinstance(references, list) else []
        self.status, self.error = classify(self.state, self.errors, self.unresolved_references, reason)


def classify(
    state: str | None, errors: list[Any], references: list[Any], reason: str
) -> tuple[str, dict[str, Any] | None]:
    """The record status of an operation in ``state`` once the wait ended for ``reason``."""
    if state == IMPORTED:
        return SUCCEEDED, None
    if state in FAILED_STATES:
        codes = [e.get("code") for e in errors if isinstance(e, Mapping) and e.get("code")]
        first = next((e.get("message") for e in errors if isinstance(e, Mapping) and e.get("message")), "")
        return FAILED, {"type": state, "codes": codes, "message": first or f"the import operation is {state}"}
    if state == UNRESOLVED and reason == UNRESOLVED_TIMEOUT:
        refs = ", ".join(f"{r.get('typeId')} {r.get('key')!r}" for r in references[:5] if isinstance(r, Mapping))
        message = "references resources that do not exist" + (f": {refs}" if refs else "")
        return FAILED, {"type": UNRESOLVED, "codes": ["Unresolved"], "message": message}
    return PENDING, None


@dataclass
class ImportReport:
    """Counts per record status and per processing state; a bounded list of failures for XCom and errors."""

    max_failures: int = 200
    #: whether a pending record is a failure (waited and timed out) or expected (wait=False)
    pending_is_failure: bool = True
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROCESSING_STATES, 0))
    total: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    failures_truncated: bool = False
    #: when the import started (epoch seconds: a deferred import resumes in another process)
    started: float = field(default_factory=time.time)

    def add(self, record: ImportRecord) -> None:
        self.total += 1
        self.counts[record.status] += 1
        if record.state is not None:
            self.states[record.state] = self.states.get(record.state, 0) + 1
        if self.is_failure(record):
            if len(self.failures) < self.max_failures:
                self.failures.append(record.to_record())
            else:
                self.failures_truncated = True

    def is_failure(self, record: ImportRecord) -> bool:
        """Whether the record goes to the failures (file and list): failed, not sent, or pending after a wait."""
        return record.status in (FAILED, NOT_SENT) or (record.status == PENDING and self.pending_is_failure)

    def summary(self) -> dict[str, Any]:
        return {"total": self.total, **self.counts, "states": dict(self.states)}

    def describe(self) -> str:
        c = self.counts
        text = f"{self.total} resources: {c[SUCCEEDED]} imported, {c[FAILED]} failed"
        for status in (PENDING, NOT_SENT, SKIPPED):
            if c[status]:
                text += f", {c[status]} {status.replace('_', ' ')}"
        return text + f" in {time.time() - self.started:.1f} s"

    def failure_message(self, *, limit: int = 20, where: str = "") -> str:
        lines = [f"commercetools import failed: {self.describe()}."]
        listed = [f for f in self.failures if f["status"] == FAILED]
        for record in listed[:limit]:
            error = record.get("error") or {}
            lines.append(
                f"  items[{record['index']}] (key {record.get('key')!r}): {error.get('type', 'Error')}: "
                f"{error.get('message', '')}"
            )
        more = self.counts[FAILED] - min(len(listed), limit)
        if more > 0:
            lines.append(f"  ... and {more} more failed resources.")
        if where:
            lines.append(where)
        return "\n".join(lines)


class ImportFailedError(CommercetoolsError):
    """Resources failed or were not final in time; ``summary`` is what XCom would have held."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(message)
