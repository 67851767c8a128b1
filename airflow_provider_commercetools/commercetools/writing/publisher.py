"""The publisher: validates items, sends them from worker threads, and yields one result per item.

Results come as they complete, not in input order, so one slow answer stalls nothing but its own
item; at most ``2 * max_workers`` items are in flight or waiting to be yielded, so a stream of any
length runs in constant memory. Every result carries its item's ``index``.

Each result is recorded (``on_result``) exactly once, before it is yielded: a request's result by its
worker thread, as soon as it has one. So an exception raised in the consuming thread at any instant
(Airflow 2's SIGTERM handler raises wherever the main thread is) cannot lose the record of an item
that was sent; :meth:`Publisher.unfinished` then records the items still in flight as outcome unknown.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from airflow_provider_commercetools.commercetools.checks import check_choice, check_count
from airflow_provider_commercetools.commercetools.errors import ConfigurationError, OutcomeUnknownError
from airflow_provider_commercetools.commercetools.results.records import (
    FAILED,
    NOT_SENT,
    OUTCOME_UNKNOWN,
    SKIPPED,
    SUCCEEDED,
    TO_RESEND,
    ItemResult,
    UnreadableItem,
    describe_error,
    is_result_record,
    summarise_response,
    whole_response,
)
from airflow_provider_commercetools.commercetools.results.redaction import Redactor, check_redact_fields
from airflow_provider_commercetools.commercetools.transport.client import POOL_SIZE
from airflow_provider_commercetools.commercetools.writing.building import (
    CREATE,
    PreparedRequest,
    PublishDefaults,
    build_request,
)
from airflow_provider_commercetools.commercetools.writing.resume import EarlierAttempts
from airflow_provider_commercetools.commercetools.writing.sending import ItemSender, Progress, Sender, TokenFailures

log = logging.getLogger(__name__)

#: ``fail``: a 409 fails the item; ``retry``: re-send with the current version; ``latest``: like
#: ``retry``, and updates / deletes given without a version read the current one first.
ON_CONFLICT: tuple[str, ...] = ("fail", "retry", "latest")
#: ``fail``: stop at the first failed item; ``continue``: publish all, then fail; ``skip``: publish all, succeed.
ON_ERROR: tuple[str, ...] = ("fail", "continue", "skip")
#: Items sent at once: every worker needs its own connection of the client's pool.
MAX_WORKERS = POOL_SIZE


def check_max_workers(value: Any) -> int:
    """1 to :data:`MAX_WORKERS`, naming ``max_workers`` otherwise."""
    workers = check_count("max_workers", value, 1)
    if workers > MAX_WORKERS:
        raise ConfigurationError(
            "max_workers", f"{value} is more than the {MAX_WORKERS} connections of the client's pool."
        )
    return workers


@dataclass(eq=False)
class _InFlight:
    """An item handed to the workers and not yet yielded; ``result`` is set once it is recorded."""

    request: PreparedRequest
    started: bool = False  # from here on it may have been sent
    result: ItemResult | None = None


class Publisher:
    """Sends prepared requests through one client from ``max_workers`` threads; yields results as they complete.

    :param client: the commercetools client (one session and one token shared by every thread).
    :param defaults: the validated operator-level request.
    :param on_conflict: ``fail``, ``retry`` or ``latest`` (see :data:`ON_CONFLICT`).
    :param max_conflict_retries: how often one item is re-sent after a 409.
    :param max_workers: requests in parallel.
    :param stop_on_failure: after the first failure, send nothing more (``on_error="fail"``).
    :param single: the defaults are the only item (no ``items``): errors name the parameters directly.
    :param resend_unknown: re-send creates whose outcome was unknown (in an earlier run or attempt) although
        the draft has no key to look them up by (they may then exist twice).
    :param keep_response: keep the whole answer in each result, not only id, version, key...
    :param ordered: yield in input order (a bounded look-ahead: one slow answer holds up the rest).
    :param earlier: what an interrupted earlier attempt of this task did (see ``resume``).
    :param on_send: called in the worker thread just before an item's first request (the journal).
    :param on_result: called once per result, before it is yielded (for a request: in its worker thread,
        under a lock, so that it is not interrupted by a signal in the consuming thread); the records.
    :param late_apply_wait: see :class:`ItemSender` (default: the client's timeout).
    :param redact_fields: field names redacted in every result besides commercetools' secret fields (see
        ``results.redaction``): items, answers and the texts that echo them.
    """

    def __init__(
        self,
        client: Sender,
        defaults: PublishDefaults,
        *,
        on_conflict: str = "fail",
        max_conflict_retries: int = 3,
        max_workers: int = 1,
        stop_on_failure: bool = True,
        single: bool = False,
        resend_unknown: bool = False,
        keep_response: bool = False,
        ordered: bool = False,
        earlier: EarlierAttempts | None = None,
        on_send: Callable[[PreparedRequest], None] | None = None,
        on_result: Callable[[ItemResult], None] | None = None,
        late_apply_wait: float | None = None,
        redact_fields: Iterable[str] = (),
        logger: logging.Logger | Any = None,
    ) -> None:
        self.client = client
        self.defaults = defaults
        self.on_conflict = check_choice("on_conflict", on_conflict, ON_CONFLICT)
        self.max_conflict_retries = check_count("max_conflict_retries", max_conflict_retries, 0)
        self.max_workers = check_max_workers(max_workers)
        self.stop_on_failure = stop_on_failure
        self.single = single
        self.resend_unknown = resend_unknown
        self.keep_response = keep_response
        self.ordered = ordered
        self.earlier = earlier
        self.on_send = on_send
        self.on_result = on_result
        self.redactor = Redactor(check_redact_fields(redact_fields))
        self.log = logger or log
        self._stop = threading.Event()
        self.sender = ItemSender(
            client,
            on_conflict=self.on_conflict,
            max_conflict_retries=self.max_conflict_retries,
            stop=self._stop,
            log=self.log,
            late_apply_wait=late_apply_wait,
        )
        self.token_failures = TokenFailures()
        self._stop_reason = "the batch stopped after an earlier failure"
        self._final_stop = False
        #: the items handed to the workers and not yet yielded, by index (see unfinished)
        self._items: dict[int, _InFlight] = {}
        #: taken by a worker to start an item or record its result, and by unfinished()
        self._lock = threading.Lock()

    def stop(self, reason: str = "") -> None:
        """Send nothing more (requests in flight finish); what is left is reported as not sent (``reason``)."""
        if reason:
            self._stop_reason = reason
            self._final_stop = True  # e.g. on_kill: also before publish() starts
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # -- preparing -----------------------------------------------------------------------------

    def prepare(self, index: int, raw: Any) -> PreparedRequest | ItemResult:
        """Validate one item and build its request; an invalid item becomes a failed result."""
        item = raw
        if is_result_record(raw):
            if raw["status"] not in TO_RESEND:
                return ItemResult(
                    index,
                    SKIPPED,
                    str(raw.get("request", "")),
                    response=raw.get("response") if isinstance(raw.get("response"), dict) else None,
                    note="succeeded in an earlier run; not sent again",
                )
            item = raw.get("item")
        try:
            if item is not raw:  # an earlier run's record: its item may have had secrets redacted
                self.redactor.check_item(f"items[{index}]", item)
            prepared = build_request(
                self.defaults,
                index,
                item,
                label="" if self.single else f"items[{index}]",
                latest=self.on_conflict == "latest",
            )
        except ConfigurationError as error:
            original = item.text if isinstance(item, UnreadableItem) else item
            return ItemResult(
                index, FAILED, self._fallback_describe(), error=describe_error(error), item=original, cause=error
            )
        unknown = is_result_record(raw) and (raw.get("error") or {}).get("type") == OutcomeUnknownError.__name__
        if unknown and prepared.operation == CREATE and prepared.lookup_path is not None:
            prepared = replace(prepared, sent_before=True)  # it may exist: looked up by its key first
        elif unknown and prepared.operation == CREATE and not self.resend_unknown:
            # Sending it again could create it twice: nothing identifies it to look it up first.
            return ItemResult(
                index,
                OUTCOME_UNKNOWN,
                prepared.describe,
                error=raw["error"],
                item=item,
                note=(
                    "not sent again: its outcome was unknown in an earlier run and the draft has no key to check "
                    "it by; check commercetools, then give it a key or set resend_unknown=True"
                ),
            )
        if self.earlier:
            return self.earlier.apply(prepared, resend_unknown=self.resend_unknown)
        return prepared

    def prepare_all(self, items: Iterable[Any], *, strict: bool | None = None) -> list[PreparedRequest | ItemResult]:
        """Validate every item of an in-memory batch before anything is sent.

        When ``strict`` (default: ``stop_on_failure``) the first invalid item raises its
        :class:`ConfigurationError` (saying how many are invalid), so that nothing at all is sent;
        otherwise invalid items become failed results and the valid ones are sent.
        """
        prepared = [self.prepare(index, raw) for index, raw in enumerate(items)]
        invalid = [p.cause for p in prepared if isinstance(p, ItemResult) and isinstance(p.cause, ConfigurationError)]
        if invalid and (self.stop_on_failure if strict is None else strict):
            first = invalid[0]
            if len(invalid) > 1:
                raise ConfigurationError(
                    first.parameter,
                    f"{first.problem} ({len(invalid)} of {len(prepared)} items are invalid; nothing was sent.)",
                    first.fix or "Fix the items, or set on_error='continue' or 'skip' to send the valid ones.",
                )
            raise first
        return prepared

    def iter_prepared(self, items: Iterable[Any]) -> Iterator[PreparedRequest | ItemResult]:
        """Validate items one by one as they are read (for streamed input)."""
        for index, raw in enumerate(items):
            yield self.prepare(index, raw)

    def _fallback_describe(self) -> str:
        return f"{self.defaults.method} {self.defaults.target}"

    # -- sending -------------------------------------------------------------------------------

    def publish(self, prepared: Iterable[PreparedRequest | ItemResult]) -> Generator[ItemResult, None, None]:
        """Send the requests; yield one result per entry as it completes (in input order if ``ordered``)."""
        if not self._final_stop:
            self._stop.clear()
        self._items = {}
        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="commercetools-publish")
        finished = False
        try:
            if self.ordered:
                yield from self._publish_in_order(pool, prepared)
            else:
                yield from self._publish_as_completed(pool, prepared)
            finished = True
        finally:
            if not finished:  # the consumer went away or failed: start nothing new
                self._stop.set()
            pool.shutdown(wait=finished, cancel_futures=True)

    def _publish_as_completed(
        self, pool: ThreadPoolExecutor, prepared: Iterable[PreparedRequest | ItemResult]
    ) -> Iterator[ItemResult]:
        # Completed futures arrive through a queue filled by their done callbacks: the consuming thread
        # takes no lock of the futures, so a signal that raises in it (Airflow 2's SIGTERM handler)
        # cannot leave a future's lock held and a worker thread blocked forever.
        done: queue.SimpleQueue[Future[ItemResult]] = queue.SimpleQueue()
        bound = 2 * self.max_workers
        for entry in prepared:
            yield from self._completed(done, block=False)  # first, so that a failure stops what follows
            if isinstance(entry, ItemResult):
                if entry.status == FAILED and self.stop_on_failure:
                    self._stop.set()
                yield self._recorded(entry)
            elif self._stop.is_set():
                yield self._recorded(self._not_sent(entry))
            else:
                pool.submit(self._run, self._in_flight(entry)).add_done_callback(done.put)
                if len(self._items) >= bound:
                    yield from self._completed(done, block=True)
        while self._items:
            yield from self._completed(done, block=True)

    def _completed(self, done: queue.SimpleQueue[Future[ItemResult]], *, block: bool) -> Iterator[ItemResult]:
        """The results that are done (waiting for at least one if ``block``), by index."""
        if not self._items:
            return
        futures = []
        try:
            futures.append(done.get(block=block))
            while True:
                futures.append(done.get_nowait())
        except queue.Empty:
            pass
        for result in sorted((future.result() for future in futures), key=lambda r: r.index):
            self._items.pop(result.index, None)  # recorded already (by its worker)
            yield result

    def _publish_in_order(
        self, pool: ThreadPoolExecutor, prepared: Iterable[PreparedRequest | ItemResult]
    ) -> Iterator[ItemResult]:
        window: deque[Future[ItemResult]] = deque()
        bound = 4 * self.max_workers
        for entry in prepared:
            if isinstance(entry, ItemResult):
                if entry.status == FAILED and self.stop_on_failure:
                    self._stop.set()
                window.append(_completed(self._recorded(entry)))
            elif self._stop.is_set():
                window.append(_completed(self._recorded(self._not_sent(entry))))
            else:
                window.append(pool.submit(self._run, self._in_flight(entry)))
            while window and (len(window) >= bound or window[0].done()):
                yield self._take(window.popleft())
        while window:
            yield self._take(window.popleft())

    def _take(self, future: Future[ItemResult]) -> ItemResult:
        result = future.result()
        self._items.pop(result.index, None)
        return result

    def unfinished(self) -> list[ItemResult]:
        """After an interrupted :meth:`publish`: a result for each item handed to the workers but not yielded.

        An item whose worker recorded its result keeps it; one whose request had started is recorded as
        failed with an unknown outcome (it may have been applied; its worker, finishing later, records
        nothing more); the others are recorded as not sent (their workers will not send them).
        """
        self._stop.set()
        with self._lock:
            for flight in self._items.values():
                if flight.result is None:
                    unknown = flight.started  # it may have been sent
                    self._record(flight, (self._unknown if unknown else self._not_sent)(flight.request))
            results = [flight.result for flight in self._items.values() if flight.result is not None]
            self._items = {}
        return sorted(results, key=lambda r: r.index)

    def _unknown(self, request: PreparedRequest) -> ItemResult:
        error = OutcomeUnknownError(
            f"outcome unknown: the task was stopped while {request.describe} was in flight; it may or may "
            "not have been applied",
            method=request.method,
            path=request.path,
        )
        return ItemResult(request.index, FAILED, request.describe, error=describe_error(error), item=request.item)

    def _in_flight(self, request: PreparedRequest) -> _InFlight:
        """Register an item before it is submitted: an interrupted submit still leaves it to unfinished()."""
        flight = self._items[request.index] = _InFlight(request)
        return flight

    def _recorded(self, result: ItemResult) -> ItemResult:
        """A result the consuming thread made (not sent by this run): recorded, then yielded."""
        result = self.redactor.result(result)
        if self.on_result is not None:
            self.on_result(result)
        return result

    def _record(self, flight: _InFlight, result: ItemResult) -> ItemResult:
        """Record an item's result unless it has one already (called with ``self._lock`` held)."""
        if flight.result is None:
            result = self.redactor.result(result)
            if self.on_result is not None:
                self.on_result(result)
            flight.result = result
        return flight.result

    def _not_sent(self, request: PreparedRequest) -> ItemResult:
        return ItemResult(
            request.index, NOT_SENT, request.describe, item=request.item, note=f"not sent: {self._stop_reason}"
        )

    def _run(self, flight: _InFlight) -> ItemResult:
        request = flight.request
        with self._lock:  # either unfinished() sees it started, or this sees the stop and sends nothing
            if self._stop.is_set():
                return self._record(flight, self._not_sent(request))
            flight.started = True
        result = self._send(request)
        with self._lock:
            return self._record(flight, result)

    def _send(self, request: PreparedRequest) -> ItemResult:
        progress = Progress()
        try:
            if self.on_send is not None:
                self.on_send(request)
            body = self.sender.send(request, progress)
        except Exception as error:  # every item ends with a result; the batch goes on or stops by on_error
            reason = self.token_failures.failed(error, stop_anyway=self.stop_on_failure)
            if reason:  # whatever on_error says: every other item would fail the same way
                self.stop(reason)
            elif self.stop_on_failure:
                self._stop.set()
            return ItemResult(
                request.index,
                FAILED,
                request.describe,
                error=describe_error(error),
                item=request.item,
                conflict_retries=progress.conflict_retries,
                note=progress.note,
            )
        self.token_failures.succeeded()
        keep = whole_response if self.keep_response else summarise_response
        return ItemResult(
            request.index,
            SUCCEEDED,
            request.describe,
            response=keep(body, request.method),
            recovered=progress.recovered,
            conflict_retries=progress.conflict_retries,
            note=progress.note,
        )


def _completed(result: ItemResult) -> Future[ItemResult]:
    future: Future[ItemResult] = Future()
    future.set_result(result)
    return future
