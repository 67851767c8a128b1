"""The commercetools operators: CommercetoolsSubscriberOperator reads, CommercetoolsPublisherOperator writes.

They translate parameters and the task context into calls of the commercetools layer (through
:class:`~airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook`), and results into XCom
or JSON Lines files.
"""

from __future__ import annotations

import copy
import json
import os
import time as _time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator, Context

from airflow_provider_commercetools.commercetools.client import POOL_SIZE
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
from airflow_provider_commercetools.commercetools.publishing import (
    FAILED,
    NOT_SENT,
    ON_CONFLICT,
    ON_ERROR,
    TO_RESEND,
    ItemResult,
    PreparedRequest,
    PublishDefaults,
    Publisher,
    PublishFailedError,
    PublishReport,
    UnreadableItem,
    check_choice,
    check_count,
    check_method,
    failures_location,
)
from airflow_provider_commercetools.files import check_location, open_text, write_json_lines
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.params import as_mapping, check_target, parse_json_string

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
        check_target(commercetools_conn_id, entity, endpoint)
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
        entity, endpoint = request.get("entity"), request.get("endpoint")
        for name, value in (("entity", entity), ("endpoint", endpoint)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigurationError(name, f"{value!r} is not a non-empty string.", "Check the template.")
        if entity is None and endpoint is None:
            raise ConfigurationError("entity", "is missing.", "Give an entity name (e.g. 'products') or an endpoint.")
        query = as_mapping("query", request.get("query"))
        for name, value in query.items():
            if not isinstance(name, str) or not name:
                raise ConfigurationError("query", f"{name!r} is not a parameter name.")
            if name in ("where", "sort"):
                as_predicates(f"query[{name!r}]", value)
                continue
            values = value if isinstance(value, list | tuple) else [value]
            if not all(v is None or isinstance(v, str | int | float | bool) for v in values):
                raise ConfigurationError(
                    f"query[{name!r}]",
                    f"{value!r} is not a string, number, boolean or a list of them.",
                    "Query parameters are sent in the URL.",
                )
        return {
            "entity": entity.strip() if isinstance(entity, str) else None,
            "endpoint": endpoint.strip() if isinstance(endpoint, str) else None,
            "path": as_mapping("path", request.get("path")),
            "query": query,
        }

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


#: Failed items logged one by one before the log only counts them.
MAX_LOGGED_FAILURES = 50
#: Failed items named in the error that fails the task.
MAX_FAILURES_IN_ERROR = 20
PROGRESS_EVERY_SECONDS = 30.0


class PublishPartlyAppliedError(PublishFailedError, AirflowFailException):
    """Items failed after others were applied: the task fails without Airflow's retries, which would
    send the whole batch again (doubling creates); re-run with the failures file instead."""


class CommercetoolsPublisherOperator(BaseOperator):
    """Write to commercetools: one request, or one request per item of a batch, with results per item.

    **What is sent** follows commercetools: ``POST`` to a collection (no id/key in ``path``) creates
    from the draft in ``payload``; ``POST`` to one entity (``path`` with ``id`` or ``key``) updates it
    with ``{"version": N, "actions": [...]}``; ``DELETE`` to one entity sends the version as the
    ``version`` query parameter (from ``query`` or the payload's ``version``); ``GET`` and ``HEAD``
    read (only a summary of the answer is kept: use the subscriber to export data). Custom objects
    are written by ``POST`` with ``{container, key, value}`` and an empty ``path``.

    **Items.** Without ``items`` one request is sent from ``path``, ``query`` and ``payload``. With
    ``items`` one request is sent per item; an item is ``{"path": {...}, "query": {...}, "payload":
    ...}`` (each key optional, no other keys), merged over the operator's values (item keys win, key
    by key for dicts). A dict without any of those three keys is the payload itself, so entities
    or drafts (e.g. lines written by the subscriber) can be sent as they are. ``items`` may be:

    - a list (from XCom, an XComArg, or a template rendering to a JSON list);
    - the ``{"path": ..., "count": ..., "pages": ...}`` result of a subscriber that wrote JSON
      Lines, or the path / URL of a JSON Lines file: read streaming, one item per non-empty line;
    - a results or failures file of an earlier run (or that run's summary from XCom): failed and
      not-sent records are sent again with their original item, succeeded ones are skipped.

    In-memory items are all validated before the first request; items read from a file are
    validated one by one before each is sent (a bad line becomes a failed item).

    **Conflicts** (409 ConcurrentModification): ``on_conflict="fail"`` fails the item;
    ``"retry"`` re-sends it with the current version from the error, at most
    ``max_conflict_retries`` times, logging each retry (this overwrites concurrent changes:
    choose it knowingly); ``"latest"`` does the same and also allows updates and deletes without a
    version, reading the current version first.

    **Lost responses.** A create whose response was lost is never re-sent blindly: when the draft
    has a ``key`` (``orderNumber`` for orders, ``container`` and ``key`` for custom objects) the
    entity is looked up; found, the item succeeded (``recovered``); not found, the create is sent
    again (at most twice). Without a key the item fails with "outcome unknown".

    **Errors.** ``on_error="fail"``: after the first failure nothing more is sent (requests in flight
    finish), the rest is reported as ``not_sent`` and the task fails; ``"continue"``: everything is
    sent, then the task fails naming each failed item's index and error; ``"skip"``: the task
    succeeds and reports the failures. When nothing was applied the failure is an ordinary one
    (Airflow's task retries may send the batch again); once items were applied (or may have been),
    it is :class:`PublishPartlyAppliedError`, which Airflow does not retry, because a retry would
    send the applied items again: finish the job with the failures file instead.

    **Results.** Every item gets a record ``{"index", "status", "request", "response" | "error",
    ...}``: ``index`` is its position in ``items`` (in a file: among the non-empty lines, from 0),
    ``status`` is ``succeeded``, ``failed``, ``not_sent`` or ``skipped``; ``response`` holds only
    ``id``, ``version``, ``key`` (...); ``error`` holds ``type``, ``status``, ``codes``, ``message``,
    ``correlation_id``; failed and not-sent records carry the original ``item``. With
    ``output_path`` every record is written there as JSON Lines, and the failed and not-sent ones
    also to ``failures_path`` beside it (``results.jsonl`` -> ``results.failures.jsonl``; written
    even when empty). Both files appear when the batch is done (written under a temporary name,
    then moved), so a re-run may read the failures file it replaces: **to finish a partly failed
    batch, run again with ``items`` set to the failures file**. XCom then gets the counts
    (``total``, ``succeeded``, ``failed``, ``not_sent``, ``skipped``, ``recovered``,
    ``conflict_retries``) with ``output_path`` and ``failures_path``; without ``output_path`` it
    gets the counts, ``results`` (the first 1,000 records, without items) and ``failures`` (the
    first 200 failed or not-sent records with their items), each with a ``*_truncated`` flag.

    :param commercetools_conn_id: the Airflow connection of the commercetools project.
    :param method: POST, DELETE, GET or HEAD. (templated)
    :param entity: a resource name as in paths (``products``, ``orders``, ``custom-objects``...).
        (templated)
    :param endpoint: instead of ``entity``, any path below the project key; ``{name}`` placeholders
        are filled from ``path``. A POST with ``actions`` in the payload is an update. (templated)
    :param path: path parameters for every request: ``id``, ``key``, ``order_number``,
        ``container``, ``store_key``. (templated)
    :param query: query parameters for every request. (templated)
    :param payload: the JSON body for every request (dict or list). (templated)
    :param items: the batch (see above). (templated)
    :param on_conflict: ``fail`` (default), ``retry`` or ``latest``.
    :param max_conflict_retries: re-sends of one item after 409s (default 3).
    :param max_workers: items sent concurrently, sharing one HTTP session and one token (1 to 64).
    :param on_error: ``fail`` (default), ``continue`` or ``skip``.
    :param output_path: write the results as JSON Lines to this local path or ObjectStoragePath URL
        (``file://``, ``s3://conn_id@bucket/key``...). (templated)
    :param resend_unknown: when ``items`` are an earlier run's failures, a create whose outcome was
        unknown and whose draft has no key (nothing to look it up by) is not sent again, since it may
        exist already: it stays failed, with a note. Set True, after checking, to send those too.
    """

    template_fields: Sequence[str] = (
        "method",
        "entity",
        "endpoint",
        "path",
        "query",
        "payload",
        "items",
        "output_path",
    )
    template_fields_renderers = {"path": "json", "query": "json", "payload": "json", "items": "json"}
    ui_color = "#f0e6dc"

    def __init__(
        self,
        *,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        method: str = "POST",
        entity: str | None = None,
        endpoint: str | None = None,
        path: dict[str, Any] | str | None = None,
        query: dict[str, Any] | str | None = None,
        payload: dict[str, Any] | list[Any] | str | None = None,
        items: Any = None,
        on_conflict: str = "fail",
        max_conflict_retries: int = 3,
        max_workers: int = 1,
        on_error: str = "fail",
        output_path: str | None = None,
        resend_unknown: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_target(commercetools_conn_id, entity, endpoint)
        self.resend_unknown = bool(resend_unknown)
        if _static(method):
            check_method(method)
        if _static(entity):
            PublishDefaults.create(method=method if _static(method) else "GET", entity=entity)
        self.commercetools_conn_id = commercetools_conn_id
        self.method = method
        self.entity = entity
        self.endpoint = endpoint
        self.path = path
        self.query = query
        self.payload = payload
        self.items = items
        self.on_conflict = check_choice("on_conflict", on_conflict, ON_CONFLICT)
        self.max_conflict_retries = check_count("max_conflict_retries", max_conflict_retries, 0)
        self.max_workers = check_count("max_workers", max_workers, 1)
        if self.max_workers > POOL_SIZE:
            raise ConfigurationError(
                "max_workers", f"{max_workers} is more than the {POOL_SIZE} connections of the client's pool."
            )
        self.on_error = check_choice("on_error", on_error, ON_ERROR)
        self.output_path = output_path
        self._publisher: Publisher | None = None

    @cached_property
    def hook(self) -> CommercetoolsHook:
        """The hook, created at first use (no connection look-up when the DAG is parsed)."""
        return CommercetoolsHook(self.commercetools_conn_id)

    # -- execute -------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        # Everything rendered is checked before the first request.
        defaults = PublishDefaults.create(
            method=self.method,
            entity=_optional_text("entity", self.entity),
            endpoint=_optional_text("endpoint", self.endpoint),
            path=as_mapping("path", self.path),
            query=as_mapping("query", self.query),
            payload=parse_json_string("payload", self.payload),
        )
        output = None if self.output_path in (None, "") else check_location("output_path", self.output_path)
        source = self._items_source()
        # The client (session, token cache) is created here, once, before the worker threads share it.
        client = self.hook.client
        publisher = Publisher(
            client,
            defaults,
            on_conflict=self.on_conflict,
            max_conflict_retries=self.max_conflict_retries,
            max_workers=self.max_workers,
            stop_on_failure=self.on_error == "fail",
            single=source is None,
            resend_unknown=self.resend_unknown,
            logger=self.log,
        )
        self._publisher = publisher
        prepared: Iterable[PreparedRequest | ItemResult]
        if source is None:
            prepared = publisher.prepare_all([{}], strict=True)
            what = "1 request"
        elif isinstance(source, list):
            prepared = publisher.prepare_all(source)
            what = f"{len(source)} items"
        else:
            prepared = publisher.iter_prepared(_iter_item_lines(source))
            what = f"the items of {source!r}"
        self.log.info(
            "Publishing %s: %s %s (on_conflict=%r, on_error=%r, max_workers=%d)%s",
            what,
            defaults.method,
            defaults.target,
            self.on_conflict,
            self.on_error,
            self.max_workers,
            f", results to {output!r}" if output else "",
        )
        report = PublishReport()
        if output is None:
            self._consume(publisher.publish(prepared), report)
            summary: dict[str, Any] = {
                **report.counts_summary(),
                "results": report.results,
                "results_truncated": report.results_truncated,
                "failures": report.failures,
                "failures_truncated": report.failures_truncated,
            }
            where = "" if not report.failures else "Set output_path to get every failed item in a file to re-send."
        else:
            failures = failures_location(output)
            self._publish_to_files(publisher, prepared, report, output, failures)
            summary = {**report.counts_summary(), "output_path": output, "failures_path": failures}
            where = f"Results: {output}. To send the failed items again, run with items={failures!r}."
        self.log.info("Published %s", report.describe())
        if (report.failed or report.counts[NOT_SENT]) and self.on_error != "skip":
            if report.nothing_applied:  # retrying the task (Airflow's retries) doubles nothing
                raise PublishFailedError(report.failure_message(limit=MAX_FAILURES_IN_ERROR, where=where), summary)
            where += (
                " Not retried automatically: items were (or may have been) applied, and running the whole batch "
                "again would send them twice."
            )
            raise PublishPartlyAppliedError(report.failure_message(limit=MAX_FAILURES_IN_ERROR, where=where), summary)
        return summary

    def on_kill(self) -> None:
        if self._publisher is not None:
            self._publisher.stop()

    # -- items ---------------------------------------------------------------------------------

    def _items_source(self) -> list[Any] | str | None:
        """None (one request), the in-memory list, or the location of a JSON Lines file of items."""
        value = parse_json_string("items", self.items)
        if value is None:
            return None
        if isinstance(value, list | tuple):
            return list(value)
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if isinstance(value, str):
            if value.strip() in ("", "None"):
                raise ConfigurationError(
                    "items",
                    f"rendered to {value!r}.",
                    "The upstream value is empty: give a list, a JSON Lines file, or leave items out (None).",
                )
            return _items_file(value)
        if isinstance(value, Mapping):
            if isinstance(value.get("path"), str) and not {"query", "payload"} & value.keys():
                return _items_file(value["path"])  # a subscriber's file result
            if isinstance(value.get("failures_path"), str):
                return _items_file(value["failures_path"])  # an earlier run's summary
            if isinstance(value.get("failures"), list) and "total" in value:
                if value.get("failures_truncated"):
                    raise ConfigurationError(
                        "items",
                        "is an earlier run's summary whose failures list was truncated.",
                        "Run with output_path to get every failed item, then set items to the failures file.",
                    )
                return list(value["failures"])
        raise ConfigurationError(
            "items",
            f"must be a list of items or a JSON Lines file, got {type(value).__name__} {_short_repr(value)}.",
            "Give a list, an XComArg, a subscriber's {'path': ...} result, or a path / URL.",
        )

    # -- results -------------------------------------------------------------------------------

    def _consume(
        self,
        results: Iterable[ItemResult],
        report: PublishReport,
        on_result: Callable[[ItemResult], None] | None = None,
    ) -> None:
        logged = 0
        last_progress = _time.monotonic()
        for result in results:
            report.add(result)
            if on_result is not None:
                on_result(result)
            if result.status == FAILED:
                logged += 1
                if logged <= MAX_LOGGED_FAILURES:
                    error = result.error or {}
                    self.log.warning("items[%d] failed: %s: %s", result.index, error.get("type"), error.get("message"))
                elif logged == MAX_LOGGED_FAILURES + 1:
                    self.log.warning("More items failed; they are counted, no longer logged one by one")
            if _time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                last_progress = _time.monotonic()
                self.log.info("Progress: %s", report.describe())

    def _publish_to_files(
        self,
        publisher: Publisher,
        prepared: Iterable[PreparedRequest | ItemResult],
        report: PublishReport,
        output: str,
        failures: str,
    ) -> None:
        """Stream the records to temporary files; move them into place once every item has a result.

        Moving at the end lets a re-run read the very failures file it replaces, and keeps a half
        written file from ever looking complete.
        """
        suffix = f".partial-{uuid.uuid4().hex[:12]}"
        temporary = {output: output + suffix, failures: failures + suffix}
        completed = False
        try:
            with ExitStack() as stack:
                results_writer = stack.enter_context(write_json_lines("output_path", temporary[output]))
                failures_writer = stack.enter_context(write_json_lines("output_path", temporary[failures]))

                def write(result: ItemResult) -> None:
                    record = result.to_record()
                    results_writer.write(record)
                    if result.status in TO_RESEND:
                        failures_writer.write(record)

                self._consume(publisher.publish(prepared), report, write)
            completed = True
        finally:
            if isinstance(prepared, Iterator):
                close = getattr(prepared, "close", None)
                if close is not None:
                    close()  # releases the items file before it may be replaced
            if completed:
                for final, partial in temporary.items():
                    _move(partial, final)
            elif report.total == 0:
                for partial in temporary.values():
                    _remove(partial)
            else:
                self.log.error(
                    "Publishing stopped before every item had a result; partial results are in %s and %s",
                    temporary[output],
                    temporary[failures],
                )


def _static(value: Any) -> bool:
    """A string parameter that is not a template (so it can be checked when the DAG is parsed)."""
    return isinstance(value, str) and "{{" not in value and "{%" not in value


def _optional_text(parameter: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(parameter, f"{value!r} is not a non-empty string.", "Check the template.")
    return value.strip()


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _items_file(location: str) -> str:
    location = check_location("items", location)
    if "://" not in location and not os.path.isfile(location):
        raise ConfigurationError(
            "items", f"{location!r} is not a file.", "Give a JSON Lines file of items, or a list of items."
        )
    return location


def _iter_item_lines(location: str) -> Iterator[Any]:
    """The items of a JSON Lines file, one per non-empty line; a line that is not JSON becomes an
    :class:`UnreadableItem` (a failed item) instead of stopping the batch."""
    try:
        with open_text("items", location, "r") as handle:
            # readline, not iteration: Airflow 2.11's ObjectStoragePath handle is not iterable
            for number, line in enumerate(iter(handle.readline, ""), start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except ValueError as error:
                    yield UnreadableItem(
                        line.rstrip("\n")[:10_000], f"line {number} of {location!r} is not JSON: {error}."
                    )
    except OSError as error:
        raise ConfigurationError(
            "items", f"cannot read {location!r}: {error}.", "Check the path, or the connection in the URL."
        ) from None


def _remove(location: str) -> None:
    try:
        if "://" not in location:
            os.remove(location)
        else:
            from airflow.providers.common.compat.sdk import ObjectStoragePath

            ObjectStoragePath(location).unlink()
    except OSError:
        pass


def _move(source: str, target: str) -> None:
    """Replace ``target`` by ``source`` (a local path or an ObjectStoragePath URL)."""
    if "://" not in source:
        os.replace(source, target)
        return
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    destination = ObjectStoragePath(target)
    if destination.exists():
        destination.unlink()
    ObjectStoragePath(source).rename(destination)
