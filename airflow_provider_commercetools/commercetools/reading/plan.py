"""A read, planned and checked once: one entity, one page, or a whole collection (sequential or concurrent).

:func:`plan_read` takes what a caller (the subscriber operator, or a script without Airflow) asks
for, checks all of it before any request, and returns a :class:`ReadPlan` that reads. When a paged
read fails, the error says what was read, up to which id (per id range in a concurrent read), and
the predicate that reads the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.checks import check_count, check_query, is_static, parse_json_string
from airflow_provider_commercetools.commercetools.entities import ResolvedPath, resolve_path
from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PaginationLimitError,
    RequestError,
)
from airflow_provider_commercetools.commercetools.reading.concurrent import MAX_CONCURRENCY, ConcurrentRead
from airflow_provider_commercetools.commercetools.reading.failure_notes import concurrent_note, resume_note
from airflow_provider_commercetools.commercetools.reading.id_ranges import ID_SPACE, IdRange, id_partitions
from airflow_provider_commercetools.commercetools.reading.modified_order import (
    MODIFIED_SORT,
    MODIFIED_SPACE,
    check_order,
    resolve_order,
)
from airflow_provider_commercetools.commercetools.reading.pages import Page, SupportsRequest
from airflow_provider_commercetools.commercetools.reading.paging import (
    CollectionPaging,
    check_max_items,
    check_no_paging_parameters,
    check_page_size,
    iter_pages,
    strategy_for,
)
from airflow_provider_commercetools.commercetools.reading.predicates import (
    as_predicates,
    format_timestamp,
    modified_window,
    parse_sort,
    to_utc_datetime,
    window_bound,
)

#: The default ``concurrency``: one request at a time, as a plain keyset loop (see the README).
DEFAULT_CONCURRENCY = 1


def parse_partition(value: Any) -> IdRange | None:
    """``{"index": i, "count": n}`` (or its JSON text) as the i-th of n id ranges; None/empty: none."""
    value = parse_json_string("partition", value)
    if value is None or value == "":
        return None
    fix = 'Give {"index": i, "count": n} with 0 <= i < n, e.g. from CommercetoolsSubscriberOperator.partitions(n).'
    if not isinstance(value, Mapping) or set(value) != {"index", "count"}:
        raise ConfigurationError("partition", f"{value!r} is not a partition.", fix)
    index, count = value["index"], value["count"]
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (index, count)) or not 0 <= index < count:
        raise ConfigurationError("partition", f"{dict(value)!r} is not a partition.", fix)
    return id_partitions(count)[index]


def check_concurrency(value: Any) -> int:
    """``concurrency``: a whole number from 1 to 32 (a rendered template's digits are accepted)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    try:
        return check_count("concurrency", value, 1, MAX_CONCURRENCY)
    except ConfigurationError as error:
        raise ConfigurationError(
            "concurrency",
            error.problem,
            f"Give 1 (one request at a time) to {MAX_CONCURRENCY} (id ranges read at once by as many threads).",
        ) from None


def check_read_arguments(*, paginate: Any, page_size: Any, max_items: Any, concurrency: Any) -> None:
    """The arguments of a read that can be checked before rendering (a templated ``concurrency`` is checked later)."""
    if not isinstance(paginate, bool):
        raise ConfigurationError("paginate", f"{paginate!r} is not True or False.")
    check_page_size(page_size)
    check_max_items(max_items)
    if not isinstance(concurrency, str) or is_static(concurrency):
        check_concurrency(concurrency)


@dataclass
class ReadPlan:
    """A checked read. ``kind`` is ``"one"`` (an entity by id/key), ``"page"`` (one request) or ``"all"``.

    :param query: what is sent (sequential reads): the caller's query with the modified window and
        the partition's id range ANDed into ``where``.
    :param where: the predicates of ``query['where']`` (for error messages).
    :param order: ``"id"`` (keyset on id, a window is a filter) or ``"modified"`` (keyset on
        ``(lastModifiedAt, id)`` through the window; concurrent reads split the window's time).
    :param window: the modified window's bounds at millisecond precision, and its predicate in ``where``.
    """

    target: ResolvedPath
    what: str
    kind: str
    query: dict[str, Any]
    where: list[str]
    page_size: int
    max_items: int | None
    concurrency: int
    id_range: IdRange | None
    strategy: type[CollectionPaging] | None
    warnings: list[str] = field(default_factory=list)
    order: str = "id"
    window: tuple[str | None, str | None, str | None] = (None, None, None)
    #: the concurrent read of the last :meth:`pages` call (its per-thread statistics), if any
    concurrent: ConcurrentRead | None = None
    #: the pages the last :meth:`pages` call yielded, and the last of them
    pages_read: int = 0
    last_page: Page | None = None

    @property
    def path(self) -> str:
        return self.target.path

    def describe(self) -> str:
        """One line for the log: what is read, where, with which query, how."""
        if self.kind == "one":
            return f"Reading one {self.what} at {self.path!r}"
        parts = [f"Reading {self.what} at {self.path!r} with query {self.query}"]
        if self.kind == "all":
            parts.append("in lastModifiedAt order" if self.order == "modified" else "in id order")
        if self.id_range is not None:
            parts.append(f"(id partition {self.id_range.index + 1} of {self.id_range.count})")
        if self.concurrency > 1:
            parts.append(f"with {self.concurrency} concurrent {self.ranges_name}")
        return " ".join(parts)

    @property
    def ranges_name(self) -> str:
        """What a concurrent read splits: ``"id ranges"`` or ``"time ranges of the window"``."""
        return "time ranges of the window" if self.order == "modified" else "id ranges"

    def summary(self, count: int) -> list[str]:
        """Lines for the log after :meth:`pages`: ``count`` entities, pages, time; per thread when concurrent."""
        elapsed = self.last_page.elapsed if self.last_page else 0.0
        lines = [f"{self.what}: read {count} entities in {self.pages_read} pages ({elapsed:.1f} s)"]
        if self.concurrent is not None:
            read = self.concurrent
            lines.append(
                f"{self.what}: {read.concurrency} threads, requests per thread {read.worker_requests}, "
                f"{len(read.ranges)} {self.ranges_name} ({read.splits} splits)"
            )
        return lines

    # -- reading -------------------------------------------------------------------------------

    def read_one(self, client: SupportsRequest, project_key: str = "") -> Any:
        """The one entity at the path (``kind == "one"``)."""
        try:
            return client.request("GET", self.path, query=self.query or None)
        except NotFoundError as error:
            project = f" in project {project_key!r}" if project_key else ""
            raise error.with_hint(
                f"No {self.what} entity at {self.path!r}{project}: "
                "check the id or key in 'path', the entity name and the connection's project"
            ) from None

    def read_page(self, client: SupportsRequest) -> tuple[Any, bool]:
        """``kind == "page"``: one request. Returns ``(results, True)`` for a paged answer, else ``(answer, False)``."""
        query = dict(self.query)
        if "limit" not in query:
            query["limit"] = self.page_size if self.max_items is None else min(self.page_size, self.max_items)
        body = self._explained(lambda: client.request("GET", self.path, query=query), None, None)
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            results = body["results"]
            return (results if self.max_items is None else results[: self.max_items]), True
        return body, False

    def pages(
        self,
        client: SupportsRequest,
        *,
        keep_text: bool = False,
        keep_results: bool = True,
        on_page: Callable[[Page], None] | None = None,
        written_to: str | None = None,
    ) -> Iterator[Page]:
        """``kind == "all"``: the pages; a failure says what was read (``written_to``: the file that holds it).

        ``keep_text`` gives each entity's JSON text; with ``keep_results=False`` the results are
        reduced to their ids (for a writer of the texts: memory of a page is then its text).
        """
        if self.concurrency > 1:
            modified = self.order == "modified"
            bounds = self.window[:2] if modified else (None, None)
            if not modified and self.id_range is not None:
                bounds = (self.id_range.lower, self.id_range.upper)
            read = ConcurrentRead(
                client,
                self.path,
                query=self._concurrent_query(),
                concurrency=self.concurrency,
                lower=bounds[0],
                upper=bounds[1],
                page_size=self.page_size,
                max_items=self.max_items,
                keep_text=keep_text,
                keep_results=keep_results,
                space=MODIFIED_SPACE if modified else ID_SPACE,
            )
            self.concurrent = read
            source = read.pages()
        else:
            source = iter_pages(
                client,
                self.path,
                query=self.query,
                page_size=self.page_size,
                max_items=self.max_items,
                strategy=self.strategy.name if self.strategy else "auto",
                keep_text=keep_text,
                keep_results=keep_results,
            )
        self.pages_read, self.last_page = 0, None
        iterator = iter(source)
        while True:
            page = self._explained(lambda: next(iterator, None), self.last_page, written_to)
            if page is None:
                return
            self.pages_read, self.last_page = self.pages_read + 1, page
            if on_page is not None:
                on_page(page)
            yield page

    def _concurrent_query(self) -> dict[str, Any]:
        # What the concurrent reader splits goes to it: the id range (id order) or the window (modified
        # order, whose time ranges bound each request); the rest of `where` is sent as is.
        if self.order == "modified":
            split = self.window[2]
        else:
            split = None if self.id_range is None else self.id_range.predicate()
        where = [w for w in self.where if split is None or w != split]
        return {**{k: v for k, v in self.query.items() if k not in ("where", "sort")}, "where": where}

    def _explained(self, call: Callable[[], Any], last: Page | None, written_to: str | None) -> Any:
        try:
            return call()
        except PaginationLimitError:
            raise
        except RequestError as error:
            hint = error.hint
            if isinstance(error, BadRequestError) and (self.where or "sort" in self.query):
                hint = f"commercetools rejected the query: check the predicates sent as where {self.where!r}" + (
                    f" and sort {self.query['sort']!r}" if "sort" in self.query else ""
                )
            if self.kind == "all":
                note = (
                    concurrent_note(self, written_to)
                    if self.concurrent is not None
                    else (resume_note(self, last, written_to) if last is not None else "")
                )
                hint = ". ".join(filter(None, [hint, note]))
            if hint == error.hint:
                raise
            raise error.with_hint(hint) from None


def plan_read(
    *,
    entity: str | None = None,
    endpoint: str | None = None,
    path: Mapping[str, Any] | None = None,
    query: Mapping[str, Any] | None = None,
    paginate: bool = True,
    page_size: int = 500,
    max_items: int | None = None,
    modified_since: Any = None,
    modified_until: Any = None,
    partition: Any = None,
    concurrency: Any = DEFAULT_CONCURRENCY,
    strategy: str = "auto",
    order: Any = "auto",
) -> ReadPlan:
    """Check every part of a read and plan it; nothing is sent.

    :param entity: a resource name as in paths (``products``...), or ``endpoint``: a path below the
        project key with ``{name}`` placeholders filled from ``path``.
    :param path: path parameters (``id``, ``key``, ``container``, ``store_key``...): with an id or
        key, one entity is read.
    :param query: query parameters (``where`` string or list, ANDed; ``sort``, ``expand``...).
    :param paginate: False: one request (``query`` may set ``limit`` and ``offset``).
    :param modified_since: ``lastModifiedAt >=`` this (inclusive); ``modified_until``: ``<`` this.
    :param partition: ``{"index": i, "count": n}``: only the i-th of n disjoint id ranges.
    :param concurrency: 1 to 32 id ranges of the collection (or of the partition) read at once; in
        the modified order, time ranges of the window.
    :param order: ``"auto"`` (the modified order for a paged window with ``modified_until`` and no
        ``sort``, else id), ``"id"`` or ``"modified"`` (see :mod:`.modified_order`).
    """
    target = resolve_path(entity, path, endpoint=endpoint)
    query = check_query("query", query)
    for name in ("where", "sort"):
        if name in query:
            as_predicates(f"query[{name!r}]", query[name])
    check_page_size(page_size)
    check_max_items(max_items)
    concurrency = check_concurrency(concurrency)
    order = check_order(order)
    since, until = window_bound(modified_since), window_bound(modified_until)
    id_range = parse_partition(partition)
    what = endpoint or entity or target.path
    common = dict(target=target, what=what, page_size=page_size, max_items=max_items, id_range=id_range)
    if target.single:
        ignored = [name for name in ("where", "sort") if query.get(name)]
        ignored += [name for name, bound in (("modified_since", since), ("modified_until", until)) if bound]
        ignored += ["partition"] if id_range is not None else []
        ignored += ["concurrency"] if concurrency > 1 else []
        ignored += ["order"] if order == "modified" else []
        if ignored:
            raise ConfigurationError(
                ", ".join(ignored),
                "cannot apply to a read of one entity (path has an id or key).",
                "Remove them, or read the collection (without id/key) and filter with query['where'].",
            )
        return ReadPlan(kind="one", query=query, where=[], concurrency=1, strategy=None, **common)  # type: ignore[arg-type]
    where = as_predicates("query['where']", query.get("where"))
    warnings = []
    window: tuple[str | None, str | None, str | None] = (None, None, None)
    if since is not None or until is not None:
        window = (_stamp("modified_since", since), _stamp("modified_until", until), modified_window(since, until))
        where.append(str(window[2]))
        if since is not None and until is not None and str(since) == str(until):
            warnings.append(
                f"The modified window is empty (modified_since == modified_until == {since}): nothing can match. "
                "A manual run on Airflow 3 has no data interval (start == end): pass the bounds in the "
                "run's conf or params to re-read a window."
            )
    if id_range is not None and id_range.predicate():
        where.append(str(id_range.predicate()))
    query = {**query, "where": where} if where else {k: v for k, v in query.items() if k != "where"}
    own_sort = query.get("sort")
    if parse_sort(own_sort) == [tuple(s.split()) for s in MODIFIED_SORT]:
        own_sort = None  # the caller asks for the modified order by its sort
    order = resolve_order(order, paginate=paginate, until=until, sort=own_sort)
    if order == "modified":
        query["sort"] = list(MODIFIED_SORT)
    chosen = None
    if paginate:
        check_no_paging_parameters(query)
        chosen = strategy_for(query, strategy)
        order = "modified" if chosen.name == "modified" else "id"
    if concurrency > 1:
        sorts = parse_sort(query.get("sort"))
        if (
            not paginate
            or chosen is None
            or chosen.name not in ("keyset", "modified")
            or (sorts and sorts[0][1] != "asc")
        ):
            raise ConfigurationError(
                "concurrency",
                f"{concurrency} needs a paged read in id order (keyset paging, sort 'id asc') or in the modified "
                "order of a window (order='modified' or 'auto'), but this read "
                + ("is one request (paginate=False)." if not paginate else f"sorts by {query.get('sort')!r}."),
                "Set concurrency=1, or drop the sort (and sort the results afterwards).",
            )
    return ReadPlan(
        kind="all" if paginate else "page",
        query=query,
        where=where,
        concurrency=concurrency,
        strategy=chosen,
        warnings=warnings,
        order=order,
        window=window,
        **common,  # type: ignore[arg-type]
    )


def _stamp(parameter: str, bound: Any) -> str | None:
    """A window bound at millisecond precision, as sent in the window's predicate (None: open)."""
    return None if bound is None else format_timestamp(to_utc_datetime(parameter, bound))
