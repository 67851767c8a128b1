"""The report of a batch: counts of every result, and bounded lists of results and failures."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.errors import CommercetoolsError
from airflow_provider_commercetools.commercetools.results.records import (
    FAILED,
    NOT_SENT,
    SKIPPED,
    STATUSES,
    SUCCEEDED,
    TO_RESEND,
    ItemResult,
)


def failures_location(output_path: str) -> str:
    """Where the failed items go, beside ``output_path``: ``results.jsonl`` -> ``results.failures.jsonl``."""
    head, sep, name = output_path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension.lower() in ("jsonl", "ndjson", "json"):
        return f"{head}{sep}{stem}.failures.{extension}"
    return f"{head}{sep}{name}.failures.jsonl"


class _Lowest:
    """The ``limit`` records of lowest index seen so far (results arrive in any order)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._heap: list[tuple[int, dict[str, Any]]] = []  # (-index, record): the highest index on top
        self.truncated = False

    def add(self, index: int, record: dict[str, Any]) -> None:
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, (-index, record))
            return
        self.truncated = True
        if self._heap and index < -self._heap[0][0]:
            heapq.heapreplace(self._heap, (-index, record))

    def sorted(self) -> list[dict[str, Any]]:
        return [record for _, record in sorted(self._heap, key=lambda entry: -entry[0])]


@dataclass
class PublishReport:
    """Counts every result; keeps the results and failures of lowest index, bounded (for XCom and the error)."""

    max_results: int = 1000
    max_failures: int = 200
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    total: int = 0
    recovered: int = 0
    conflict_retries: int = 0
    #: failed items that may have been applied (their response was lost)
    outcome_unknown: int = 0
    started: float = field(default_factory=time.monotonic)
    _results: _Lowest = field(init=False, repr=False)
    _failures: _Lowest = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._results = _Lowest(self.max_results)
        self._failures = _Lowest(self.max_failures)

    def add(self, result: ItemResult) -> None:
        self.total += 1
        self.counts[result.status] += 1
        self.recovered += result.recovered
        self.conflict_retries += result.conflict_retries
        if result.outcome_unknown:
            self.outcome_unknown += 1
        self._results.add(result.index, result.to_record(with_item=False))
        if result.status in TO_RESEND:
            self._failures.add(result.index, result.to_record())

    @property
    def results(self) -> list[dict[str, Any]]:
        """The records of lowest index (at most ``max_results``), in index order, without items."""
        return self._results.sorted()

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The failed and not-sent records of lowest index (at most ``max_failures``), with their items."""
        return self._failures.sorted()

    @property
    def results_truncated(self) -> bool:
        return self._results.truncated

    @property
    def failures_truncated(self) -> bool:
        return self._failures.truncated

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    @property
    def nothing_applied(self) -> bool:
        """No item was (or may have been) applied: sending the whole batch again doubles nothing."""
        return self.counts[SUCCEEDED] == 0 and self.outcome_unknown == 0

    def counts_summary(self) -> dict[str, int]:
        return {
            "total": self.total,
            **self.counts,
            "recovered": self.recovered,
            "conflict_retries": self.conflict_retries,
        }

    def describe(self) -> str:
        c = self.counts
        text = f"{self.total} items: {c[SUCCEEDED]} succeeded, {c[FAILED]} failed"
        for status in (NOT_SENT, SKIPPED):
            if c[status]:
                text += f", {c[status]} {status.replace('_', ' ')}"
        if self.recovered:
            text += f" ({self.recovered} recovered after a lost response)"
        if self.conflict_retries:
            text += f", {self.conflict_retries} conflict retries"
        return text + f" in {time.monotonic() - self.started:.1f} s"

    def failure_message(self, *, limit: int = 20, where: str = "") -> str:
        """The error of a failed batch: counts, then each failed item's index and error."""
        lines = [f"commercetools publishing failed: {self.describe()}."]
        listed = [f for f in self.failures if f["status"] == FAILED]
        for record in listed[:limit]:
            error = record.get("error") or {}
            lines.append(f"  items[{record['index']}]: {error.get('type', 'Error')}: {error.get('message', '')}")
        more = self.failed - min(len(listed), limit)
        if more > 0:
            lines.append(f"  ... and {more} more failed items.")
        if where:
            lines.append(where)
        return "\n".join(lines)


class PublishFailedError(CommercetoolsError):
    """Items failed (``on_error`` "fail" or "continue"); ``summary`` is what XCom would have held."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(message)
