"""Concurrent keyset reads: a collection (or one partition of it) split into id ranges, one thread each.

The threads share one client (one HTTP session, one token). When a thread finishes its range it
splits the largest remaining one at that range's current position, between the last id read and
its upper bound, and reads the upper half (work stealing on the id space), so that uneven ranges
(a ``where`` filter, deletions, clustered ids) keep every thread busy to the end.

Pages reach the caller through a bounded queue: memory holds a few pages per thread, whatever the
size of the collection. Within a range, pages come in id order; ranges interleave. Every entity is
yielded once: the ranges are disjoint and together are the whole id range; a page that overlaps a
range that was split while its request was in flight is cut at the new bound.
"""

from __future__ import annotations

import bisect
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.reading.id_ranges import (
    position,
    range_predicate,
    split_point,
    split_range,
)
from airflow_provider_commercetools.commercetools.reading.pages import Page, SupportsRequest, fetch_page
from airflow_provider_commercetools.commercetools.reading.paging import check_keyset_page, cut

MAX_CONCURRENCY = 32
#: Seconds a thread waits for room in the queue before checking whether the read was stopped.
_PUT_WAIT = 0.2


@dataclass
class RangeProgress:
    """How far one id range was read and handed to the caller.

    ``delivered_after`` is the last id of the last page the caller received (None: nothing yet);
    ``complete`` says every entity of the range was received.
    """

    index: int
    lower: str | None
    upper: str | None
    delivered_after: str | None = None
    delivered: int = 0
    complete: bool = False
    failed: bool = False
    # worker side
    after: str | None = None
    read: int = 0
    requests: int = 0
    done: bool = False
    pending: int = 0
    split_from: int | None = None
    #: entities per position of the id space in the last page (how dense the range is where it reads)
    density: float | None = None

    def remaining_predicate(self) -> str | None:
        """The predicate of what the caller has not received from this range."""
        return range_predicate(self.lower, self.upper, after=self.delivered_after)

    def describe(self) -> str:
        bounds = range_predicate(self.lower, self.upper) or "all ids"
        return f"range {self.index + 1} ({bounds})"


class ConcurrentRead:
    """Read ``[lower, upper)`` of the collection at ``path`` with ``concurrency`` threads.

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
    ) -> None:
        query = dict(query)
        self._where = list(query.pop("where", None) or [])
        query.pop("sort", None)
        self._query = query
        self._client = client
        self._path = path
        self._page_size = page_size
        self._max_items = max_items
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
        self.ranges = [RangeProgress(i, lo, hi) for i, (lo, hi) in enumerate(split_range(lower, upper, concurrency))]
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
                if self._max_items is not None:
                    results, texts = cut(results, texts, self._max_items - delivered)
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
                        progress.delivered_after = results[-1]["id"]
                    progress.complete = progress.done and progress.pending == 0
                delivered += len(results)
                yield out
                if self._max_items is not None and delivered >= self._max_items:
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
        number = 0
        while not self._stop.is_set():
            with self._lock:
                after, upper = progress.after, progress.upper
            limit = self._page_size if self._max_items is None else min(self._page_size, self._max_items)
            where = [*self._where, range_predicate(progress.lower, upper, after=after) or ""]
            request = {
                **self._query,
                "where": [w for w in where if w],
                "sort": "id asc",
                "limit": limit,
                "withTotal": False,
            }
            begun = time.monotonic()
            body, texts = fetch_page(
                self._client, self._path, request, keep_text=self._keep_text, keep_results=self._keep_results
            )
            self.worker_requests[worker] += 1
            self.worker_busy[worker].append((begun, time.monotonic()))
            number += 1
            full = len(body["results"]) >= limit
            results, texts = cut(body["results"], texts, limit)
            check_keyset_page(results, after, "asc", number, self._path)
            with self._lock:
                progress.requests += 1
                finished = not full
                if progress.upper is not None and results and results[-1]["id"] >= progress.upper:
                    # The range was split while this request was in flight: the rest is another range's.
                    keep = bisect.bisect_left([r["id"] for r in results], progress.upper)
                    results, texts = cut(results, texts, keep)
                    finished = True
                if results:
                    start, end = position(after or progress.lower), position(results[-1]["id"])
                    if start is not None and end is not None and end > start:
                        progress.density = len(results) / (end - start)
                    progress.after = results[-1]["id"]
                progress.read += len(results)
                progress.done = finished
                progress.pending += 1
                self._moved.notify_all()
            page = Page(results, number, "keyset", limit, 0, 0, 0.0, texts, progress.index)
            if not self._put(("page", progress, page)):
                return
            if finished:
                return

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
            if _remaining(candidate, default_density) < 2 * self._page_size:
                break
            start = candidate.after if candidate.after is not None else candidate.lower
            ahead = int(self._page_size / candidate.density) if candidate.density else 0
            point = split_point(start, candidate.upper, ahead=ahead)
            if point is None:
                continue
            new = RangeProgress(len(self.ranges), point, candidate.upper, split_from=candidate.index)
            candidate.upper = point
            self.ranges.append(new)
            self.splits += 1
            return new
        return None


def _covered(progress: RangeProgress) -> int:
    low = position(progress.lower)
    here = position(progress.after) if progress.after is not None else low
    return 0 if low is None or here is None else max(here - low, 0)


def _remaining(progress: RangeProgress, default_density: float) -> float:
    start = position(progress.after) if progress.after is not None else position(progress.lower)
    end = position(progress.upper, upper=True)
    if start is None or end is None:
        return 0.0
    density = progress.density if progress.density is not None else default_density
    return max(end - start, 0) * density
