"""Concurrent keyset reads: a collection (or one partition of it) split into ranges, one thread each.

The ranges are of a *key space*: ids (:class:`~.id_ranges.IdSpace`, ``sort=id asc``, the default) or,
for a window read in ``lastModifiedAt`` order, time ranges of the window
(:class:`~.modified_order.ModifiedSpace`: half-open ``[a, b)`` at millisecond precision, each read
with the ``(lastModifiedAt, id)`` keyset). What follows says "id" for either.

The threads share one client (one HTTP session, one token). When a thread finishes its range it
splits the largest remaining one at that range's current position, between the last id read and
its upper bound, and reads the upper half (work stealing on the id space), so that uneven ranges
(a ``where`` filter, deletions, clustered ids) keep every thread busy to the end.

Pages reach the caller through a bounded queue: memory holds a few pages per thread, whatever the
size of the collection. Each range is read by the paging engine (:class:`RangePaging`, a keyset
strategy driven by :func:`~.engine.drive_pages`); only the scheduling of the ranges is this module's.
Within a range, pages come in id order; ranges interleave. Every entity is yielded once: the
ranges are disjoint and together are the whole id range; a page that overlaps a range that was
split while its request was in flight is cut at the new bound.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.reading.engine import (
    KeysetStrategy,
    PageRequest,
    Send,
    cut,
    drive_pages,
)
from airflow_provider_commercetools.commercetools.reading.id_ranges import ID_SPACE, IdSpace
from airflow_provider_commercetools.commercetools.reading.modified_order import ModifiedSpace
from airflow_provider_commercetools.commercetools.reading.pages import Page, SupportsRequest, fetch_page

MAX_CONCURRENCY = 32
#: Seconds a thread waits for room in the queue before checking whether the read was stopped.
_PUT_WAIT = 0.2


@dataclass
class RangeProgress:
    """How far one id range was read and handed to the caller.

    ``delivered_after`` is the key of the last entity the caller received (None: nothing yet): its
    id, or its ``(lastModifiedAt, id)`` in the modified order; ``complete`` says every entity of the
    range was received.
    """

    index: int
    lower: str | None
    upper: str | None
    delivered_after: Any = None
    delivered: int = 0
    complete: bool = False
    failed: bool = False
    # worker side
    after: Any = None
    read: int = 0
    requests: int = 0
    done: bool = False
    pending: int = 0
    split_from: int | None = None
    #: entities per position of the id space in the last page (how dense the range is where it reads)
    density: float | None = None
    #: the key space of the range
    space: IdSpace | ModifiedSpace = ID_SPACE

    def remaining_predicate(self) -> str | None:
        """The predicate of what the caller has not received from this range."""
        return self.space.predicate(self.lower, self.upper, after=self.delivered_after)

    def describe(self) -> str:
        bounds = self.space.predicate(self.lower, self.upper) or f"all {self.space.name}s"
        return f"range {self.index + 1} ({bounds})"

    def describe_after(self) -> str:
        """Where the caller's part of the range ends: ``id 'x'`` or ``lastModifiedAt 't', id 'x'``."""
        return self.space.describe_after(self.delivered_after)


class ConcurrentRead:
    """Read ``[lower, upper)`` of the collection at ``path`` with ``concurrency`` threads.

    :param space: the key space the ranges split (ids, the default; or the window's time with
        :data:`~.modified_order.MODIFIED_SPACE`, whose ``lower``/``upper`` are the window's bounds).

    :param client: shared by every thread (it is thread-safe: one session, one token).
    :param query: the caller's query without paging parameters; ``where`` is a list of predicates
        (the id range predicates are added per request).
    :param max_items: stop after this many entities (which ones depends on the ranges' progress).
    :param keep_text: give each entity's JSON text (``Page.texts``); with ``keep_results=False``
        ``Page.results`` holds only ``{"id": ...}`` per entity (see :func:`~.pages.fetch_page`).
    :param steal: split the largest remaining range when a thread runs out of work (on by default;
        off only to show in tests what it changes).
    """

    def __init__(
        self,
        client: SupportsRequest,
        path: str,
        *,
        query: Mapping[str, Any],
        concurrency: int,
        lower: str | None = None,
        upper: str | None = None,
        page_size: int = 500,
        max_items: int | None = None,
        keep_text: bool = False,
        keep_results: bool = True,
        steal: bool = True,
        space: IdSpace | ModifiedSpace = ID_SPACE,
    ) -> None:
        self.space = space
        query = dict(query)
        self.where = [w for w in query.pop("where", None) or [] if w]
        query.pop("sort", None)
        self.query = query
        self._client = client
        self.path = path
        self.page_size = page_size
        self.max_items = max_items
        self._keep_text = keep_text
        self._keep_results = keep_results
        self._steal_enabled = steal
        self.concurrency = concurrency
        self._lock = threading.Lock()
        #: notified whenever a range moves on, so an idle thread looks again for something to split
        self._moved = threading.Condition(self._lock)
        self._stop = threading.Event()
        # Room for a page per two threads: the caller writes a page in about a millisecond, so the queue
        # is mostly empty; a thread that finds it full waits, holding its one page.
        self._queue: queue.Queue[tuple[str, Any, Any]] = queue.Queue(maxsize=max(concurrency // 2, 2))
        self.ranges = [
            RangeProgress(i, lo, hi, space=space) for i, (lo, hi) in enumerate(space.split(lower, upper, concurrency))
        ]
        #: requests sent by each thread (thread i is ``worker_requests[i]``).
        self.worker_requests = [0] * concurrency
        #: ``(started, ended)`` monotonic times of each thread's requests.
        self.worker_busy: list[list[tuple[float, float]]] = [[] for _ in range(concurrency)]
        self.splits = 0
        self.failed: RangeProgress | None = None

    # -- the caller's side -----------------------------------------------------------------------

    def pages(self) -> Iterator[Page]:
        """Yield pages as the threads read them; raise the first range failure after stopping the rest."""
        started = time.monotonic()
        threads = []
        for worker in range(self.concurrency):
            first = self.ranges[worker] if worker < len(self.ranges) else None
            thread = threading.Thread(
                target=self._work, args=(worker, first), name=f"commercetools-read-{worker + 1}", daemon=True
            )
            threads.append(thread)
        for thread in threads:
            thread.start()
        alive = len(threads)
        delivered = 0
        number = 0
        try:
            while alive:
                kind, item, extra = self._queue.get()
                if kind == "done":
                    alive -= 1
                    continue
                if kind == "error":
                    if item is not None:
                        with self._lock:
                            item.failed = True
                            self.failed = item
                    raise extra
                progress: RangeProgress = item
                page: Page = extra
                results, texts = page.results, page.texts
                if self.max_items is not None:
                    results, texts = cut(results, texts, self.max_items - delivered)
                number += 1
                out = Page(
                    results,
                    number,
                    "keyset",
                    page.limit,
                    0,
                    delivered,
                    time.monotonic() - started,
                    texts,
                    progress.index,
                )
                with self._lock:
                    progress.pending -= 1
                    progress.delivered += len(results)
                    if results:
                        progress.delivered_after = self.space.key(results[-1])
                    progress.complete = progress.done and progress.pending == 0
                delivered += len(results)
                yield out
                if self.max_items is not None and delivered >= self.max_items:
                    return
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(timeout=0.5)

    def progress(self) -> list[RangeProgress]:
        """A snapshot of every range, in id order."""
        with self._lock:
            return sorted(
                (RangeProgress(**vars(r)) for r in self.ranges),
                key=lambda r: "" if r.lower is None else r.lower,
            )

    # -- the threads -----------------------------------------------------------------------------

    def _work(self, worker: int, progress: RangeProgress | None) -> None:
        current = progress
        try:
            if current is None:
                current = self._steal()
            while current is not None and not self._stop.is_set():
                self._read(worker, current)
                current = self._steal() if self._steal_enabled else None
        except BaseException as error:  # handed to the caller, who raises it
            if not self._stop.is_set():
                self._put(("error", current, error))
        finally:
            self._put(("done", worker, None), force=True)

    def _read(self, worker: int, progress: RangeProgress) -> None:
        for page in drive_pages(self._sender(worker), RangePaging(self, progress)):
            if not self._put(("page", progress, page)) or self._stop.is_set():
                return

    def _sender(self, worker: int) -> Send:
        """Fetch a page for thread ``worker``, counting its requests and when it was busy."""

        def send(request: PageRequest) -> tuple[dict[str, Any], list[str] | None]:
            begun = time.monotonic()
            answer = fetch_page(
                self._client, request.path, request.query, keep_text=self._keep_text, keep_results=self._keep_results
            )
            self.worker_requests[worker] += 1
            self.worker_busy[worker].append((begun, time.monotonic()))
            return answer

        return send

    def continuation_of(self, progress: RangeProgress) -> tuple[Any, str | None]:
        """Where ``progress`` stands: the last key read and the current upper bound (another thread may lower it)."""
        with self._lock:
            return progress.after, progress.upper

    def record(
        self, progress: RangeProgress, results: list[dict[str, Any]], texts: list[str] | None, full: bool
    ) -> tuple[list[dict[str, Any]], list[str] | None, bool]:
        """Note a page of ``progress``: the results within its bound, their texts, and whether the range is done."""
        with self._lock:
            progress.requests += 1
            finished = not full
            keep = self.space.kept(results, progress.upper)
            if keep < len(results):
                # The range was split while this request was in flight: the rest is another range's.
                results, texts = cut(results, texts, keep)
                finished = True
            if results:
                last = self.space.key(results[-1])
                start = (
                    self.space.after_position(progress.after)
                    if progress.after is not None
                    else self.space.position(progress.lower)
                )
                end = self.space.after_position(last)
                if start is not None and end is not None and end > start:
                    progress.density = len(results) / (end - start)
                progress.after = last
            progress.read += len(results)
            progress.done = finished
            progress.pending += 1
            self._moved.notify_all()
        return results, texts, finished

    def _put(self, item: tuple[str, Any, Any], *, force: bool = False) -> bool:
        """Queue ``item``, waiting for room; False when the read was stopped meanwhile."""
        while True:
            if self._stop.is_set() and not force:
                return False
            try:
                self._queue.put(item, timeout=_PUT_WAIT)
                return True
            except queue.Full:
                if force and self._stop.is_set():
                    return False

    def _steal(self) -> RangeProgress | None:
        """Split the range with the most entities left (estimated from the density of its last page).

        While no range is worth splitting (less than two pages left, as far as can be told), wait for
        the ranges to move on and look again; None when every range is finished (or the read stopped).
        """
        with self._moved:
            while not self._stop.is_set():
                if all(r.done for r in self.ranges):
                    return None
                stolen = self._split_largest()
                if stolen is not None:
                    return stolen
                self._moved.wait(timeout=_PUT_WAIT)
            return None

    def _split_largest(self) -> RangeProgress | None:
        covered = sum(_covered(r) for r in self.ranges)
        read = sum(r.read for r in self.ranges)
        default_density = read / covered if covered > 0 and read > 0 else 1.0
        candidates = sorted(
            (r for r in self.ranges if not r.done),
            key=lambda r: _remaining(r, default_density),
            reverse=True,
        )
        for candidate in candidates:
            # Leave the stealer at least a page, and leave the owner the page it is reading now.
            if _remaining(candidate, default_density) < 2 * self.page_size:
                break
            ahead = int(self.page_size / candidate.density) if candidate.density else 0
            point = self.space.split_point(candidate.lower, candidate.after, candidate.upper, ahead=ahead)
            if point is None:
                continue
            new = RangeProgress(len(self.ranges), point, candidate.upper, split_from=candidate.index, space=self.space)
            candidate.upper = point
            self.ranges.append(new)
            self.splits += 1
            return new
        return None


class RangePaging(KeysetStrategy[Page]):
    """Keyset paging in the space's order within one range of a :class:`ConcurrentRead` (its bound may shrink)."""

    def __init__(self, read: ConcurrentRead, progress: RangeProgress) -> None:
        super().__init__(read.path, read.query, read.where, keys=read.space.keys)
        self.concurrent = read
        self.progress = progress
        self.limit = read.page_size if read.max_items is None else min(read.page_size, read.max_items)
        self.number = 0
        self.finished = False
        self.requested_after: Any = None

    def continuation(self) -> list[str]:
        self.requested_after, upper = self.concurrent.continuation_of(self.progress)
        predicate = self.concurrent.space.predicate(self.progress.lower, upper, after=self.requested_after)
        return [predicate] if predicate else []

    def next_request(self) -> PageRequest | None:
        return None if self.finished else self.keyset_request(self.limit)

    def read_page(self, body: Any, texts: list[str] | None) -> Page:
        self.number += 1
        full = len(body["results"]) >= self.limit
        results, texts = cut(body["results"], texts, self.limit)
        self.concurrent.space.check_page(results, self.requested_after, self.number, self.path)
        results, texts, self.finished = self.concurrent.record(self.progress, results, texts, full)
        return Page(results, self.number, "keyset", self.limit, 0, 0, 0.0, texts, self.progress.index)


def _covered(progress: RangeProgress) -> int:
    low = progress.space.position(progress.lower)
    here = progress.space.after_position(progress.after) if progress.after is not None else low
    return 0 if low is None or here is None else max(here - low, 0)


def _remaining(progress: RangeProgress, default_density: float) -> float:
    space = progress.space
    start = space.after_position(progress.after) if progress.after is not None else space.position(progress.lower)
    end = space.position(progress.upper, upper=True)
    if start is None or end is None:
        return 0.0
    density = progress.density if progress.density is not None else default_density
    return max(end - start, 0) * density
