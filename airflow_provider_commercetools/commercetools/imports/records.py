"""What the Import API adds to the shared results model: the wait rule, and a record's status from its operation.

The records, statuses, report and error are :mod:`airflow_provider_commercetools.commercetools.results`'
(the Import API writes :data:`~airflow_provider_commercetools.commercetools.results.records.IMPORTING`
records, with ``pending``); they are re-exported here for the names users import.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.imports.resources import (
    FAILED_STATES,
    IMPORTED,
    PROCESSING,
    PROCESSING_STATES,
    UNRESOLVED,
    WAIT_FOR_MASTER_VARIANT,
)
from airflow_provider_commercetools.commercetools.results.records import (
    FAILED,
    IMPORTING,
    NOT_SENT,
    PENDING,
    SKIPPED,
    SUCCEEDED,
    TO_RESEND,
    ItemResult,
)
from airflow_provider_commercetools.commercetools.results.report import ImportFailedError, Report

#: The Import API's record statuses: the publisher's and ``pending``.
STATUSES = IMPORTING.statuses
#: The fields of its records.
RECORD_KEYS = IMPORTING.keys

# why the wait ended
FINISHED = "finished"  # no operation of the container is processing, unresolved or waiting for a master variant
UNRESOLVED_TIMEOUT = "unresolved_timeout"  # only unresolved operations left, for longer than unresolved_timeout
TIMEOUT = "timeout"  # timeout reached with operations still processing
NOT_WAITED = "not_waited"  # wait=False


def is_import_record(value: Any) -> bool:
    """Whether ``value`` is a record written by an earlier import run (not an import resource)."""
    return IMPORTING.is_record(value)


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


def apply_operation(record: ItemResult, operation: Mapping[str, Any], reason: str) -> None:
    """Give ``record`` the state of its item's ImportOperation; ``reason`` says why the wait ended."""
    state = operation.get("state")
    record.state = state if isinstance(state, str) else None
    record.operation_id = operation.get("id") or record.operation_id
    version = operation.get("resourceVersion")
    record.resource_version = version if isinstance(version, int) else None
    errors = operation.get("errors")
    record.errors = list(errors) if isinstance(errors, list) else []
    references = operation.get("unresolvedReferences")
    record.unresolved_references = list(references) if isinstance(references, list) else []
    record.status, record.error = classify(record.state, record.errors, record.unresolved_references, reason)


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


def ImportReport(**settings: Any) -> Report:
    """The Import API's report: counts per processing state (every state, 0 included), no list of results."""
    return Report(IMPORTING, **{"max_results": 0, "states": dict.fromkeys(PROCESSING_STATES, 0), **settings})


__all__ = [
    "FAILED",
    "FINISHED",
    "NOT_SENT",
    "NOT_WAITED",
    "PENDING",
    "RECORD_KEYS",
    "SKIPPED",
    "STATUSES",
    "SUCCEEDED",
    "TIMEOUT",
    "TO_RESEND",
    "UNRESOLVED_TIMEOUT",
    "ImportFailedError",
    "ImportReport",
    "WaitPolicy",
    "apply_operation",
    "classify",
    "is_import_record",
]
