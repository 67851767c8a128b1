"""Reading whole collections: a generator of pages, one of entities on top, and predicate builders.

The default strategy is keyset paging on ``id`` (``sort=id asc``, ``withTotal=false``, then
``where=id > "<last id>"`` ANDed with the caller's predicates), the method the commercetools docs
recommend for iterating over a collection: it has no offset limit. A caller who sorts by another
field gets offset paging, which commercetools caps at offset 10,000: reaching the cap raises
:class:`PaginationLimitError` (never a silently truncated result), before that offset is requested.

:func:`modified_window` builds the ``lastModifiedAt`` predicate of an incremental read and
:func:`id_partitions` splits a collection into disjoint id ranges that can be read in parallel.
Nothing here knows Airflow.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import (
    ConfigurationError,
    PaginationLimitError,
    UnexpectedResponseError,
)

#: commercetools' largest ``limit``.
MAX_PAGE_SIZE = 500
#: commercetools' largest ``offset``.
MAX_OFFSET = 10_000
#: Query parameters that paging sets itself.
PAGING_PARAMETERS = ("limit", "offset", "withTotal")
#: Boundaries of id partitions are prefixes of this many hex digits (the first group of a UUID).
_PARTITION_DIGITS = 8
MAX_PARTITIONS = 65_536

Strategy = Literal["auto", "keyset", "offset"]
STRATEGIES: tuple[str, ...] = ("auto", "keyset", "offset")


class SupportsRequest(Protocol):
    """What paging needs of a client: :class:`~.client.CommercetoolsClient` has it."""

    def request(self, method: str, path: str, *, query: Any = None, decode: Any = None) -> Any: ...


@dataclass(frozen=True)
class Page:
    """One page of a collection, as read.

    :param results: the entities of the page.
    :param number: 1 for the first page.
    :param strategy: ``"keyset"`` or ``"offset"``.
    :param limit: the ``limit`` that was requested (a shorter page is the last one).
    :param offset: the ``offset`` that was requested (0 for keyset pages).
    :param entities_before: how many entities the previous pages held.
    :param elapsed: seconds from the first request to the arrival of this page.
    :param texts: with ``keep_text``, each entity's JSON text as received (one line each), so that
        it can be written out without encoding it again.
    """

    results: list[dict[str, Any]]
    number: int
    strategy: str
    limit: int
    offset: int
    entities_before: int
    elapsed: float
    texts: list[str] | None = None

    @property
    def count(self) -> int:
        return len(self.results)

    @property
    def entities_so_far(self) -> int:
        """Entities in this page and all the pages before it."""
        return self.entities_before + len(self.results)

    @property
    def entities_per_second(self) -> float:
        return self.entities_so_far / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def last_id(self) -> str | None:
        return str(self.results[-1].get("id")) if self.results else None


# -- query helpers ---------------------------------------------------------------------------------


def quote_string(value: str) -> str:
    """A string literal of the predicate language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def as_predicates(parameter: str, value: Any) -> list[str]:
    """The ``where`` (or ``sort``) parameter as a list of non-empty strings; None gives ``[]``."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) and item.strip() for item in items):
        raise ConfigurationError(
            parameter,
            f"must be a string or a list of strings, got {_short(value)}.",
            "E.g. 'key = \"abc\"' or ['productType(id = \"...\")', 'version > 1'] (a list is ANDed).",
        )
    return [item.strip() for item in items]


def parse_sort(sort: Any) -> list[tuple[str, str]]:
    """``"name.en asc"`` / a list of such -> ``[("name.en", "asc")]``; the direction defaults to asc."""
    parsed = []
    for text in as_predicates("query['sort']", sort):
        parts = text.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise ConfigurationError(
                "query['sort']", f"{text!r} is not '<field> asc' or '<field> desc'.", "E.g. 'createdAt desc'."
            )
        parsed.append((parts[0], parts[1].lower() if len(parts) == 2 else "asc"))
    return parsed


def choose_strategy(query: Mapping[str, Any] | None, strategy: str = "auto") -> str:
    """``"keyset"`` unless the query sorts by something other than ``id`` (then ``"offset"``)."""
    if strategy not in STRATEGIES:
        raise ConfigurationError("strategy", f"{strategy!r} is not a paging strategy.", f"One of {STRATEGIES}.")
    sorts = parse_sort((query or {}).get("sort"))
    by_id = not sorts or (len(sorts) == 1 and sorts[0][0] == "id")
    if strategy == "keyset" and not by_id:
        raise ConfigurationError(
            "strategy",
            f"keyset paging walks the collection by id, but the query sorts by {_sort_text(sorts)}.",
            "Drop the sort (and sort the results afterwards), or use strategy='offset' (at most 10,000 entities).",
        )
    if strategy == "auto":
        return "keyset" if by_id else "offset"
    return strategy


def _sort_text(sorts: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"'{field} {direction}'" for field, direction in sorts)


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
) -> Iterator[Page]:
    """Yield the pages of the collection at ``path`` (below the project key), first to last.

    :param client: sends the requests (retries, token, errors: see ``CommercetoolsClient``).
    :param path: the collection, e.g. ``products`` or ``in-store/key=eu/orders``.
    :param query: the caller's query parameters (``where`` string or list, ``sort``, ``expand``,
        ``staged``, ``var.*``...); ``limit``, ``offset`` and ``withTotal`` are set by paging.
    :param page_size: entities per request, 1 to 500.
    :param max_items: stop after this many entities (the last request asks for no more).
    :param strategy: ``"auto"`` (keyset unless the query sorts by something other than ``id``),
        ``"keyset"`` or ``"offset"``.
    :param on_page: called with every page before it is yielded (progress logging).
    :param keep_text: also give each entity's JSON text (``Page.texts``), for writing it as received.
    :raises PaginationLimitError: offset paging would need an offset over 10,000; raised before
        that request (or after the first page, when its ``total`` already shows it).
    """
    query = dict(query or {})
    check_page_size(page_size)
    check_max_items(max_items)
    check_no_paging_parameters(query)
    chosen = choose_strategy(query, strategy)
    where = as_predicates("query['where']", query.pop("where", None))
    sorts = parse_sort(query.pop("sort", None))
    fetch = functools.partial(_fetch, client, path, keep_text=keep_text)
    pages = (
        _keyset_pages(fetch, path, query, where, sorts, page_size, max_items)
        if chosen == "keyset"
        else _offset_pages(fetch, path, query, where, sorts, page_size, max_items)
    )
    for page in pages:
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


def _limit(page_size: int, max_items: int | None, read: int) -> int:
    return page_size if max_items is None else min(page_size, max_items - read)


Fetch = Callable[[Mapping[str, Any]], tuple[dict[str, Any], "list[str] | None"]]


def _fetch(
    client: SupportsRequest, path: str, query: Mapping[str, Any], *, keep_text: bool = False
) -> tuple[dict[str, Any], list[str] | None]:
    """One page: its body, and with ``keep_text`` the JSON text of each result."""
    texts = None
    if keep_text:
        body, texts = client.request("GET", path, query=query, decode=decode_page)
    else:
        body = client.request("GET", path, query=query)
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UnexpectedResponseError(
            f"the answer is not a page of results (got {_short(body)})",
            method="GET",
            path=path,
            hint="This path does not return a paged list: read it without pagination",
        )
    return body, texts


_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def decode_page(text: str) -> tuple[Any, list[str] | None]:
    """Parse a page's JSON like ``json.loads``, keeping the text of each element of ``results``.

    Writing those texts saves encoding every entity again (the largest cost of an export). A text
    is one line: JSON strings cannot hold raw line breaks, so any in the text are whitespace.
    """

    def skip(index: int) -> int:
        return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]

    try:
        index = skip(0)
        if text[index] != "{":
            return json.loads(text), None
        body: dict[str, Any] = {}
        texts: list[str] | None = None
        index = skip(index + 1)
        while text[index] != "}":
            key, index = _DECODER.raw_decode(text, index)
            if not isinstance(key, str):
                raise ValueError(f"an object key must be a string (at {index})")
            index = skip(index)
            if text[index] != ":":
                raise ValueError(f"':' expected at {index}")
            index = skip(index + 1)
            if key == "results" and text[index] == "[":
                results: list[Any] = []
                texts = []
                index = skip(index + 1)
                while text[index] != "]":
                    start = index
                    value, index = _DECODER.raw_decode(text, index)
                    results.append(value)
                    texts.append(text[start:index].replace("\n", " ").replace("\r", " "))
                    index = skip(index)
                    if text[index] == ",":
                        index = skip(index + 1)
                        if text[index] == "]":
                            raise ValueError(f"a value expected at {index}")
                    elif text[index] != "]":
                        raise ValueError(f"',' or ']' expected at {index}")
                body[key] = results
                index += 1
            else:
                body[key], index = _DECODER.raw_decode(text, index)
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
                if text[index] == "}":
                    raise ValueError(f"a key expected at {index}")
            elif text[index] != "}":
                raise ValueError(f"',' or '}}' expected at {index}")
        if skip(index + 1) != len(text):
            raise ValueError(f"extra data after the JSON document at {index + 1}")
        return body, texts
    except IndexError:
        raise ValueError("the JSON document ends too early") from None


def _keyset_pages(
    fetch: Fetch,
    path: str,
    query: dict[str, Any],
    where: list[str],
    sorts: list[tuple[str, str]],
    page_size: int,
    max_items: int | None,
) -> Iterator[Page]:
    direction = sorts[0][1] if sorts else "asc"
    compare = ">" if direction == "asc" else "<"
    started = time.monotonic()
    read = 0
    number = 0
    last_id: str | None = None
    while True:
        limit = _limit(page_size, max_items, read)
        after = [f"id {compare} {quote_string(last_id)}"] if last_id is not None else []
        request = {**query, "where": [*where, *after], "sort": f"id {direction}", "limit": limit, "withTotal": False}
        body, texts = fetch(request)
        results = body["results"]
        number += 1
        if results:
            new_last = results[-1].get("id")
            first = results[0].get("id")
            if not isinstance(new_last, str) or (
                last_id is not None and not (first > last_id if direction == "asc" else first < last_id)
            ):
                raise UnexpectedResponseError(
                    f"page {number} did not continue after id {last_id!r} (first id {first!r})",
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
            last_id = new_last
        page = Page(results, number, "keyset", limit, 0, read, time.monotonic() - started, texts)
        read += len(results)
        yield page
        if len(results) < limit or (max_items is not None and read >= max_items):
            return


def _offset_pages(
    fetch: Fetch,
    path: str,
    query: dict[str, Any],
    where: list[str],
    sorts: list[tuple[str, str]],
    page_size: int,
    max_items: int | None,
) -> Iterator[Page]:
    # The most that offset paging can read: the last allowed offset plus one page.
    reachable = (MAX_OFFSET // page_size) * page_size + page_size
    bounded = max_items is not None and max_items <= reachable
    started = time.monotonic()
    read = 0
    number = 0
    total: int | None = None
    sort = [f"{field} {direction}" for field, direction in sorts] or None
    while True:
        offset = number * page_size
        if offset > MAX_OFFSET:
            raise _limit_error(path, sorts, reachable, total)
        limit = _limit(page_size, max_items, read)
        request = {**query, "where": where or None, "sort": sort, "limit": limit, "offset": offset}
        # Ask for the total once, on the first page, to fail at once rather than after 10,000 entities.
        request["withTotal"] = number == 0 and not bounded
        body, texts = fetch(request)
        results = body["results"]
        if number == 0 and isinstance(body.get("total"), int) and not isinstance(body.get("total"), bool):
            total = body["total"]
            if total > reachable and not bounded:
                raise _limit_error(path, sorts, reachable, total)
        number += 1
        page = Page(results, number, "offset", limit, offset, read, time.monotonic() - started, texts)
        read += len(results)
        yield page
        if len(results) < limit or (max_items is not None and read >= max_items):
            return
        if total is not None and read >= total:
            return


def _limit_error(
    path: str, sorts: Sequence[tuple[str, str]], reachable: int, total: int | None
) -> PaginationLimitError:
    matched = f"{total:,} entities match" if total is not None else f"more than {reachable:,} entities match"
    return PaginationLimitError(
        f"cannot read every entity: sorting by {_sort_text(sorts)} needs offset paging, which commercetools "
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


# -- predicates ------------------------------------------------------------------------------------


def to_utc_datetime(parameter: str, value: Any) -> dt.datetime:
    """A datetime (naive = UTC), pendulum DateTime, date or ISO 8601 string as an aware UTC datetime."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ConfigurationError(
                parameter,
                f"{value!r} is not an ISO 8601 date or timestamp.",
                "E.g. '2026-11-01T00:00:00Z' or '{{ data_interval_start }}'.",
            ) from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ConfigurationError(
            parameter, f"{_short(value)} is not a timestamp.", "Give a datetime or an ISO 8601 string."
        )
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def format_timestamp(value: dt.datetime) -> str:
    """``2026-11-01T00:00:00.000Z``: UTC with milliseconds, as commercetools writes timestamps."""
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def modified_window(start: Any = None, end: Any = None) -> str:
    """The predicate of entities modified in ``[start, end)``: start inclusive, end exclusive.

    Consecutive windows (a scheduled DAG's data intervals) therefore read every change exactly once.
    Either bound may be None (open). Accepts datetimes (naive ones are UTC), pendulum DateTimes,
    dates and ISO 8601 strings.
    """
    if start is None and end is None:
        raise ConfigurationError("modified_since / modified_until", "both are empty.", "Give at least one bound.")
    parts = []
    lower = None if start is None else to_utc_datetime("modified_since", start)
    upper = None if end is None else to_utc_datetime("modified_until", end)
    if lower is not None and upper is not None and lower > upper:
        raise ConfigurationError(
            "modified_since / modified_until",
            f"the window starts ({format_timestamp(lower)}) after it ends ({format_timestamp(upper)}).",
            "Swap them.",
        )
    if lower is not None:
        parts.append(f"lastModifiedAt >= {quote_string(format_timestamp(lower))}")
    if upper is not None:
        parts.append(f"lastModifiedAt < {quote_string(format_timestamp(upper))}")
    return " and ".join(parts)


@dataclass(frozen=True)
class IdRange:
    """Ids ``lower <= id < upper``; a None bound is open. Part ``index`` of ``count``."""

    index: int
    count: int
    lower: str | None
    upper: str | None

    def predicate(self) -> str | None:
        """The ``where`` predicate of the range (None for the whole collection)."""
        parts = []
        if self.lower is not None:
            parts.append(f"id >= {quote_string(self.lower)}")
        if self.upper is not None:
            parts.append(f"id < {quote_string(self.upper)}")
        return " and ".join(parts) or None

    def contains(self, entity_id: str) -> bool:
        return (self.lower is None or entity_id >= self.lower) and (self.upper is None or entity_id < self.upper)


def id_partitions(count: int) -> list[IdRange]:
    """Split the id space into ``count`` disjoint ranges of about equal size.

    commercetools ids are random UUIDs (lowercase hex), so the ranges hold about as many entities
    each. The boundaries are hex prefixes; the first range is open below and the last open above,
    so together the ranges hold every id, whatever its alphabet, and each id exactly one.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PARTITIONS:
        raise ConfigurationError(
            "partition count", f"{count!r} is not between 1 and {MAX_PARTITIONS:,}.", "E.g. 8 for 8 mapped tasks."
        )
    space = 16**_PARTITION_DIGITS
    bounds: list[str | None] = [None]
    for i in range(1, count):
        bounds.append(f"{i * space // count:0{_PARTITION_DIGITS}x}".rstrip("0") or "0")
    bounds.append(None)
    return [IdRange(i, count, bounds[i], bounds[i + 1]) for i in range(count)]


def _short(value: Any) -> str:
    return f"{type(value).__name__} {short(value, 100)}"
