"""CommercetoolsSubscriberOperator: read any entity, one by id or key, or a whole collection page by page.

It translates parameters and the task context into calls of the commercetools layer (through
:class:`~airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook`), and results into XCom
or a JSON Lines file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import Context

from airflow_provider_commercetools.commercetools.checks import check_conn_id, check_target, is_template
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError
from airflow_provider_commercetools.commercetools.files import check_location, write_json_lines_then_move
from airflow_provider_commercetools.commercetools.reading import (
    DEFAULT_CONCURRENCY,
    Page,
    ReadPlan,
    check_max_items,
    check_read_arguments,
    check_transformer,
    checked_request,
    id_partitions,
    plan_read,
    transform_request,
)
from airflow_provider_commercetools.commercetools.reading.modified_order import check_order
from airflow_provider_commercetools.commercetools.reading.predicates import window_bound
from airflow_provider_commercetools.commercetools.reading.settle import (
    check_settle,
    check_window_overlap,
    overlapped_start,
)
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.settle import SettleMixin

#: Default cap on the entities returned through XCom (stored in Airflow's metadata database).
DEFAULT_MAX_XCOM_ITEMS = 10_000


class XComLimitError(CommercetoolsError, ValueError):
    """A read returned more entities than ``max_xcom_items`` allows through XCom."""


class CommercetoolsSubscriberOperator(SettleMixin):
    """Read commercetools entities: one by id or key, or a whole collection page by page.

    A collection is read with keyset paging on ``id`` (no 10,000 limit); a window with an end
    (``modified_until``) with keyset paging on ``(lastModifiedAt, id)`` through the window (see
    ``order``). If ``query`` sorts by another field, offset paging is used, and a read that would
    need an offset over 10,000 fails with
    :class:`~airflow_provider_commercetools.commercetools.errors.PaginationLimitError` before
    requesting it, never returning a truncated result. Progress is logged per page.

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
    :param order: the order a collection is paged in: ``"auto"`` (default: ``"modified"`` for a paged
        window with ``modified_until`` and no ``sort`` of its own, else ``"id"``), ``"id"`` (keyset on
        ``id``, the window a filter: the server walks every id of the collection) or ``"modified"``
        (keyset on ``(lastModifiedAt, id)``: the server walks only the window; with ``concurrency``
        the window's time is split into ranges). See docs/subscriber.md. (templated)
    :param settle: read a window only once commercetools' clock (the ``Date`` of its answers, not the
        worker's clock) is past ``modified_until`` + this (seconds or a timedelta, default 120 s): a
        write stamped in the window that becomes visible within ``settle`` is still read in its own
        window (see docs/subscriber.md). Up to ``longest_sleep`` is slept; a longer wait defers (``deferrable``)
        or fails saying when to run. A window ending ahead of the server's clock is refused the same way. (templated)
    :param deferrable: wait for a window to settle in the triggerer instead of failing, when the wait
        is longer than ``longest_sleep`` (default: ``[operators] default_deferrable``).
    :param longest_sleep: the longest wait for a window to settle that the task sleeps in its worker slot
        (seconds, default 300: a scheduled run waits about ``settle``, less than a deferral costs); 0
        defers (or fails) on any wait, for a pool with few slots.
    :param overlap: read each window again from this long before ``modified_since`` (seconds or a
        timedelta, default 0): a write that shows later than ``settle`` is then read by the next
        interval, and rows repeat across files; merge them on ``(id, version)`` (see
        docs/subscriber.md). (templated)
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
        "settle",
        "overlap",
        "order",
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
        overlap: Any = 0,
        order: str = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_conn_id(commercetools_conn_id)
        check_target(entity, endpoint)
        check_transformer(request_transformer)
        check_read_arguments(paginate=paginate, page_size=page_size, max_items=max_items, concurrency=concurrency)
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
        self.concurrency = concurrency
        if not is_template(overlap):
            check_window_overlap(overlap)
        self.overlap = overlap
        if not is_template(order):
            check_order(order)
        self.order = order

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
        plan = plan_read(
            **self._request(context),
            paginate=self.paginate,
            page_size=self.page_size,
            max_items=self.max_items,
            modified_since=overlapped_start(window_bound(self.modified_since), check_window_overlap(self.overlap)),
            modified_until=self.modified_until,
            partition=self.partition,
            concurrency=self.concurrency,
            order=self.order,
        )
        output = None if self.output_path is None else check_location("output_path", self.output_path)
        settle = check_settle(self.settle)
        if plan.kind != "one":
            until = window_bound(self.modified_until)
            self.wait_for_window(until, settle, lambda: self.hook.client.server_time(plan.path))
        for warning in plan.warnings:
            self.log.warning("%s", warning)
        self.log.info("%s", plan.describe())
        if output is None:
            return self._to_xcom(plan)
        # The file is opened before the first request: an unwritable output_path fails first.
        # Written beside output_path, moved there when complete: a failed export leaves an earlier file as it was.
        with write_json_lines_then_move("output_path", output) as writer:
            if plan.kind != "all":
                writer.write_many(self._read_single(plan)[1])
                return {"path": output, "count": writer.count, "pages": 1}
            for page in plan.pages(
                self.hook.client,
                keep_text=True,  # the entities are written as received: no second encoding
                keep_results=False,  # and only their text is kept: a page's memory is its text
                on_page=lambda page: self._log_page(plan, page),
                written_to=writer.location,
            ):
                assert page.texts is not None
                writer.write_texts(page.texts)
        self._log_done(plan, writer.count)
        return {"path": output, "count": writer.count, "pages": plan.pages_read}

    def _to_xcom(self, plan: ReadPlan) -> Any:
        if plan.kind != "all":
            value, documents = self._read_single(plan)
            if value is documents:  # a page of results (not one entity, nor an answer that is not a page)
                self._check_xcom_size(len(documents))
            return value
        entities: list[dict[str, Any]] = []
        for page in plan.pages(self.hook.client, on_page=lambda page: self._log_page(plan, page)):
            entities.extend(page.results)
            self._check_xcom_size(len(entities))
        self._log_done(plan, len(entities))
        return entities

    def _read_single(self, plan: ReadPlan) -> tuple[Any, list[Any]]:
        """A read of one entity, or of one page (pagination off): the XCom value and the documents to write."""
        if plan.kind == "one":
            entity = plan.read_one(self.hook.client, self.hook.project_key)
            return entity, [entity]
        documents, paged = plan.read_page(self.hook.client)
        self.log.info("Read one page of %s: %d entities (pagination is off)", plan.path, len(documents) if paged else 1)
        return documents, documents if paged else [documents]

    def _request(self, context: Context) -> dict[str, Any]:
        """The rendered request, its shape checked, passed through ``request_transformer``, checked again."""
        request = {"entity": self.entity, "endpoint": self.endpoint, "path": self.path, "query": self.query}
        return transform_request(checked_request(request), self.request_transformer, context)

    def _check_xcom_size(self, count: int) -> None:
        if self.max_xcom_items is not None and count > self.max_xcom_items:
            raise XComLimitError(
                f"max_xcom_items: the read returned more than {self.max_xcom_items:,} entities, too many to return "
                "through XCom (it is stored in Airflow's metadata database). Set output_path to stream them to a "
                "JSON Lines file (XCom then gets its path and counts), narrow the read (query['where'], "
                "modified_since, partition, max_items), or raise max_xcom_items (None: no limit)."
            )

    def _log_page(self, plan: ReadPlan, page: Page) -> None:
        self.log.info("%s", page.progress(plan.what))

    def _log_done(self, plan: ReadPlan, count: int) -> None:
        for line in plan.summary(count):
            self.log.info("%s", line)
