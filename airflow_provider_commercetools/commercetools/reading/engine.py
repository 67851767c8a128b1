"""The paging engine: a strategy plans the requests and reads the pages, two thin drivers do the I/O.

A :class:`PagingStrategy` never sends anything: :meth:`~PagingStrategy.next_requests` gives the
next request(s) (none: the read is done; it may raise, e.g. before an offset over commercetools'
limit), and :meth:`~PagingStrategy.read_page` takes a decoded answer, checks it and returns what the
driver yields. :func:`drive_pages` (synchronous) and :func:`adrive_pages` (coroutines) are the only
paging loops: keyset (on ``id`` or on any sort keys, as the Messages' ``(createdAt, id)``), offset,
id ranges read concurrently, Messages and Import operations are strategies they drive.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from airflow_provider_commercetools.commercetools.errors import UnexpectedResponseError
from airflow_provider_commercetools.commercetools.reading.predicates import quote_string

T = TypeVar("T", covariant=True)  # a strategy of pages of T is one of pages of any base of T

#: A decoded answer: the body, and (when the sender keeps them) each result's JSON text.
Answer = tuple[Any, "list[str] | None"]


@dataclass(frozen=True)
class PageRequest:
    """One GET of a page: the path (below the client's base) and its query parameters."""

    path: str
    query: dict[str, Any]


Send = Callable[[PageRequest], Answer]
SendMany = Callable[[Sequence[PageRequest]], Sequence[Answer]]
AsyncSend = Callable[[PageRequest], Awaitable[Answer]]


class PagingStrategy(Generic[T]):
    """Plans the requests of one paged read and reads its answers; no I/O (the drivers send)."""

    def next_request(self) -> PageRequest | None:
        """The next request after the answers read so far; None when the read is done."""
        raise NotImplementedError

    def next_requests(self) -> list[PageRequest]:
        """The requests to send next (several: they may be sent at once); empty when the read is done."""
        request = self.next_request()
        return [] if request is None else [request]

    def read_page(self, body: Any, texts: list[str] | None) -> T:
        """Check one decoded answer (in request order), note where the read stands, return what is yielded."""
        raise NotImplementedError


class ProgressCheck:
    """Stops a read whose server does not move on: the drivers check every page with it, for every strategy.

    Two signs that a server (or a proxy or cache before it) ignores the query string: a different
    request answered with the same page as the one before (offset, id ranges, Import operations, any
    strategy), and a keyset page that does not continue after the key it was asked to continue after.
    Without this check such a read fetches the same page until a bound stops it, writing it again and again.
    """

    def __init__(self, strategy: PagingStrategy[Any]) -> None:
        self.strategy = strategy
        self.number = 0
        self._previous: tuple[PageRequest, Any] | None = None

    def planned(self, requests: Sequence[PageRequest]) -> list[tuple[PageRequest, tuple[str, ...] | None]]:
        """The requests with the keyset position each continues after (known when one request is planned)."""
        after = getattr(self.strategy, "after", None) if len(requests) == 1 else None
        return [(request, after) for request in requests]

    def check(self, request: PageRequest, after: tuple[str, ...] | None, body: Any) -> None:
        """Fail when this page shows no progress (see the class docstring)."""
        self.number += 1
        results = body.get("results") if isinstance(body, Mapping) else None
        if not isinstance(results, list) or not results:
            self._previous = None
            return
        signature = _signature(results)
        previous, self._previous = self._previous, (request, signature)
        if previous is not None and previous[0] != request and previous[1] == signature:
            self._fail(request, "is the same page again (the same results as the page before)")
        keys = getattr(self.strategy, "keys", None)
        if after is not None and keys and isinstance(results[0], Mapping):
            first = tuple(str(results[0].get(key)) for key in keys)
            ahead = first > after if getattr(self.strategy, "direction", "asc") == "asc" else first < after
            if not ahead:
                self._fail(request, f"does not continue after {', '.join(keys)} {after!r} (it starts at {first!r})")

    def _fail(self, request: PageRequest, what: str) -> None:
        raise UnexpectedResponseError(
            f"no progress: page {self.number} of {request.path!r} {what}; reading on would fetch it again without end",
            method="GET",
            path=request.path,
            hint="The server, or a proxy or cache before it, ignores the query string ('where', 'sort', "
            "'offset'): reach commercetools directly, or make the proxy pass the query on",
        )


def _signature(results: list[Any]) -> Any:
    """What tells two pages apart: the results' ids and versions, or (results without ids) their JSON text."""
    if all(isinstance(r, Mapping) and "id" in r for r in results):
        return tuple((r.get("id"), r.get("version"), r.get("createdAt")) for r in results)
    return hashlib.sha256(json.dumps(results, sort_keys=True, default=repr).encode()).hexdigest()


def drive_pages(send: Send, strategy: PagingStrategy[T], *, send_many: SendMany | None = None) -> Iterator[T]:
    """The synchronous paging loop: request, decode (``send``), check progress, read, plan the next, until the
    strategy is done.

    ``send_many`` sends several planned requests at once (e.g. a thread pool); without it they go one by one.
    """
    progress = ProgressCheck(strategy)
    while requests := strategy.next_requests():
        planned = progress.planned(requests)
        answers = send_many(requests) if send_many is not None and len(requests) > 1 else map(send, requests)
        for (request, after), answer in zip(planned, answers, strict=True):
            progress.check(request, after, answer[0])
            yield strategy.read_page(*answer)


async def adrive_pages(send: AsyncSend, strategy: PagingStrategy[T]) -> AsyncIterator[T]:
    """:func:`drive_pages` for coroutines (requests are sent one by one)."""
    progress = ProgressCheck(strategy)
    while requests := strategy.next_requests():
        for request, after in progress.planned(requests):
            answer = await send(request)
            progress.check(request, after, answer[0])
            yield strategy.read_page(*answer)


def request_sender(request: Callable[..., Any]) -> Send:
    """A sender over ``client.request(method, path, query=...)``: the decoded body, no texts."""
    return lambda page: (request("GET", page.path, query=page.query), None)


def async_request_sender(request: Callable[..., Awaitable[Any]]) -> AsyncSend:
    """:func:`request_sender` over ``await client.request(...)``."""

    async def send(page: PageRequest) -> Answer:
        return await request("GET", page.path, query=page.query), None

    return send


# -- keyset paging on any sort keys ------------------------------------------------------------------


def keyset_predicate(keys: Sequence[str], values: Sequence[str], direction: str = "asc") -> str:
    """What comes after ``values`` in the order of ``keys``: ``id > "x"``, ``(a > "1" or (a = "1" and id > "x"))``."""
    compare = ">" if direction == "asc" else "<"
    (key, *rest_keys), (value, *rest_values) = keys, values
    after = f"{key} {compare} {quote_string(value)}"
    if not rest_keys:
        return after
    return f"({after} or ({key} = {quote_string(value)} and {keyset_predicate(rest_keys, rest_values, direction)}))"


class KeysetStrategy(PagingStrategy[T]):
    """Keyset paging in the order of ``keys``: each request continues after the last result read.

    :param where: the caller's predicates (the continuation is ANDed after them).
    :param after: the key values to continue after (None: from the start).
    """

    def __init__(
        self,
        path: str,
        query: Mapping[str, Any],
        where: Sequence[str],
        *,
        keys: Sequence[str] = ("id",),
        direction: str = "asc",
        after: Sequence[str] | None = None,
    ) -> None:
        self.path = path
        self.query = dict(query)
        self.where = list(where)
        self.keys = tuple(keys)
        self.direction = direction
        self.after = None if after is None else tuple(after)

    def continuation(self) -> list[str]:
        """The predicates that skip what was read already."""
        return [] if self.after is None else [keyset_predicate(self.keys, self.after, self.direction)]

    def keyset_request(self, limit: int) -> PageRequest:
        """The request of the next ``limit`` results in key order (one sort key: a string, else a list)."""
        sort = [f"{key} {self.direction}" for key in self.keys]
        query = {
            **self.query,
            "where": [*self.where, *self.continuation()],
            "sort": sort[0] if len(sort) == 1 else sort,
            "limit": limit,
            "withTotal": False,
        }
        return PageRequest(self.path, query)

    def continue_after(self, result: Mapping[str, Any]) -> None:
        """The next request continues after ``result`` (the last one read)."""
        self.after = tuple(str(result[key]) for key in self.keys)


def cut(results: list[Any], texts: list[str] | None, keep: int) -> tuple[list[Any], list[str] | None]:
    """At most ``keep`` results (a server may answer more than the ``limit`` asked for)."""
    if len(results) <= keep:
        return results, texts
    return results[:keep], None if texts is None else texts[:keep]


def check_keyset_page(results: list[dict[str, Any]], after: str | None, direction: str, number: int, path: str) -> None:
    """Fail unless the page continues after ``after`` and is sorted by id, as keyset paging needs."""
    if not results:
        return
    new_last = results[-1].get("id")
    first = results[0].get("id")
    if not isinstance(new_last, str) or (
        after is not None and not (isinstance(first, str) and (first > after if direction == "asc" else first < after))
    ):
        raise UnexpectedResponseError(
            f"page {number} did not continue after id {after!r} (first id {first!r})",
            method="GET",
            path=path,
            hint="This path ignores 'where' or 'sort': read it without pagination, or with offset paging",
        )
    # A server that honours the where but ignores the sort passes the check above and would
    # silently skip every entity whose id lies below the page's last id: check the order.
    page_ids = [r.get("id") for r in results]
    if not all(
        isinstance(a, str) and isinstance(b, str) and (a < b if direction == "asc" else a > b)
        for a, b in itertools.pairwise(page_ids)
    ):
        raise UnexpectedResponseError(
            f"page {number} is not sorted by 'id {direction}' as requested, so paging on its last id "
            "would skip entities",
            method="GET",
            path=path,
            hint="This path ignores 'sort': read it without pagination, or with offset paging",
        )
