"""CommercetoolsSubscriberOperator: read any entity, one by id or key, or a whole collection page by page.

It translates parameters and the task context into calls of the commercetools layer (through
:class:`~airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook`), and results into XCom
or a JSON Lines file.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperator, Context

from airflow_provider_commercetools.commercetools.checks import (
    as_mapping,
    check_conn_id,
    check_query,
    check_target,
    parse_json_string,
)
from airflow_provider_commercetools.commercetools.entities import ResolvedPath, resolve_path
from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    CommercetoolsError,
    ConfigurationError,
    NotFoundError,
    PaginationLimitError,
    RequestError,
)
from airflow_provider_commercetools.commercetools.pagination import (
    IdRange,
    Page,
    as_predicates,
    check_max_items,
    check_no_paging_parameters,
    check_page_size,
    choose_strategy,
    id_partitions,
    iter_pages,
    modified_window,
    parse_sort,
    quote_string,
)
from airflow_provider_commercetools.files import check_location, write_json_lines
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

#: Default cap on the entities returned through XCom (stored in Airflow's metadata database).
DEFAULT_MAX_XCOM_ITEMS = 10_000
#: The keys of the request that ``request_transformer`` receives and returns.
REQUEST_KEYS = ("entity", "endpoint", "path", "query")


class XComLimitError(CommercetoolsError, ValueError):
    """A read returned more entities than ``max_xcom_items`` allows through XCom."""


class CommercetoolsSubscriberOperator(BaseOperator):
    """Read commercetools entities: one by id or key, or a whole collection page by page.

    A collection is read with keyset paging on ``id`` (no 10,000 limit) unless ``query`` sorts by
    another field: then offset paging is used, and a read that would need an offset over 10,000
    fails with :class:`~airflow_provider_commercetools.commercetools.errors.PaginationLimitError`
    before requesting it, never returning a truncated result. Progress is logged per page.

    The result goes to XCom: the entity (one entity read), or the list of entities. XCom values are
    stored in Airflow's metadata database, so a list longer than ``max_xcom_items`` (default 10,000)
    fails the task with :class:`XComLimitError` instead of bloating it: for big reads set
    ``output_path``, which streams the entities as JSON Lines page by page in constant memory and
    returns ``{"path": ..., "count": ..., "pages": ...}``.

    When a paged read fails part way (e.g. commercetools keeps failing beyond the retry policy), the
    error says how many entities were read (and written to ``output_path``, which then holds exactly
    those), up to which id, and how to finish: run the task again, or resume with the predicate
    ``id > "<that id>"`` added to ``query['where']`` and another ``output_path``.

    To read one collection with N parallel (mapped) tasks, expand over :meth:`partitions`::

        CommercetoolsSubscriberOperator.partial(
            task_id="export_products",
            entity="products",
            output_path="s3://aws_default@bucket/products/{{ ds }}/part-{{ ti.map_index }}.jsonl",
        ).expand(partition=CommercetoolsSubscriberOperator.partitions(8))

    Every argument is checked before the first request: static ones here, templated ones after
    rendering, at the start of ``execute``.

    :param commercetools_conn_id: the Airflow connection of the commercetools project.
    :param entity: a resource name as in paths (``products``, ``product-projections``, ``orders``,
        ``custom-objects``...; see ``ENTITIES``). (templated)
    :param endpoint: instead of ``entity``, any path below the project key (e.g.
        ``product-projections/search``); ``{name}`` placeholders are filled from ``path``. (templated)
    :param path: path parameters: ``id``, ``key``, ``order_number`` (orders), ``container`` and
        ``key`` (custom objects), ``store_key`` (in-store scoping). With an ``id`` or ``key`` one
        entity is read. (templated)
    :param query: query parameters as commercetools names them: ``where`` (a string, or a list that
        is ANDed), ``sort``, ``expand``, ``staged``, ``var.<name>``... (templated)
    :param request_transformer: ``(request, context) -> request``, called after rendering and before
        any request with ``{"entity", "endpoint", "path", "query"}`` (the query as given, without
        the modified window, partition or paging parameters, which are added afterwards); returns
        the same shape (keys it leaves out keep their value).
    :param paginate: read every page of a collection (default). When False, one request is sent
        (``query`` may then set ``limit`` and ``offset``) and its ``results`` are returned.
    :param page_size: entities per request, 1 to 500.
    :param max_items: stop after this many entities.
    :param modified_since: read only entities with ``lastModifiedAt`` at or after this timestamp
        (a datetime, naive meaning UTC, or an ISO 8601 string, e.g. ``{{ data_interval_start }}``);
        empty or ``"None"`` (a template of a missing value) means no lower bound. (templated)
    :param modified_until: ... and before this one (exclusive), e.g. ``{{ data_interval_end }}``, so
        consecutive data intervals read every change exactly once. (templated)
    :param output_path: stream the entities to this JSON Lines file: a local path, or an
        ObjectStoragePath URL (``file://``, ``s3://conn_id@bucket/key``, ``gs://...``). (templated)
    :param partition: ``{"index": i, "count": n}``: read only the i-th of n disjoint id ranges
        (see :meth:`partitions`); the n partitions together are exactly the collection. (templated)
    :param max_xcom_items: the most entities returned through XCom; None for no limit.
    """

    template_fields: Sequence[str] = (
        "entity",
        "endpoint",
        "path",
        "query",
        "modified_since",
        "modified_until",
        "output_path",
        "partition",
    )
    template_fields_renderers = {"path": "json", "query": "json", "partition": "json"}
    ui_color = "#e4f0e8"

    def __init__(
        self,
        *,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        entity: str | None = None,
        endpoint: str | None = None,
        path: dict[str, Any] | str | None = None,
        query: dict[str, Any] | str | None = None,
        request_transformer: Callable[[dict[str, Any], Any], Mapping[str, Any]] | None = None,
        paginate: bool = True,
        page_size: int = 500,
        max_items: int | None = None,
        modified_since: Any = None,
        modified_until: Any = None,
        output_path: str | None = None,
        partition: dict[str, int] | str | None = None,
        max_xcom_items: int | None = DEFAULT_MAX_XCOM_ITEMS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_conn_id(commercetools_conn_id)
        check_target(entity, endpoint)
        if request_transformer is not None and not callable(request_transformer):
            raise ConfigurationError(
                "request_transformer",
                f"{request_transformer!r} is not callable.",
                "Give a function (request: dict, context) -> dict.",
            )
        if not isinstance(paginate, bool):
            raise ConfigurationError("paginate", f"{paginate!r} is not True or False.")
        check_page_size(page_size)
        check_max_items(max_items)
        check_max_items(max_xcom_items, "max_xcom_items")
        self.commercetools_conn_id = commercetools_conn_id
        self.entity = entity
        self.endpoint = endpoint
        self.path = path
        self.query = query
        self.request_transformer = request_transformer
        self.paginate = paginate
        self.page_size = page_size
        self.max_items = max_items
        self.modified_since = modified_since
        self.modified_until = modified_until
        self.output_path = output_path
        self.partition = partition
        self.max_xcom_items = max_xcom_items
        #: the last page of a paged read that was consumed (written or kept), to report progress on failure
        self._last_page: Page | None = None

    @cached_property
    def hook(self) -> CommercetoolsHook:
        """The hook, created at first use (no connection look-up when the DAG is parsed)."""
        return CommercetoolsHook(self.commercetools_conn_id)

    @staticmethod
    def partitions(count: int) -> list[dict[str, int]]:
        """``count`` partition arguments for ``.expand(partition=...)``: together, the whole collection."""
        id_partitions(count)  # validates count
        return [{"index": index, "count": count} for index in range(count)]

    # -- execute -------------------------------------------------------------------------------

    def execute(self, context: Context) -> Any:
        request = self._request(context)
        target = resolve_path(request["entity"], request["path"], endpoint=request["endpoint"])
        query = request["query"]
        output = None if self.output_path is None else check_location("output_path", self.output_path)
        what = request["endpoint"] or request["entity"]
        if target.single:
            self._check_single_read(query)
            return self._read_one(target, query, output, what)
        where = as_predicates("query['where']", query.get("where"))
        since, until = _window_bound(self.modified_since), _window_bound(self.modified_until)
        if since is not None or until is not None:
            where.append(modified_window(since, until))
            if since is not None and until is not None and str(since) == str(until):
                self.log.warning(
                    "The modified window is empty (modified_since == modified_until == %s): nothing can match. "
                    "A manual run on Airflow 3 has no data interval (start == end): pass the bounds in the "
                    "run's conf or params to re-read a window.",
                    since,
                )
        id_range = self._partition()
        if id_range is not None and id_range.predicate():
            where.append(str(id_range.predicate()))
        query = {**query, "where": where} if where else {k: v for k, v in query.items() if k != "where"}
        if self.paginate:
            check_no_paging_parameters(query)
            choose_strategy(query)  # validates sort
        self.log.info(
            "Reading %s at %r with query %s%s",
            what,
            target.path,
            query,
            f" (id partition {id_range.index + 1} of {id_range.count})" if id_range else "",
        )
        self._last_page = None
        try:
            if not self.paginate:
                return self._read_page(target, query, output)
            return self._read_all(target, query, output, what)
        except PaginationLimitError:
            raise
        except RequestError as error:
            hint = error.hint
            if isinstance(error, BadRequestError) and (where or "sort" in query):
                hint = f"commercetools rejected the query: check the predicates sent as where {where!r}" + (
                    f" and sort {query['sort']!r}" if "sort" in query else ""
                )
            if self._last_page is not None:  # pages were read: say what was done and how to finish
                hint = ". ".join(filter(None, [hint, _resume_note(what, self._last_page, output, query)]))
            if hint == error.hint:
                raise
            raise error.with_hint(hint) from None

    def _request(self, context: Context) -> dict[str, Any]:
        """The rendered request, checked, passed through ``request_transformer``, checked again."""
        request = self._checked_request(
            {"entity": self.entity, "endpoint": self.endpoint, "path": self.path, "query": self.query}
        )
        if self.request_transformer is None:
            return request
        returned = self.request_transformer(copy.deepcopy(request), context)
        if not isinstance(returned, Mapping):
            raise ConfigurationError(
                "request_transformer",
                f"returned {type(returned).__name__}, not the request.",
                f"Return the dict it was given (keys {', '.join(REQUEST_KEYS)}), changed.",
            )
        unknown = sorted(set(returned) - set(REQUEST_KEYS))
        if unknown:
            raise ConfigurationError(
                "request_transformer", f"returned unknown keys {unknown}.", f"The keys are {', '.join(REQUEST_KEYS)}."
            )
        return self._checked_request({**request, **returned})

    @staticmethod
    def _checked_request(request: Mapping[str, Any]) -> dict[str, Any]:
        entity, endpoint = check_target(request.get("entity"), request.get("endpoint"))
        query = as_mapping("query", request.get("query"))
        for name in ("where", "sort"):
            if name in query:
                as_predicates(f"query[{name!r}]", query[name])
        check_query("query", query)
        return {"entity": entity, "endpoint": endpoint, "path": as_mapping("path", request.get("path")), "query": query}

    def _check_single_read(self, query: Mapping[str, Any]) -> None:
        """Fail where a filter would be silently ignored by a read of one entity."""
        ignored = [name for name in ("where", "sort") if query.get(name)]
        ignored += [name for name in ("modified_since", "modified_until") if _window_bound(getattr(self, name))]
        ignored += ["partition"] if self.partition not in (None, "") else []
        if ignored:
            raise ConfigurationError(
                ", ".join(ignored),
                "cannot apply to a read of one entity (path has an id or key).",
                "Remove them, or read the collection (without id/key) and filter with query['where'].",
            )

    def _partition(self) -> IdRange | None:
        value = parse_json_string("partition", self.partition)
        if value is None or value == "":
            return None
        fix = 'Give {"index": i, "count": n} with 0 <= i < n, e.g. from CommercetoolsSubscriberOperator.partitions(n).'
        if not isinstance(value, Mapping) or set(value) != {"index", "count"}:
            raise ConfigurationError("partition", f"{value!r} is not a partition.", fix)
        index, count = value["index"], value["count"]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in (index, count)) or not 0 <= index < count:
            raise ConfigurationError("partition", f"{dict(value)!r} is not a partition.", fix)
        return id_partitions(count)[index]

    # -- reading -------------------------------------------------------------------------------

    def _read_one(self, target: ResolvedPath, query: Mapping[str, Any], output: str | None, what: str) -> Any:
        self.log.info("Reading one %s at %r", what, target.path)
        try:
            entity = self.hook.client.request("GET", target.path, query=query or None)
        except NotFoundError as error:
            raise error.with_hint(
                f"No {what} entity at {target.path!r} in project {self.hook.project_key!r}: "
                "check the id or key in 'path', the entity name and the connection's project"
            ) from None
        if output is None:
            return entity
        with write_json_lines("output_path", output) as writer:
            writer.write(entity)
        return {"path": output, "count": 1, "pages": 1}

    def _read_page(self, target: ResolvedPath, query: Mapping[str, Any], output: str | None) -> Any:
        """paginate=False: one request; the ``results`` of a paged answer, else the answer itself."""
        query = dict(query)
        if "limit" not in query:
            query["limit"] = self.page_size if self.max_items is None else min(self.page_size, self.max_items)
        body = self.hook.client.request("GET", target.path, query=query)
        paged = isinstance(body, dict) and isinstance(body.get("results"), list)
        documents = body["results"] if paged else [body]
        self.log.info("Read one page of %s: %d entities (pagination is off)", target.path, len(documents))
        if output is not None:
            with write_json_lines("output_path", output) as writer:
                writer.write_many(documents)
            return {"path": output, "count": writer.count, "pages": 1}
        if paged:
            self._check_xcom_size(len(documents))
        return documents if paged else body

    def _read_all(self, target: ResolvedPath, query: Mapping[str, Any], output: str | None, what: str) -> Any:
        pages = iter_pages(
            self.hook.client,
            target.path,
            query=query,
            page_size=self.page_size,
            max_items=self.max_items,
            on_page=lambda page: self._log_page(what, page),
            keep_text=output is not None,
        )
        last: Page | None = None
        if output is not None:
            with write_json_lines("output_path", output) as writer:
                for last in pages:
                    if last.texts is not None:  # the entities as received: no second encoding
                        writer.write_texts(last.texts)
                    else:
                        writer.write_many(last.results)
                    self._last_page = last
            count = writer.count
            self._log_done(what, last, count)
            return {"path": output, "count": count, "pages": last.number if last else 0}
        entities: list[dict[str, Any]] = []
        for last in pages:
            entities.extend(last.results)
            self._last_page = last
            self._check_xcom_size(len(entities))
        self._log_done(what, last, len(entities))
        return entities

    def _check_xcom_size(self, count: int) -> None:
        if self.max_xcom_items is not None and count > self.max_xcom_items:
            raise XComLimitError(
                f"max_xcom_items: the read returned more than {self.max_xcom_items:,} entities, too many to return "
                "through XCom (it is stored in Airflow's metadata database). Set output_path to stream them to a "
                "JSON Lines file (XCom then gets its path and counts), narrow the read (query['where'], "
                "modified_since, partition, max_items), or raise max_xcom_items (None: no limit)."
            )

    def _log_page(self, what: str, page: Page) -> None:
        self.log.info(
            "%s: page %d read (%s paging), %d entities so far, %.0f entities/s",
            what,
            page.number,
            page.strategy,
            page.entities_so_far,
            page.entities_per_second,
        )

    def _log_done(self, what: str, last: Page | None, count: int) -> None:
        self.log.info(
            "%s: read %d entities in %d pages (%.1f s)",
            what,
            count,
            last.number if last else 0,
            last.elapsed if last else 0.0,
        )


def _resume_note(what: str, last: Page, output: str | None, query: Mapping[str, Any]) -> str:
    """What a paged read that failed after ``last`` did, did not do, and how to finish it."""
    done = f"{last.entities_so_far:,} {what} entities ({last.number} pages)"
    done += f" were written to {output!r}" if output is not None else " were read but not returned (the task failed)"
    if last.strategy != "keyset" or last.last_id is None:
        return (
            f"Export incomplete: the first {done}; the rest was not read. Offset paging cannot resume where it "
            "stopped: run the task again to read everything"
        )
    sorts = parse_sort(query.get("sort"))
    after = f"id {'<' if sorts and sorts[0][1] == 'desc' else '>'} {quote_string(last.last_id)}"
    return (
        f"Export incomplete: {done}, up to id {last.last_id!r}; the entities after it were not read. "
        f"Run the task again to read everything{' (the file is replaced)' if output else ''}, or resume: "
        f"add the predicate {after!r} to query['where'] (it is ANDed with the rest of the query)"
        + (" and write to another output_path, then use both files" if output else "")
    )


def _window_bound(value: Any) -> Any:
    """A window bound; empty and "None" (what Jinja renders for a missing value) mean no bound."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    return value
