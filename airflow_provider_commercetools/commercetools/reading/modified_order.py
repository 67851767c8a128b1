"""Windowed reads in ``lastModifiedAt`` order: keyset paging on ``(lastModifiedAt, id)``, and its time ranges.

A narrow ``lastModifiedAt`` window over a large collection, read in ``id`` order, walks every id of
the collection and filters each by the window: the server examines the whole collection for a few
matches, and commercetools may cut such a query off as too complex. Read in ``lastModifiedAt``
order (as Estuary's commercetools source does) the walk follows the window itself:
``sort=lastModifiedAt asc&sort=id asc``, and after each page
``(lastModifiedAt > "t" or (lastModifiedAt = "t" and id > "x"))`` ANDed with the window
``lastModifiedAt >= since and lastModifiedAt < until``, ``withTotal=false``, 500 per page.

What commercetools documents, and what this relies on:

- ``lastModifiedAt`` is a ``datetime`` of every resource (api-specs/api/types/common/BaseResource.raml in
  commercetools/commercetools-api-reference, commit 061b3c5e7f04fcaf15afc58d79c5d565e63b601b), written
  in UTC with milliseconds (``2026-11-01T10:00:00.123Z``, as in every example of the docs);
- ``sort`` may be repeated "to sort by multiple fields" (api-specs/api/types/common/Sort.raml, commit
  4055fc15c037521387c7c7687cfceee73527f55f): ``id`` breaks the ties of equal ``lastModifiedAt``, so the
  order is total and a keyset can continue after any row;
- predicates compare with ``<``, ``<=``, ``>``, ``>=``, ``=`` and combine with ``and``, ``or`` and
  parentheses (https://docs.commercetools.com/api/predicates/query).

The continuation repeats the ``lastModifiedAt`` of the last row as the server wrote it, so the
server compares its own values; the bounds sent are the window's, at millisecond precision
(:func:`~.predicates.format_timestamp`). The docs do not say whether a timestamp literal is compared
as a string or as a date; for the millisecond form both orders agree.

Rows modified while the window is read: their ``lastModifiedAt`` becomes the time of that write,
which is after the window's end (a window is read once it has settled on the server's clock, see
:mod:`.settle`), so they leave the window. A row already read stays in the file as it was; a row not
yet read is not read by this window, and the later window that holds its new ``lastModifiedAt``
reads it. That is what id order with a window filter does too: every change is in one window's file.
A window without an end has no such guarantee in this order (a row modified during the read would be
read again, later in the order), so ``order="modified"`` needs ``modified_until``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError, UnexpectedResponseError
from airflow_provider_commercetools.commercetools.reading.engine import KeysetStrategy, PageRequest, keyset_predicate
from airflow_provider_commercetools.commercetools.reading.pages import Page
from airflow_provider_commercetools.commercetools.reading.paging import CollectionPaging, Sorts, paging_strategy
from airflow_provider_commercetools.commercetools.reading.predicates import (
    format_timestamp,
    quote_string,
    sort_text,
    to_utc_datetime,
)

#: ``order`` values of a read: ``auto`` takes ``modified`` for a paged window with an end, else ``id``.
ORDERS = ("auto", "id", "modified")
#: The sort of the modified order.
MODIFIED_SORT = ["lastModifiedAt asc", "id asc"]
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MS = dt.timedelta(milliseconds=1)
#: Where splitting starts when a window has no start (the first range stays open below: nothing is left out).
_FLOOR = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def moment(value: Any) -> dt.datetime | None:
    """A timestamp as an aware UTC datetime, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return to_utc_datetime("lastModifiedAt", value)
    except ConfigurationError:
        return None


def _milliseconds(value: dt.datetime) -> int:
    return (value - _EPOCH) // _MS


def _stamp(milliseconds: int) -> str:
    return format_timestamp(_EPOCH + milliseconds * _MS)


class ModifiedSpace:
    """The ``lastModifiedAt`` axis as a concurrent read splits it (the key space of the modified order).

    Bounds are timestamps at millisecond precision, a range is ``[lower, upper)`` (None: open), and a
    range continues after a ``(lastModifiedAt, id)`` pair. Ranges split at whole milliseconds, so
    adjacent ranges share no instant: together they hold every row of the window exactly once.
    Same methods as :class:`~.id_ranges.IdSpace`.
    """

    name = "modified"
    keys: tuple[str, ...] = ("lastModifiedAt", "id")

    def key(self, result: Any) -> tuple[str, str]:
        return (str(result["lastModifiedAt"]), str(result["id"]))

    def position(self, bound: str | None, *, upper: bool = False) -> int | None:
        """Milliseconds since 1970 of a bound (an open lower bound: 2000-01-01, an open upper one: None)."""
        if bound is None:
            return None if upper else _milliseconds(_FLOOR)
        when = moment(bound)
        return None if when is None else _milliseconds(when)

    def after_position(self, after: Any) -> int | None:
        return self.position(after[0])

    def split(self, lower: str | None, upper: str | None, parts: int) -> list[tuple[str | None, str | None]]:
        """``[lower, upper)`` as up to ``parts`` adjacent ranges of about equal duration."""
        low, high = self.position(lower), self.position(upper, upper=True)
        if parts <= 1 or low is None or high is None:
            return [(lower, upper)]
        points: list[int] = []
        for i in range(1, parts):
            point = low + (high - low) * i // parts
            if point > (points[-1] if points else low) and point < high:
                points.append(point)
        bounds: list[str | None] = [lower, *(_stamp(p) for p in points), upper]
        return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]

    def split_point(self, lower: str | None, after: Any, upper: str | None, *, ahead: int = 0) -> str | None:
        """A whole millisecond after where the range stands and before ``upper``, near the middle, or None."""
        low = self.after_position(after) if after is not None else self.position(lower)
        high = self.position(upper, upper=True)
        if low is None or high is None:
            return None
        start = low
        if low + ahead < high:
            low += ahead
        middle = (low + high) // 2
        # A point at least 1 ms after the last row's instant lies after the pair (instant, id): the owner
        # keeps every row up to it, the new range starts there.
        if middle <= start or middle >= high:
            return None
        return _stamp(middle)

    def predicate(self, lower: str | None, upper: str | None, after: Any = None) -> str | None:
        """``lastModifiedAt >= lower`` (or the continuation after ``after``) ``and lastModifiedAt < upper``."""
        parts = []
        if after is not None:
            parts.append(keyset_predicate(self.keys, after))
        elif lower is not None:
            parts.append(f"lastModifiedAt >= {quote_string(lower)}")
        if upper is not None:
            parts.append(f"lastModifiedAt < {quote_string(upper)}")
        return " and ".join(parts) or None

    def kept(self, results: list[Any], upper: str | None) -> int:
        """How many of the (sorted) results lie before ``upper``."""
        end = moment(upper)
        if end is None:
            return len(results)
        for index, result in enumerate(results):
            when = moment(result.get("lastModifiedAt"))
            if when is not None and when >= end:
                return index
        return len(results)

    def check_page(self, results: list[Any], after: Any, number: int, path: str) -> None:
        """Fail unless the page is sorted by ``(lastModifiedAt, id)`` and continues after ``after``."""
        check_modified_page(results, after, number, path)

    def describe_after(self, after: Any) -> str:
        return f"lastModifiedAt {after[0]!r}, id {after[1]!r}"


MODIFIED_SPACE = ModifiedSpace()


def check_modified_page(results: list[Any], after: tuple[str, str] | None, number: int, path: str) -> None:
    """Fail unless every result has a ``lastModifiedAt`` and an ``id``, in ascending order after ``after``.

    Timestamps are compared as instants, not as strings. A server that ignores the sort or the
    continuation would make the keyset skip or repeat rows: the read stops instead.
    """
    previous = None
    if after is not None:
        previous = (moment(after[0]), after[1])
    for result in results:
        when, entity_id = moment(result.get("lastModifiedAt")), result.get("id")
        if when is None or not isinstance(entity_id, str):
            raise UnexpectedResponseError(
                f"page {number}: a result has no lastModifiedAt timestamp and id "
                f"(lastModifiedAt {result.get('lastModifiedAt')!r}, id {entity_id!r})",
                method="GET",
                path=path,
                hint="Read this path in id order: order='id'",
            )
        current = (when, entity_id)
        if previous is not None and previous[0] is not None and not current > previous:
            raise UnexpectedResponseError(
                f"page {number} is not sorted by 'lastModifiedAt asc, id asc' after "
                f"{previous[0].isoformat()} / {previous[1]!r} (got {result.get('lastModifiedAt')!r} / {entity_id!r}), "
                "so paging on its last row would skip or repeat entities",
                method="GET",
                path=path,
                hint="This path ignores 'sort' or 'where': read it in id order (order='id')",
            )
        previous = current


@paging_strategy
class ModifiedPaging(KeysetStrategy[Page], CollectionPaging):
    """``sort=lastModifiedAt asc&sort=id asc`` and the ``(lastModifiedAt, id)`` continuation after each page."""

    name = "modified"

    def __init__(
        self,
        path: str,
        query: Mapping[str, Any],
        where: list[str],
        sorts: Sorts,
        page_size: int,
        max_items: int | None,
    ) -> None:
        KeysetStrategy.__init__(self, path, query, where, keys=MODIFIED_SPACE.keys)
        CollectionPaging.__init__(self, path, query, where, sorts, page_size, max_items)

    @classmethod
    def accepts(cls, sorts: Sorts) -> bool:
        return list(sorts) == [("lastModifiedAt", "asc"), ("id", "asc")]

    @classmethod
    def refusal(cls, sorts: Sorts) -> str:
        return f"modified paging reads in 'lastModifiedAt asc, id asc' order, but the query sorts by {sort_text(sorts)}"

    def next_request(self) -> PageRequest | None:
        return self.keyset_request(self.next_limit()) if self.more() else None

    def read_page(self, body: Any, texts: list[str] | None) -> Page:
        results, texts = self.cut_page(body, texts)
        after = None if self.after is None else (self.after[0], self.after[1])
        check_modified_page(results, after, self.number, self.path)
        if results:
            self.after = MODIFIED_SPACE.key(results[-1])
        return self.page(results, texts)

    @classmethod
    def resume_predicate(cls, sorts: Sorts, last_page: Page) -> str | None:
        if not last_page.results or "lastModifiedAt" not in last_page.results[-1]:
            return None
        return keyset_predicate(MODIFIED_SPACE.keys, MODIFIED_SPACE.key(last_page.results[-1]))


def check_order(value: Any) -> str:
    """``order``: one of :data:`ORDERS` (a rendered template's text is accepted)."""
    text = value.strip() if isinstance(value, str) else value
    if text not in ORDERS:
        raise ConfigurationError(
            "order",
            f"{value!r} is not an order of a read.",
            "Give 'auto' (the default: lastModifiedAt order for a window with modified_until, else id order), "
            "'id' (keyset on id, the window as a filter) or 'modified' (keyset on lastModifiedAt, then id).",
        )
    return str(text)


def resolve_order(order: Any, *, paginate: bool, until: Any, sort: Any) -> str:
    """``"id"`` or ``"modified"``: the order a read with these arguments uses (checked before any request)."""
    order = check_order(order)
    if order == "id":
        return "id"
    if order == "auto":
        return "modified" if paginate and until is not None and not sort else "id"
    problem = ""
    if not paginate:
        problem = "a read of one request (paginate=False) has no order to follow."
    elif sort:
        problem = f"it sorts by lastModifiedAt, then id, but query['sort'] is {sort!r}."
    elif until is None:
        problem = (
            "it needs modified_until: without a window's end, a row modified during the read moves "
            "further on in this order and would be read twice."
        )
    if problem:
        raise ConfigurationError(
            "order", f"'modified' cannot apply: {problem}", "Use order='id' (or 'auto'), or fix the read."
        )
    return "modified"
