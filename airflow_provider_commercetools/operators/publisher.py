"""CommercetoolsPublisherOperator: write one request, or one request per item of a batch, with a result per item.

It renders its parameters, hands them to :class:`~airflow_provider_commercetools.commercetools.publishing.Publisher`
(the commercetools layer) and writes the results to XCom or JSON Lines files.
"""

from __future__ import annotations

import os
import time as _time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException, BaseOperator, Context

from airflow_provider_commercetools.commercetools.checks import (
    as_mapping,
    check_choice,
    check_conn_id,
    check_count,
    check_target,
    is_static,
    optional_text,
    parse_json_string,
    short,
)
from airflow_provider_commercetools.commercetools.client import POOL_SIZE
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
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
    check_method,
    failures_location,
)
from airflow_provider_commercetools.files import check_location, move, read_json_lines, remove, write_json_lines
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

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
        check_conn_id(commercetools_conn_id)
        check_target(entity, endpoint)
        self.resend_unknown = bool(resend_unknown)
        if is_static(method):
            check_method(method)
        if is_static(entity):
            PublishDefaults.create(method=method if is_static(method) else "GET", entity=entity)
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
            entity=optional_text("entity", self.entity),
            endpoint=optional_text("endpoint", self.endpoint),
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
            prepared = publisher.iter_prepared(read_json_lines("items", source, on_bad_line=UnreadableItem))
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
            f"must be a list of items or a JSON Lines file, got {type(value).__name__} {short(value)}.",
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
                    move(partial, final)
            elif report.total == 0:
                for partial in temporary.values():
                    remove(partial)
            else:
                self.log.error(
                    "Publishing stopped before every item had a result; partial results are in %s and %s",
                    temporary[output],
                    temporary[failures],
                )


def _items_file(location: str) -> str:
    location = check_location("items", location)
    if "://" not in location and not os.path.isfile(location):
        raise ConfigurationError(
            "items", f"{location!r} is not a file.", "Give a JSON Lines file of items, or a list of items."
        )
    return location
