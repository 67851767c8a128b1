"""The report of a batch, for every writer: counts of every result, bounded lists of results and failures,
the XCom summary and the error that fails the task."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.errors import CommercetoolsError
from airflow_provider_commercetools.commercetools.results.records import (
    FAILED,
    NOT_SENT,
    OUTCOME_UNKNOWN,
    PENDING,
    PUBLISHING,
    SKIPPED,
    SUCCEEDED,
    UNFINISHED,
    ItemResult,
    Writer,
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
class Report:
    """Counts every result; keeps the results and failures of lowest index, bounded (for XCom and the error).

    ``writer`` says which statuses are counted and how the report reads. A ``pending`` record is a
    failure unless ``pending_is_failure`` is False (an import that was not waited for).
    """

    writer: Writer = PUBLISHING
    max_results: int = 1000
    max_failures: int = 200
    pending_is_failure: bool = True
    counts: dict[str, int] = field(init=False)
    #: records per Import API processing state
    states: dict[str, int] = field(default_factory=dict)
    total: int = 0
    recovered: int = 0
    conflict_retries: int = 0
    #: failed items that may have been applied (their response was lost)
    outcome_unknown: int = 0
    #: when the batch started (epoch seconds: a deferred import resumes in another process)
    started: float = field(default_factory=time.time)
    _results: _Lowest = field(init=False, repr=False)
    _failures: _Lowest = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.counts = dict.fromkeys(self.writer.statuses, 0)
        self._results = _Lowest(self.max_results)
        self._failures = _Lowest(self.max_failures)

    def add(self, result: ItemResult) -> None:
        self.total += 1
        self.counts[result.status] += 1
        self.recovered += result.recovered
        self.conflict_retries += result.conflict_retries
        if result.state is not None:
            self.states[result.state] = self.states.get(result.state, 0) + 1
        if result.outcome_unknown:
            self.outcome_unknown += 1
        if self.max_results:
            self._results.add(result.index, result.to_record(with_item=False))
        if self.is_failure(result):
            self._failures.add(result.index, result.to_record())

    def is_failure(self, result: ItemResult) -> bool:
        """Whether the record goes to the failures (file and list): failed, not sent, outcome unknown, or pending
        after a wait."""
        return result.status in UNFINISHED or (result.status == PENDING and self.pending_is_failure)

    @property
    def results(self) -> list[dict[str, Any]]:
        """The records of lowest index (at most ``max_results``), in index order, without items."""
        return self._results.sorted()

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The failure records of lowest index (at most ``max_failures``), with their items."""
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
    def unfinished(self) -> int:
        """The records that fail the task: failed, not sent, outcome unknown, and pending after a wait."""
        pending = self.counts.get(PENDING, 0) if self.pending_is_failure else 0
        return sum(self.counts.get(status, 0) for status in UNFINISHED) + pending

    def fails_task(self, on_error: str) -> bool:
        """Whether the task fails: records that did not finish, unless ``on_error`` is "skip"."""
        return self.unfinished > 0 and on_error != "skip"

    @property
    def nothing_applied(self) -> bool:
        """No item was (or may have been) applied: sending the whole batch again doubles nothing."""
        return self.counts[SUCCEEDED] == 0 and self.outcome_unknown == 0

    def counts_summary(self) -> dict[str, Any]:
        """The counts for XCom: ``total``, one per status, then the writer's other counts."""
        extra = {"recovered": self.recovered, "conflict_retries": self.conflict_retries, "states": dict(self.states)}
        return {"total": self.total, **self.counts, **{name: extra[name] for name in self.writer.extra_counts}}

    def summary(self, output: str | None, failures_path: str | None, *, with_results: bool = True) -> dict[str, Any]:
        """What XCom gets: the counts, then :meth:`outputs`."""
        return {**self.counts_summary(), **self.outputs(output, failures_path, with_results=with_results)}

    def outputs(self, output: str | None, failures_path: str | None, *, with_results: bool = True) -> dict[str, Any]:
        """Where the records are: the two files' paths, or without files the bounded lists."""
        if output is not None:
            return {"output_path": output, "failures_path": failures_path}
        lists: dict[str, Any] = {}
        if with_results:
            lists.update(results=self.results, results_truncated=self.results_truncated)
        return {**lists, "failures": self.failures, "failures_truncated": self.failures_truncated}

    def where(self, output: str | None, failures_path: str | None) -> str:
        """Where to find the failures and how to finish the job, for the error."""
        if output is None:
            return self.writer.file_hint if self.failures else ""
        w = self.writer
        return f"Results: {output}. To {w.verb} the failed {w.noun} again, run with items={failures_path!r}."

    def describe(self) -> str:
        c = self.counts
        text = f"{self.total} {self.writer.noun}: {c[SUCCEEDED]} {self.writer.succeeded}, {c[FAILED]} failed"
        for status in (OUTCOME_UNKNOWN, PENDING, NOT_SENT, SKIPPED):
            if c.get(status):
                text += f", {c[status]} {status.replace('_', ' ')}"
        if self.recovered:
            text += f" ({self.recovered} recovered after a lost response)"
        if self.conflict_retries:
            text += f", {self.conflict_retries} conflict retries"
        return text + f" in {time.time() - self.started:.1f} s"

    def failure_message(self, *, limit: int = 20, where: str = "") -> str:
        """The error of a failed batch: counts, then each failed item's index (and key) and error."""
        lines = [f"commercetools {self.writer.action} failed: {self.describe()}."]
        listed = [f for f in self.failures if f["status"] in (FAILED, OUTCOME_UNKNOWN)]
        for record in listed[:limit]:
            error = record.get("error") or {}
            key = f" (key {record.get('key')!r})" if self.writer.names_key else ""
            lines.append(f"  items[{record['index']}]{key}: {error.get('type', 'Error')}: {error.get('message', '')}")
        more = self.failed + self.counts.get(OUTCOME_UNKNOWN, 0) - min(len(listed), limit)
        if more > 0:
            lines.append(f"  ... and {more} more failed {self.writer.noun}.")
        if where:
            lines.append(where)
        return "\n".join(lines)


def PublishReport(**settings: Any) -> Report:
    """The publisher's report."""
    return Report(PUBLISHING, **settings)


class BatchFailedError(CommercetoolsError):
    """Items of a batch failed (or were not final in time); ``summary`` is what XCom would have held."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        self.summary = summary
        super().__init__(message)


class PublishFailedError(BatchFailedError):
    """Items failed (``on_error`` "fail" or "continue")."""


class ImportFailedError(BatchFailedError):
    """Resources failed or were not final in time."""
