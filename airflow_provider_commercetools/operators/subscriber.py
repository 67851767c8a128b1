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
    check_target,
    is_static,
)
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError, RequestError
from airflow_provider_commercetools.commercetools.files import check_location, write_json_lines_then_move
from airflow_provider_commercetools.commercetools.reading.id_ranges import id_partitions
from airflow_provider_commercetools.commercetools.reading.pages import Page
from airflow_provider_commercetools.commercetools.reading.paging import check_max_items, check_page_size
from airflow_provider_commercetools.commercetools.reading.plan import (
    DEFAULT_CONCURRENCY,
    ReadPlan,
    check_concurrency,
    plan_read,
)
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
    :param concurrency: read the collection (or this task's ``partition``) as this many id ranges at
        once, one thread each, sharing the task's one HTTP session and token (1 to 32, default 1).
        Every entity is still read once; a file then holds each range's entities in id order, the
        ranges interleaved. (templated)
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
        "concurrency",
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
        concurrency: int | str = DEFAULT_CONCURRENCY,
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
        if not isinstance(concurrency, str) or is_static(concurrency):
            check_concurrency(concurrency)
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
        self.concurrency = concurrency

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
        plan = plan_read(
            entity=request["entity"],
            endpoint=request["endpoint"],
            path=request["path"],
            query=request["query"],
            paginate=self.paginate,
            page_size=self.page_size,
            max_items=self.max_items,
            modified_since=self.modified_since,
            modified_until=self.modified_until,
            partition=self.partition,
            concurrency=self.concurrency,
        )
        output = None if self.output_path is None else check_location("output_path", self.output_path)
        for warning in plan.warnings:
            self.log.warning("%s", warning)
        if plan.kind == "one":
            self.log.info("Reading one %s at %r", plan.what, plan.path)
        else:
            self.log.info("%s", plan.describe())
        if output is None:
            return self._to_xcom(plan)
        # The file is opened before the first request: an unwritable output_path fails first.
        with write_json_lines_then_move("output_path", output, keep_partial_on=(RequestError,)) as writer:
            if plan.kind == "one":
                writer.write(plan.read_one(self.hook.client, self.hook.project_key))
                return {"path": output, "count": 1, "pages": 1}
            if plan.kind == "page":
                documents, paged = plan.read_page(self.hook.client)
                writer.write_many(documents if paged else [documents])
                self.log.info("Read one page of %s: %d entities (pagination is off)", plan.path, writer.count)
                return {"path": output, "count": writer.count, "pages": 1}
            last: Page | None = None
            pages = 0
            for last in plan.pages(
                self.hook.client,
                keep_text=True,  # the entities are written as received: no second encoding
                keep_results=False,  # and only their text is kept: a page's memory is its text
                on_page=lambda page: self._log_page(plan, page),
                written_to=output,
            ):
                assert last.texts is not None
                writer.write_texts(last.texts)
                pages += 1
        self._log_done(plan, last, writer.count, pages)
        return {"path": output, "count": writer.count, "pages": pages}

    def _to_xcom(self, plan: ReadPlan) -> Any:
        if plan.kind == "one":
            return plan.read_one(self.hook.client, self.hook.project_key)
        if plan.kind == "page":
            documents, paged = plan.read_page(self.hook.client)
            self.log.info(
                "Read one page of %s: %d entities (pagination is off)", plan.path, len(documents) if paged else 1
            )
            if paged:
                self._check_xcom_size(len(documents))
            return documents
        entities: list[dict[str, Any]] = []
        last: Page | None = None
        pages = 0
        for last in plan.pages(self.hook.client, on_page=lambda page: self._log_page(plan, page)):
            entities.extend(last.results)
            pages += 1
            self._check_xcom_size(len(entities))
        self._log_done(plan, last, len(entities), pages)
        return entities

    def _request(self, context: Context) -> dict[str, Any]:
        """The rendered request, its shape checked, passed through ``request_transformer``, checked again."""
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
        # The shape only: plan_read checks the query's values (where, sort...) once, before any request.
        query = as_mapping("query", request.get("query"))
        return {"entity": entity, "endpoint": endpoint, "path": as_mapping("path", request.get("path")), "query": query}

    def _check_xcom_size(self, count: int) -> None:
        if self.max_xcom_items is not None and count > self.max_xcom_items:
            raise XComLimitError(
                f"max_xcom_items: the read returned more than {self.max_xcom_items:,} entities, too many to return "
                "through XCom (it is stored in Airflow's metadata database). Set output_path to stream them to a "
                "JSON Lines file (XCom then gets its path and counts), narrow the read (query['where'], "
                "modified_since, partition, max_items), or raise max_xcom_items (None: no limit)."
            )

    def _log_page(self, plan: ReadPlan, page: Page) -> None:
        self.log.info(
            "%s: page %d read (%s paging%s), %d entities so far, %.0f entities/s",
            plan.what,
            page.number,
            page.strategy,
            "" if page.range_index is None else f", id range {page.range_index + 1}",
            page.entities_so_far,
            page.entities_per_second,
        )

    def _log_done(self, plan: ReadPlan, last: Page | None, count: int, pages: int) -> None:
        self.log.info(
            "%s: read %d entities in %d pages (%.1f s)", plan.what, count, pages, last.elapsed if last else 0.0
        )
        if plan.concurrent is not None:
            read = plan.concurrent
            self.log.info(
                "%s: %d threads, requests per thread %s, %d id ranges (%d splits)",
                plan.what,
                read.concurrency,
                read.worker_requests,
                len(read.ranges),
                read.splits,
            )
