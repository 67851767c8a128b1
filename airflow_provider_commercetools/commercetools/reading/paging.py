"""Paging strategies: how the pages of a collection are requested, one small class per mode.

The default is keyset paging on ``id`` (``sort=id asc``, ``withTotal=false``, then
``where=id > "<last id>"`` ANDed with the caller's predicates), the method the commercetools docs
recommend for iterating over a collection: it has no offset limit. A caller who sorts by another
field gets offset paging, which commercetools caps at offset 10,000: reaching the cap raises
:class:`PaginationLimitError` (never a silently truncated result), before that offset is requested.

A new mode is one subclass of :class:`CollectionPaging` (a strategy of the paging engine,
:mod:`.engine`: it plans requests and reads pages, :func:`~.engine.drive_pages` sends them) decorated
with :func:`paging_strategy`: ``strategy="auto"`` tries the registered strategies in order and takes
the first that accepts the query's sort. Nothing here knows Airflow.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

from airflow_provider_commercetools.commercetools.errors import ConfigurationError, PaginationLimitError
from airflow_provider_commercetools.commercetools.reading.engine import (
    KeysetStrategy,
    PageRequest,
    PagingStrategy,
    check_keyset_page,
    cut,
    drive_pages,
    keyset_predicate,
)
from airflow_provider_commercetools.commercetools.reading.pages import Page, SupportsRequest, fetch_page
from airflow_provider_commercetools.commercetools.reading.predicates import as_predicates, parse_sort, sort_text

#: commercetools' largest ``limit``.
MAX_PAGE_SIZE = 500
#: commercetools' largest ``offset``.
MAX_OFFSET = 10_000
#: Query parameters that paging sets itself.
PAGING_PARAMETERS = ("limit", "offset", "withTotal")

Strategy = Literal["auto", "keyset", "modified", "offset"]
Sorts = Sequence[tuple[str, str]]


class CollectionPaging(PagingStrategy[Page]):
    """A registered way of walking a collection page by page (``strategy=<name>``); one object per read.

    Every subclass is built as ``cls(path, query, where, sorts, page_size, max_items)``: ``query`` is
    the caller's query without ``where`` and ``sort`` (given as ``where`` and ``sorts``).
    """

    #: the name users pass as ``strategy``.
    name: ClassVar[str] = ""
    #: ``auto`` tries a fallback (offset paging: it reads any sort) only after every other strategy.
    fallback: ClassVar[bool] = False

    def __init__(
        self,
        path: str,
        query: Mapping[str, Any],
        where: list[str],
        sorts: Sorts,
        page_size: int,
        max_items: int | None,
    ) -> None:
        self.path, self.query, self.where, self.sorts = path, dict(query), list(where), sorts
        self.page_size = page_size
        self.max_items = max_items
        self.started = time.monotonic()
        self.number = 0
        self.read = 0
        self.limit = page_size
        self.full = True

    @classmethod
    def accepts(cls, sorts: Sorts) -> bool:
        """Whether this strategy can read a query with these sorts (``auto`` takes the first that can)."""
        raise NotImplementedError

    @classmethod
    def refusal(cls, sorts: Sorts) -> str:
        """Why the strategy cannot read this sort, and what to do (for ``strategy=<name>``)."""
        return f"{cls.name} paging cannot read a query sorted by {sort_text(sorts)}."

    @classmethod
    def resume_predicate(cls, sorts: Sorts, last_page: Page) -> str | None:
        """A predicate that reads what comes after ``last_page``, or None if this mode cannot resume."""
        return None

    def more(self) -> bool:
        """Whether the last page was full and ``max_items`` is not reached (before the first page: True)."""
        return self.full and (self.max_items is None or self.read < self.max_items)

    def next_limit(self) -> int:
        """The ``limit`` of the next request: a page, or what is left of ``max_items``."""
        self.limit = limit_for(self.page_size, self.max_items, self.read)
        return self.limit

    def cut_page(self, body: dict[str, Any], texts: list[str] | None) -> tuple[list[Any], list[str] | None]:
        """The page's results (and texts) cut to the ``limit`` asked for; notes whether it was full."""
        self.full = len(body["results"]) >= self.limit
        self.number += 1
        return cut(body["results"], texts, self.limit)

    def page(self, results: list[dict[str, Any]], texts: list[str] | None, offset: int = 0) -> Page:
        """The :class:`Page` of the results just read (numbered, timed, with the count before it)."""
        page = Page(
            results, self.number, self.name, self.limit, offset, self.read, time.monotonic() - self.started, texts
        )
        self.read += len(results)
        return page


STRATEGIES_BY_NAME: dict[str, type[CollectionPaging]] = {}


def paging_strategy(cls: type[CollectionPaging]) -> type[CollectionPaging]:
    """Register a strategy under its ``name`` (in order: ``auto`` prefers the earlier ones)."""
    STRATEGIES_BY_NAME[cls.name] = cls
    return cls


def strategy_names() -> tuple[str, ...]:
    return ("auto", *STRATEGIES_BY_NAME)


def limit_for(page_size: int, max_items: int | None, read: int) -> int:
    return page_size if max_items is None else min(page_size, max_items - read)


@paging_strategy
class KeysetPaging(KeysetStrategy[Page], CollectionPaging):
    """``sort=id <direction>`` and ``id > "<last id>"`` after each page: no offset limit."""

    name = "keyset"

    def __init__(
        self,
        path: str,
        query: Mapping[str, Any],
        where: list[str],
        sorts: Sorts,
        page_size: int,
        max_items: int | None,
    ) -> None:
        KeysetStrategy.__init__(self, path, query, where, direction=sorts[0][1] if sorts else "asc")
        CollectionPaging.__init__(self, path, query, where, sorts, page_size, max_items)

    @classmethod
    def accepts(cls, sorts: Sorts) -> bool:
        return not sorts or (len(sorts) == 1 and sorts[0][0] == "id")

    @classmethod
    def refusal(cls, sorts: Sorts) -> str:
        return f"keyset paging walks the collection by id, but the query sorts by {sort_text(sorts)}."

    def next_request(self) -> PageRequest | None:
        return self.keyset_request(self.next_limit()) if self.more() else None

    def read_page(self, body: Any, texts: list[str] | None) -> Page:
        results, texts = self.cut_page(body, texts)
        check_keyset_page(
            results, None if self.after is None else self.after[0], self.direction, self.number, self.path
        )
        if results:
            self.continue_after(results[-1])
        return self.page(results, texts)

    @classmethod
    def resume_predicate(cls, sorts: Sorts, last_page: Page) -> str | None:
        if last_page.last_id is None:
            return None
        return keyset_predicate(("id",), (last_page.last_id,), sorts[0][1] if sorts else "asc")


@paging_strategy
class OffsetPaging(CollectionPaging):
    """``limit`` / ``offset`` in the caller's sort order, up to commercetools' offset limit of 10,000."""

    name = "offset"
    fallback = True

    #: the ``total`` of the first page (when it was asked for), and the offset of the last request
    total: int | None = None
    offset = 0

    @property
    def reachable(self) -> int:
        """The most that offset paging can read: the last allowed offset plus one page."""
        return (MAX_OFFSET // self.page_size) * self.page_size + self.page_size

    @property
    def bounded(self) -> bool:
        """Whether ``max_items`` stays within reach (then no total is asked for)."""
        return self.max_items is not None and self.max_items <= self.reachable

    @classmethod
    def accepts(cls, sorts: Sorts) -> bool:
        return True

    def next_request(self) -> PageRequest | None:
        if not self.more() or (self.total is not None and self.read >= self.total):
            return None
        self.offset = self.number * self.page_size
        if self.offset > MAX_OFFSET:
            raise _limit_error(self.path, self.sorts, self.reachable, self.total)
        sort = [f"{field} {direction}" for field, direction in self.sorts] or None
        query = {
            **self.query,
            "where": self.where or None,
            "sort": sort,
            "limit": self.next_limit(),
            "offset": self.offset,
        }
        # Ask for the total once, on the first page, to fail at once rather than after 10,000 entities.
        query["withTotal"] = self.number == 0 and not self.bounded
        return PageRequest(self.path, query)

    def read_page(self, body: Any, texts: list[str] | None) -> Page:
        if self.number == 0 and isinstance(body.get("total"), int) and not isinstance(body.get("total"), bool):
            self.total = body["total"]
            if self.total > self.reachable and not self.bounded:
                raise _limit_error(self.path, self.sorts, self.reachable, self.total)
        results, texts = self.cut_page(body, texts)
        return self.page(results, texts, self.offset)


def _limit_error(path: str, sorts: Sorts, reachable: int, total: int | None) -> PaginationLimitError:
    matched = f"{total:,} entities match" if total is not None else f"more than {reachable:,} entities match"
    return PaginationLimitError(
        f"cannot read every entity: sorting by {sort_text(sorts)} needs offset paging, which commercetools "
        f"limits to offset {MAX_OFFSET:,} (at most {reachable:,} entities here), and {matched}; "
        "nothing past the limit was requested and no partial result is returned",
        method="GET",
        path=path,
        hint=(
            "Drop the custom sort (the default keyset paging on id has no limit; sort the entities afterwards), "
            "narrow the read with query['where'] or modified_since/modified_until, split it into id partitions "
            "(each under the limit), or set max_items to read only the first entities in this order"
        ),
    )


# -- choosing and checking -------------------------------------------------------------------------


def strategy_for(query: Mapping[str, Any] | None, strategy: str = "auto") -> type[CollectionPaging]:
    """The strategy class for ``strategy`` (``auto``: the first registered one that accepts the sort)."""
    names = strategy_names()
    if strategy not in names:
        raise ConfigurationError("strategy", f"{strategy!r} is not a paging strategy.", f"One of {names}.")
    sorts = parse_sort((query or {}).get("sort"))
    if strategy == "auto":
        candidates = sorted(STRATEGIES_BY_NAME.values(), key=lambda s: s.fallback)  # stable: in registration order
        return next(s for s in candidates if s.accepts(sorts))
    chosen = STRATEGIES_BY_NAME[strategy]
    if not chosen.accepts(sorts):
        raise ConfigurationError(
            "strategy",
            chosen.refusal(sorts),
            "Drop the sort (and sort the results afterwards), or use strategy='offset' (at most 10,000 entities).",
        )
    return chosen


def choose_strategy(query: Mapping[str, Any] | None, strategy: str = "auto") -> str:
    """The name of the strategy :func:`iter_pages` uses for this query (see :func:`strategy_for`)."""
    return strategy_for(query, strategy).name


def check_page_size(page_size: Any) -> None:
    """Fail unless ``page_size`` is an int from 1 to 500."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigurationError(
            "page_size",
            f"{page_size!r} is not between 1 and {MAX_PAGE_SIZE}.",
            f"commercetools returns at most {MAX_PAGE_SIZE} entities per request.",
        )


def check_max_items(max_items: Any, parameter: str = "max_items") -> None:
    """Fail unless ``max_items`` is None or a positive int."""
    if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1):
        raise ConfigurationError(parameter, f"{max_items!r} is not a positive integer.", "Give None for no limit.")


def check_no_paging_parameters(query: Mapping[str, Any]) -> None:
    """Fail when the query sets what paging sets itself (limit, offset, withTotal)."""
    for name in PAGING_PARAMETERS:
        if name in query:
            raise ConfigurationError(
                f"query[{name!r}]", "is set by pagination.", "Use page_size and max_items, or turn pagination off."
            )


# -- pages and entities ----------------------------------------------------------------------------


def iter_pages(
    client: SupportsRequest,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    max_items: int | None = None,
    strategy: str = "auto",
    on_page: Callable[[Page], None] | None = None,
    keep_text: bool = False,
    keep_results: bool = True,
) -> Iterator[Page]:
    """Yield the pages of the collection at ``path`` (below the project key), first to last.

    :param client: sends the requests (retries, token, errors: see ``CommercetoolsClient``).
    :param path: the collection, e.g. ``products`` or ``in-store/key=eu/orders``.
    :param query: the caller's query parameters (``where`` string or list, ``sort``, ``expand``,
        ``staged``, ``var.*``...); ``limit``, ``offset`` and ``withTotal`` are set by paging.
    :param page_size: entities per request, 1 to 500.
    :param max_items: stop after this many entities (the last request asks for no more, and a page
        larger than asked for is cut).
    :param strategy: ``"auto"`` (keyset on id unless the query sorts by something else: keyset on
        ``(lastModifiedAt, id)`` for ``["lastModifiedAt asc", "id asc"]``, else offset), ``"keyset"``,
        ``"modified"`` or ``"offset"`` (or another registered :class:`PagingStrategy`).
    :param on_page: called with every page before it is yielded (progress logging).
    :param keep_text: also give each entity's JSON text (``Page.texts``), for writing it as received.
    :param keep_results: with ``keep_text``, False reduces ``Page.results`` to ``{"id": ...}`` per
        entity (less memory, for a caller that writes the texts).
    :raises PaginationLimitError: offset paging would need an offset over 10,000; raised before
        that request (or after the first page, when its ``total`` already shows it).
    """
    query = dict(query or {})
    check_page_size(page_size)
    check_max_items(max_items)
    check_no_paging_parameters(query)
    chosen = strategy_for(query, strategy)
    where = as_predicates("query['where']", query.pop("where", None))
    sorts = parse_sort(query.pop("sort", None))
    paging = chosen(path, query, where, sorts, page_size, max_items)

    def send(request: PageRequest) -> tuple[dict[str, Any], list[str] | None]:
        return fetch_page(client, request.path, request.query, keep_text=keep_text, keep_results=keep_results)

    for page in drive_pages(send, paging):
        if on_page is not None:
            on_page(page)
        yield page


def iter_entities(
    client: SupportsRequest,
    path: str,
    *,
    query: Mapping[str, Any] | None = None,
    page_size: int = MAX_PAGE_SIZE,
    max_items: int | None = None,
    strategy: str = "auto",
    on_page: Callable[[Page], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every entity of the collection at ``path``, page after page (see :func:`iter_pages`)."""
    for page in iter_pages(
        client, path, query=query, page_size=page_size, max_items=max_items, strategy=strategy, on_page=on_page
    ):
        yield from page.results
