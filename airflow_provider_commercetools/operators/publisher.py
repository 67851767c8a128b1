"""CommercetoolsPublisherOperator: write one request, or one request per item of a batch, with a result per item.

It renders its parameters; the layer's ``writing.run.PublishRun`` reads the items, drives the
``Publisher`` and writes the results files; the summary goes to XCom.
"""

from __future__ import annotations

import contextlib
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
    is_template,
    optional_text,
    parse_json_string,
)
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.results.redaction import check_redact_fields
from airflow_provider_commercetools.commercetools.results.report import PublishFailedError
from airflow_provider_commercetools.commercetools.writing import (
    ON_CONFLICT,
    ON_ERROR,
    PublishDefaults,
    Publisher,
    check_max_workers,
    check_method,
)
from airflow_provider_commercetools.commercetools.writing.liveness import ParentWatch
from airflow_provider_commercetools.commercetools.writing.run import PublishRun
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

#: Failed items named in the error that fails the task.
MAX_FAILURES_IN_ERROR = 20
KILLED = "the task was stopped (on_kill: Airflow's timeout or mark-failed)"


def _flag(value: Any) -> bool:
    """``resend_unknown`` as given or rendered: a bool, or the text of one ("True", "false")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigurationError("resend_unknown", f"{value!r} is not True or False.", "Give True or False.")


class PublishPartlyAppliedError(PublishFailedError, AirflowFailException):
    """Items failed after others were applied: the task fails without Airflow's retries, which would
    send the whole batch again (doubling creates); re-run with the failures file instead."""


class PublishStoppedError(PublishFailedError):
    """The task was stopped (on_kill) before every item was sent. With ``output_path`` the records stay
    beside it and a re-run of the task (Airflow's retries too) resumes, sending only what was not applied."""


class CommercetoolsPublisherOperator(BaseOperator):
    """Write to commercetools: one request, or one request per item of a batch, with results per item.

    **What is sent** follows commercetools: ``POST`` to a collection (no id/key in ``path``) creates
    from the draft in ``payload``; ``POST`` to one entity (``path`` with ``id`` or ``key``) updates it
    with ``{"version": N, "actions": [...]}``; ``DELETE`` to one entity sends the version as the
    ``version`` query parameter (from ``query`` or the payload's ``version``); ``GET`` and ``HEAD``
    read (only a summary of the answer is kept unless ``keep_response``: use the subscriber to export
    data). Custom objects are written by ``POST`` with ``{container, key, value}`` and an empty ``path``.

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
    again (at most twice), and before it is given up it is looked up once more after waiting the
    connection's timeout. Without a key the item fails with "outcome unknown".

    **Errors.** ``on_error="fail"``: after the first failure nothing more is sent (requests in flight
    finish), the rest is reported as ``not_sent`` and the task fails; ``"continue"``: everything is
    sent, then the task fails naming each failed item's index and error; ``"skip"``: the task
    succeeds and reports the failures. When nothing was applied the failure is an ordinary one
    (Airflow's task retries may send the batch again); once items were applied (or may have been),
    it is :class:`PublishPartlyAppliedError`, which Airflow does not retry, because a retry would
    send the applied items again: finish the job with the failures file instead.

    **Killed** (``on_kill``: Airflow's timeout or mark-failed), or **orphaned** (the worker process that
    started the task is gone, or a newer attempt took over): nothing more is sent. With ``output_path``
    the records so far stay beside it (``.partial-*`` files) with the journal (``<output_path>.journal/``:
    small objects on the same storage, each written before the items it announces are sent) and the task
    fails with :class:`PublishStoppedError`; running the task again with the same ``items`` and
    ``output_path`` (as Airflow's retries do, on any worker) resumes: applied items are not sent again,
    creates that may have been applied are looked up by their key first, and keyless ones are reported
    ``outcome_unknown``. Without ``output_path`` nothing records what was applied.

    **Duplicates.** A create with a key answered ``DuplicateField`` counts as applied (note
    ``already_applied``) when the existing resource equals the draft (``writing.compare``); otherwise it
    fails naming the key and the fields that differ. Re-running a failures file converges.

    **Results** come as items complete (not in input order), one record per item ``{"index", "status",
    "request", "response" | "error", ...}``; ``response`` holds only ``id``, ``version``, ``key``
    (...) unless ``keep_response``; failed and not-sent records carry the original ``item``. With
    ``output_path`` every record goes there as JSON Lines and the failed and not-sent ones also to
    ``failures_path`` beside it (``results.jsonl`` -> ``results.failures.jsonl``), both moved into
    place when the batch is done: **to finish a partly failed batch, run again with ``items`` set to
    the failures file**. XCom gets the counts (``total``, ``succeeded``, ``failed``, ``not_sent``,
    ``skipped``, ``recovered``, ``conflict_retries``) and the two paths, or without ``output_path``
    also ``results`` and ``failures``: the 1,000 and 200 records of lowest index, each with a
    ``*_truncated`` flag. (README: "CommercetoolsPublisherOperator".)

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
        (``file://``, ``s3://conn_id@bucket/key``...); checked to be writable before any request.
        (templated)
    :param resend_unknown: when ``items`` are an earlier run's failures (or a killed attempt is resumed),
        a create whose outcome was unknown and whose draft has no key (nothing to look it up by) is not
        sent again, since it may exist already: it is reported ``outcome_unknown``, with a note. Set True,
        after checking, to send those too. (templated)
    :param keep_response: keep the whole answer in each result record (default False: only ``id``,
        ``version``, ``key``, ``container``, ``orderNumber``), e.g. for a GET or a write with ``expand``.
        Mind XCom's size without ``output_path``.
    :param redact_fields: names of fields (at any depth of an item or answer) whose values are kept out of the
        results, besides those commercetools treats as secret (a customer's ``password``, tokens, destination
        credentials: see ``commercetools.results.redaction``): redacted in the records (files, XCom) and cut
        out of the error messages that echo them. A record with a redacted item cannot be sent again from a
        failures file: send it from its source.
    """

    template_fields = (
        "method",
        "entity",
        "endpoint",
        "path",
        "query",
        "payload",
        "items",
        "output_path",
        "resend_unknown",
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
        keep_response: bool = False,
        redact_fields: list[str] | tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_conn_id(commercetools_conn_id)
        check_target(entity, endpoint)
        self.resend_unknown: Any = resend_unknown if is_template(resend_unknown) else _flag(resend_unknown)
        self.keep_response = bool(keep_response)
        self.redact_fields = check_redact_fields(redact_fields)
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
        self.max_workers = check_max_workers(max_workers)
        self.on_error = check_choice("on_error", on_error, ON_ERROR)
        self.output_path = output_path
        self._publisher: Publisher | None = None
        self._killed = False
        self._gone = ""

    @cached_property
    def hook(self) -> CommercetoolsHook:
        """The hook, created at first use (no connection look-up when the DAG is parsed)."""
        return CommercetoolsHook(self.commercetools_conn_id)

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
        ti = context.get("ti") if isinstance(context, dict) or hasattr(context, "get") else None
        try_number = getattr(ti, "try_number", 0)
        run = PublishRun(
            self.items,
            self.output_path,
            try_number=try_number if isinstance(try_number, int) else 0,
            logger=self.log,
        )
        try:
            run.open()  # different items than an interrupted attempt's, or an unwritable output_path, fail here
            with ParentWatch(self._worker_gone):
                return self._execute(defaults, run)
        finally:
            run.close()

    def _execute(self, defaults: PublishDefaults, run: PublishRun) -> dict[str, Any]:
        # The client (session, token cache) is created here, once, before the worker threads share it.
        publisher = run.publisher(
            self.hook.client,
            defaults,
            on_conflict=self.on_conflict,
            max_conflict_retries=self.max_conflict_retries,
            max_workers=self.max_workers,
            stop_on_failure=self.on_error == "fail",
            resend_unknown=_flag(self.resend_unknown),
            keep_response=self.keep_response,
            redact_fields=self.redact_fields,
            logger=self.log,
        )
        self._publisher = publisher
        if self._killed:  # on_kill came while the items were being checked
            publisher.stop(KILLED)
        if self._gone:
            publisher.stop(self._gone)
        settings = f"on_conflict={self.on_conflict!r}, on_error={self.on_error!r}, max_workers={self.max_workers}"
        prepared = run.prepare(publisher, f"{defaults.method} {defaults.target} ({settings})")
        run.consume(publisher, prepared, killed=lambda: self._killed or bool(self._gone))
        self.log.info("Published %s", run.report.describe())
        return self._summarise(run)

    def _summarise(self, run: PublishRun) -> dict[str, Any]:
        """The summary for XCom, or the error that fails the task (with the summary in it)."""
        report, summary = run.report, run.summary()
        if self._killed or self._gone:
            message = report.failure_message(limit=MAX_FAILURES_IN_ERROR, where=run.where_after_kill())
            raise PublishStoppedError(f"{KILLED if self._killed else self._gone}. {message}", summary)
        if report.fails_task(self.on_error):
            message = report.failure_message(limit=MAX_FAILURES_IN_ERROR, where=run.where())
            if report.nothing_applied:  # retrying the task (Airflow's retries) doubles nothing
                raise PublishFailedError(message, summary)
            raise PublishPartlyAppliedError(message, summary)
        return summary

    def _worker_gone(self, reason: str) -> None:
        """The worker that started this task died (this process is an orphan): send nothing more."""
        self._gone = reason
        if self._publisher is not None:
            self._publisher.stop(reason)
        # The log goes to the dead supervisor on Airflow 3: writing it may fail (BrokenPipeError); nothing more
        # to tell then: the records say why the items were not sent.
        with contextlib.suppress(Exception):
            self.log.error("Stopping: %s", reason)

    def on_kill(self) -> None:
        self._killed = True
        if self._publisher is not None:
            self._publisher.stop(KILLED)
