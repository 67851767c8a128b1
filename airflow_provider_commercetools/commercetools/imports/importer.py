"""Importing a batch: validate items, send import requests of 20 concurrently (keeping each operation's id, in a
journal a retry reconnects to), wait until this run's operations are final, collect their states exactly
(:mod:`.tracking`: never an offset past 10,000), and report: the shared records, report and results files of
:mod:`airflow_provider_commercetools.commercetools.results`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ForbiddenError, OutcomeUnknownError
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.items import PreparedItem, prepare_items
from airflow_provider_commercetools.commercetools.imports.journal import Journal, NoJournal, fingerprint, matches
from airflow_provider_commercetools.commercetools.imports.records import (
    FAILED,
    NOT_SENT,
    NOT_WAITED,
    PENDING,
    ImportFailedError,
    ImportReport,
    WaitPolicy,
    apply_operation,
    classify,
)
from airflow_provider_commercetools.commercetools.imports.resources import (
    MAX_RESOURCES_PER_REQUEST,
    PROCESSING,
    ImportResourceType,
    request_scope,
    state_counts,
)
from airflow_provider_commercetools.commercetools.imports.tracking import OperationTracker, waiting_counts
from airflow_provider_commercetools.commercetools.results.files import ResultFiles
from airflow_provider_commercetools.commercetools.results.records import ItemResult, describe_error
from airflow_provider_commercetools.commercetools.results.redaction import Redactor, check_redact_fields, scrub
from airflow_provider_commercetools.commercetools.results.report import Report
from airflow_provider_commercetools.commercetools.writing.sending import TokenFailures

log = logging.getLogger(__name__)


class Importer:
    """Imports items of one resource type into one container and reports a record per item.

    :param api: the Import API (its client carries the token and the retry policy).
    :param max_workers: import requests in flight at once.
    :param stop_on_failure: after a failed import request, send no more (the rest is ``not_sent``).
    :param redact_fields: field names redacted in the records besides commercetools' secret fields.
    """

    def __init__(
        self,
        api: ImportApi,
        resource_type: ImportResourceType,
        container_key: str,
        *,
        max_workers: int = 8,
        stop_on_failure: bool = False,
        redact_fields: Iterable[str] = (),
        logger: logging.Logger | Any = None,
    ) -> None:
        self.api = api
        self.resource_type = resource_type
        self.container_key = container_key
        self.max_workers = max_workers
        self.stop_on_failure = stop_on_failure
        self.redactor = Redactor(check_redact_fields(redact_fields))
        self.log = logger or log
        self.request = f"POST {resource_type.segment}/import-containers/{container_key}"
        self._stop = threading.Event()
        self._stop_reason = "an earlier import request failed"
        self.token_failures = TokenFailures()
        self.requests_sent = 0
        self.tracker = OperationTracker(api, container_key, logger=self.log)
        self.journal: Journal = NoJournal()
        self._state: dict[str, Any] = {}
        self._state_lock = threading.Lock()
        #: import requests between two saves of the journal (every one for types that are not idempotent)
        self.save_every = 50 if resource_type.idempotent else 1
        self._unsaved = 0

    def stop(self) -> None:
        """Send no more import requests (those in flight finish)."""
        self._stop.set()

    # -- items ---------------------------------------------------------------------------------

    def prepare(self, items: Iterable[Any], *, strict: bool) -> tuple[list[PreparedItem], list[ItemResult]]:
        """Split items into resources to send and records already decided (:func:`.items.prepare_items`)."""
        return prepare_items(items, self.resource_type, self.redactor, self.request, strict=strict)

    # -- sending -------------------------------------------------------------------------------

    def start_journal(self, journal: Journal, prepared: list[PreparedItem], started: float) -> dict[int, str]:
        """Load what an earlier try of this run saved (same container, type and items): the operation
        ids it created, by item index. Items with one are not sent again."""
        self.journal = journal
        print_ = fingerprint(p.resource for p in prepared)
        saved = journal.load()
        if matches(saved, self.container_key, self.resource_type.name, print_):
            assert saved is not None
            self._state = saved
            known = {int(index): str(operation_id) for index, operation_id in saved.get("ops") or []}
            self.requests_sent = int(saved.get("requests") or 0)
            self.log.info(
                "Reconnecting to %d import operations an earlier try created (from the %s): not sent again",
                len(known),
                journal.name,
            )
            return known
        self._state = {
            "v": 1,
            "container": self.container_key,
            "type": self.resource_type.name,
            "fingerprint": print_,
            "started": started,
            "requests": 0,
            "ops": [],
        }
        return {}

    def clear_journal(self) -> None:
        try:
            self.journal.clear()
        except Exception as error:  # the results stand; a stale journal is only matched by the same items
            self.log.warning("Could not clear the import journal (%s): %s", self.journal.name, type(error).__name__)

    def send(self, prepared: list[PreparedItem], known: Mapping[int, str] | None = None) -> list[ItemResult]:
        """Send the resources in import requests of 20, ``max_workers`` at once; one record per item.

        Items whose operation an earlier try created (``known``) are not sent: their records take that id."""
        known = known or {}
        unknown = set(self._state.get("unknown") or [])
        records: list[ItemResult] = []
        for item in prepared:
            if item.index in unknown and item.index not in known:
                records.append(
                    self._record(
                        item,
                        FAILED,
                        error={"type": "OutcomeUnknownError", "message": "an earlier try's request outcome is unknown"},
                        note="not sent again: look it up (GET import-operations?resourceKey=<key> in the container)",
                    )
                )
                continue
            if item.index in known:
                record = self._record(item, PENDING, note="sent by an earlier try of this run; not sent again")
                record.operation_id = known[item.index]
                record.state = PROCESSING
                self.tracker.add(known[item.index])
                records.append(record)
        rest = [p for p in prepared if p.index not in known and p.index not in unknown]
        batches = [
            rest[start : start + MAX_RESOURCES_PER_REQUEST] for start in range(0, len(rest), MAX_RESOURCES_PER_REQUEST)
        ]
        if not batches:
            return records
        with ThreadPoolExecutor(
            max_workers=min(self.max_workers, len(batches)), thread_name_prefix="ct-import"
        ) as pool:
            for batch_records in pool.map(self._send_batch, batches):
                records.extend(batch_records)
        self._save_journal()
        return records

    def _note_sent(self, records: list[ItemResult]) -> None:
        """Journal the operations of one import request (saved every ``save_every`` requests)."""
        with self._state_lock:
            self._state.setdefault("ops", []).extend([r.index, r.operation_id] for r in records if r.operation_id)
            self._state["requests"] = self.requests_sent
            self._unsaved += 1
            due = self._unsaved >= self.save_every
        if due:
            self._save_journal()

    def _note_unknown(self, indexes: list[int]) -> None:
        """Journal items whose request may have created operations: a retry does not send them again."""
        with self._state_lock:
            self._state.setdefault("unknown", []).extend(indexes)
        self._save_journal()

    def _save_journal(self) -> None:
        with self._state_lock:
            self._unsaved = 0
            state = {**self._state, "ops": list(self._state.get("ops") or [])}
        try:
            self.journal.save(state)
        except Exception as error:  # the import goes on; only a retry could not reconnect
            self.log.warning("Could not save the import journal (%s): %s", self.journal.name, type(error).__name__)

    def _send_batch(self, batch: list[PreparedItem]) -> list[ItemResult]:
        if self._stop.is_set():
            return [self._record(p, NOT_SENT, note=f"not sent: {self._stop_reason}") for p in batch]
        try:
            statuses = self.api.send(self.resource_type, self.container_key, [p.resource for p in batch])
        except CommercetoolsError as error:
            if isinstance(error, ForbiddenError):
                scope = request_scope(self.resource_type)
                error = error.with_hint(
                    f"An import request of {self.resource_type.name} resources needs the scope {scope} (or "
                    "manage_project) besides manage_import_containers: add it to the API client and the connection"
                )
            reason = self.token_failures.failed(error, stop_anyway=self.stop_on_failure)
            if reason:  # whatever on_error says: every other request would fail the same way
                self._stop_reason = reason
            if reason or self.stop_on_failure:
                self._stop.set()
            secrets = {s for p in batch for s in self.redactor.secrets(p.resource)}  # the request may echo any
            described = scrub(describe_error(error), secrets)
            self.log.warning(
                "%s failed for items[%d..%d]: %s", self.request, batch[0].index, batch[-1].index, described["message"]
            )
            failed = [self._record(p, FAILED, error=described) for p in batch]
            if isinstance(error, OutcomeUnknownError) and not self.resource_type.idempotent:
                note = (
                    f"the import request's outcome is unknown and {self.resource_type.name} imports are not re-sent "
                    "(create-only or additive): look the resource up (GET import-operations?resourceKey=<key> in "
                    "the container) before importing it again"
                )
                for record in failed:
                    record.note = note
                self._note_unknown([p.index for p in batch])
            return failed
        finally:
            self.requests_sent += 1
        self.token_failures.succeeded()
        records = []
        for item, status in zip(batch, statuses, strict=True):
            record = self._record(item, PENDING)
            record.operation_id = status.get("operationId") if isinstance(status.get("operationId"), str) else None
            state = status.get("state")
            record.state = state if isinstance(state, str) else PROCESSING
            errors = status.get("errors")
            if record.operation_id:
                self.tracker.add(record.operation_id, record.state, errors if isinstance(errors, list) else ())
                apply_operation(record, self.tracker.operations[record.operation_id], NOT_WAITED)
            else:
                record.errors = list(errors) if isinstance(errors, list) else []
                record.status, record.error = classify(record.state, record.errors, [], NOT_WAITED)
            records.append(record)
        self._note_sent(records)
        return records

    def _record(self, item: PreparedItem, status: str, **fields: Any) -> ItemResult:
        return ItemResult(item.index, status, self.request, key=item.key, item=item.resource, **fields)

    # -- waiting -------------------------------------------------------------------------------

    def wait(
        self,
        policy: WaitPolicy,
        started: float,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> tuple[str, dict[str, int]]:
        """Wait until this run's operations are final, or past their timeouts (:meth:`WaitPolicy.decide`).

        Each round is a snapshot of :class:`~.tracking.OperationTracker` (exact state queries, never the
        summary, which is eventually consistent); the summary is only logged, as a hint of progress.
        """
        last_logged = clock()
        while True:
            conclusive = self.tracker.snapshot()
            counts = waiting_counts(self.tracker)
            reason = policy.decide(counts, started, clock(), conclusive=conclusive)
            if reason is not None:
                if not conclusive:
                    self.tracker.mark_unproven()
                return reason, counts
            if clock() - last_logged >= 30:
                last_logged = clock()
                hint = state_counts(self.api.summary(self.container_key).get("states"))
                self.log.info(
                    "Import container %r: this run's operations still waiting: %s (container summary, a hint: %s)",
                    self.container_key,
                    _describe_states(counts) if conclusive else "some still processing",
                    _describe_states(hint),
                )
            remaining = started + policy.timeout - clock()
            sleep(max(min(policy.poll_interval, remaining), 0.0))

    def collect(self, records: list[ItemResult], reason: str) -> None:
        """Give every sent record its operation's state (matched by operation id, never by key)."""
        self.tracker.settle()
        for record in records:
            if not record.operation_id or record.status not in (PENDING, FAILED):
                continue
            operation = self.tracker.operations.get(record.operation_id)
            if operation is None:
                continue
            if record.operation_id in self.tracker.unproven:
                record.status, record.error = PENDING, None
                record.note = (
                    "its import operation's state could not be proven when the wait ended "
                    f"(GET import-operations/{record.operation_id} tells it)"
                )
                continue
            apply_operation(record, operation, reason)

    # -- deferring and reporting ---------------------------------------------------------------

    def carry(self, records: list[ItemResult], started: float) -> dict[str, Any]:
        """What a deferred wait carries through the trigger: failed requests, items not sent (small JSON)."""
        return {
            "failures": [
                [r.index, self.redactor.result(r).error]
                for r in records
                if r.status == FAILED and r.operation_id is None
            ],
            "not_sent": [r.index for r in records if r.status == NOT_SENT],
            "requests": self.requests_sent,
            "started": started,
        }

    def restore(
        self,
        prepared: list[PreparedItem],
        decided: list[ItemResult],
        carried: Mapping[str, Any],
        journal: Journal,
    ) -> list[ItemResult]:
        """The records after a deferred wait: failures and unsent items from what :meth:`carry` kept, the
        operation ids from the journal (so a duplicate key in one run is never matched to the wrong operation)."""
        self.journal = journal
        saved = journal.load()
        print_ = fingerprint(p.resource for p in prepared)
        if not matches(saved, self.container_key, self.resource_type.name, print_):
            raise ImportJournalLostError(
                f"the ids of the import operations this run created in container {self.container_key!r} are not "
                f"in the {journal.name} any more: their results cannot be told apart from other runs'",
                {"container_key": self.container_key},
            )
        assert saved is not None
        known = {int(index): str(operation_id) for index, operation_id in saved.get("ops") or []}
        self.requests_sent = int(carried.get("requests") or saved.get("requests") or 0)
        failed = {int(index): error for index, error in carried.get("failures") or []}
        unsent = set(carried.get("not_sent") or [])
        records = list(decided)
        for item in prepared:
            if item.index in known:
                record = self._record(item, PENDING)
                record.operation_id = known[item.index]
                self.tracker.add(known[item.index])
            elif item.index in failed:
                record = self._record(item, FAILED, error=failed[item.index])
            elif item.index in unsent:
                record = self._record(item, NOT_SENT)
            else:
                record = self._record(item, PENDING, note="no import operation of this run was recorded for it")
            records.append(record)
        return records

    def report(
        self, records: list[ItemResult], reason: str, started: float, output: str | None, *, deferred: bool = False
    ) -> tuple[Report, dict[str, Any], str]:
        """Count the records, write the results files at ``output`` (if any); the report, XCom summary and
        where the failures are, for the error."""
        records[:] = sorted((self.redactor.result(r) for r in records), key=lambda r: r.index)
        report = ImportReport(pending_is_failure=reason != NOT_WAITED, started=started)
        for record in records:
            report.add(record)
        summary: dict[str, Any] = {
            **report.counts_summary(),
            "container_key": self.container_key,
            "requests": self.requests_sent,
            "wait": reason,
        }
        if deferred:
            summary["deferred"] = True
        files = None if output is None else ResultFiles(output, is_failure=report.is_failure, resumable=False)
        if files is not None:
            files.write_all(records)
        failures_path = files.failures if files is not None else None
        summary.update(report.outputs(output, failures_path, with_results=False))
        return report, summary, report.where(output, failures_path)


class ImportJournalLostError(ImportFailedError):
    """The operation ids of a deferred run were lost: its results cannot be told apart from other runs'."""


def _describe_states(states: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {state}" for state, count in states.items() if count) or "empty"
