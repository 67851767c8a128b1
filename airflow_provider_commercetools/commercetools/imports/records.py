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
    REJECTED,
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
from airflow_provider_commercetools.commercetools.transport.safety import one_line, redact, redact_value

#: The Import API's record statuses: the publisher's and ``pending``.
STATUSES = IMPORTING.statuses
#: The fields of its records.
RECORD_KEYS = IMPORTING.keys

# why the wait ended
FINISHED = "finished"  # no operation (of this run) is processing, unresolved or waiting for a master variant
UNRESOLVED_TIMEOUT = "unresolved_timeout"  # only unresolved ones left (or waiting for a master variant), too long
MASTER_VARIANT_TIMEOUT = "master_variant_timeout"  # only ones waiting for their master variant left, too long
TIMEOUT = "timeout"  # timeout reached with operations still processing
NOT_WAITED = "not_waited"  # wait=False


def is_import_record(value: Any) -> bool:
    """Whether ``value`` is a record written by an earlier import run (not an import resource)."""
    return IMPORTING.is_record(value)


@dataclass(frozen=True)
class WaitPolicy:
    """How long to wait for an import: ``timeout`` for everything, ``unresolved_timeout`` for unresolved
    references, ``master_variant_timeout`` for variants waiting for their product's master variant.

    An ``unresolved`` operation waits for the resources it references (by key) to appear, which may
    never happen: it counts as pending until ``unresolved_timeout`` seconds after the wait started,
    then as failed. A ``waitForMasterVariant`` one stays so until another import request brings the
    master variant (the spec's ``ProcessingState``): after ``master_variant_timeout`` the wait ends
    with it pending, its record naming the product whose master variant is missing. All are measured
    from ``started`` (epoch seconds, so a deferred wait keeps them).
    """

    timeout: float = 3600.0
    unresolved_timeout: float = 600.0
    poll_interval: float = 5.0
    master_variant_timeout: float = 60.0

    @classmethod
    def create(
        cls, timeout: Any, unresolved_timeout: Any, poll_interval: Any, master_variant_timeout: Any = 60.0
    ) -> WaitPolicy:
        values = {}
        for name, value in (
            ("timeout", timeout),
            ("unresolved_timeout", unresolved_timeout),
            ("master_variant_timeout", master_variant_timeout),
        ):
            values[name] = _seconds(name, value, minimum=0.0)
        interval = _seconds("poll_interval", poll_interval, minimum=0.01)
        return cls(
            values["timeout"],
            min(values["unresolved_timeout"], values["timeout"]),
            interval,
            min(values["master_variant_timeout"], values["timeout"]),
        )

    def decide(
        self, states: Mapping[str, int], started: float, now: float | None = None, *, conclusive: bool = True
    ) -> str | None:
        """Why to stop waiting, given the counts per waiting state (of this run's operations, or of a
        container's from exact state queries); None to keep waiting. ``conclusive=False``: the counts may
        miss operations still processing, so only the timeout ends the wait."""
        elapsed = (time.time() if now is None else now) - started
        processing = states.get(PROCESSING, 0)
        unresolved = states.get(UNRESOLVED, 0)
        master = states.get(WAIT_FOR_MASTER_VARIANT, 0)
        if conclusive and processing == 0 and unresolved == 0 and master == 0:
            return FINISHED
        if elapsed >= self.timeout:
            return TIMEOUT
        if not conclusive or processing:
            return None
        unresolved_done = unresolved == 0 or elapsed >= self.unresolved_timeout
        master_done = master == 0 or elapsed >= self.master_variant_timeout
        if unresolved_done and master_done:
            return UNRESOLVED_TIMEOUT if unresolved else MASTER_VARIANT_TIMEOUT
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
    """Give ``record`` the state of its item's ImportOperation; ``reason`` says why the wait ended.

    The server's texts (error messages, references) are kept with credentials redacted (an echoed
    bearer token) and control characters escaped (CR/LF, terminal escapes)."""
    state = operation.get("state")
    record.state = state if isinstance(state, str) else None
    record.operation_id = operation.get("id") or record.operation_id
    version = operation.get("resourceVersion")
    record.resource_version = version if isinstance(version, int) else None
    errors = operation.get("errors")
    record.errors = [_clean(e) for e in errors] if isinstance(errors, list) else []
    references = operation.get("unresolvedReferences")
    record.unresolved_references = [_clean(r) for r in references] if isinstance(references, list) else []
    record.status, record.error = classify(
        record.state, record.errors, record.unresolved_references, reason, item=record.item
    )


def _clean(value: Any) -> Any:
    """Server-provided JSON with credentials redacted and every string on one line."""
    value = redact_value(value)
    if isinstance(value, str):
        return one_line(value)
    if isinstance(value, dict):
        return {one_line(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def classify(
    state: str | None, errors: list[Any], references: list[Any], reason: str, *, item: Any = None
) -> tuple[str, dict[str, Any] | None]:
    """The record status of an operation in ``state`` once the wait ended for ``reason``."""
    if state == IMPORTED:
        return SUCCEEDED, None
    if state in FAILED_STATES:
        codes = [e.get("code") for e in errors if isinstance(e, Mapping) and e.get("code")]
        first = next((e.get("message") for e in errors if isinstance(e, Mapping) and e.get("message")), "")
        message = one_line(redact(str(first))) if first else f"the import operation is {state}"
        if state == REJECTED:
            message += " (rejected: the only state worth importing again; commercetools retries the others itself)"
        return FAILED, {"type": state, "codes": codes, "message": message}
    if state == UNRESOLVED and reason == UNRESOLVED_TIMEOUT:
        refs = ", ".join(f"{r.get('typeId')} {r.get('key')!r}" for r in references[:5] if isinstance(r, Mapping))
        message = "references resources that do not exist" + (f": {refs}" if refs else "")
        return FAILED, {"type": UNRESOLVED, "codes": ["Unresolved"], "message": message}
    if state == WAIT_FOR_MASTER_VARIANT and reason not in (NOT_WAITED,):
        return PENDING, {"type": WAIT_FOR_MASTER_VARIANT, "codes": [], "message": _master_variant_message(item)}
    return PENDING, None


def _master_variant_message(item: Any) -> str:
    """Which master variant is missing: the product the item names (a variant), or the item's own key (a product)."""
    product = item.get("product") if isinstance(item, Mapping) else None
    key = product.get("key") if isinstance(product, Mapping) else None
    if key is None and isinstance(item, Mapping):
        key = item.get("key")
    who = f"product {one_line(str(key))!r}" if key else "its product"
    return (
        f"waitForMasterVariant: {who} has no master variant yet; import it (a ProductVariantImport for that "
        "product with isMasterVariant: true, or a ProductDraftImport with its masterVariant): commercetools then "
        "finishes this operation by itself, without it being sent again"
    )


def ImportReport(**settings: Any) -> Report:
    """The Import API's report: counts per processing state (every state, 0 included), no list of results."""
    return Report(IMPORTING, **{"max_results": 0, "states": dict.fromkeys(PROCESSING_STATES, 0), **settings})


__all__ = [
    "FAILED",
    "FINISHED",
    "MASTER_VARIANT_TIMEOUT",
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
