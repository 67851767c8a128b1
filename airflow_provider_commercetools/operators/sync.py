"""CommercetoolsSyncOperator: make commercetools match a feed of drafts (plan, dry run, apply, prune).

It renders and checks its parameters; the layer's ``writing.sync.run.SyncRun`` plans, applies and sums up.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from airflow.providers.common.compat.sdk import BaseOperator, Context

from airflow_provider_commercetools.commercetools.checks import (
    check_choice,
    check_conn_id,
    check_count,
    is_static,
    is_template,
    parse_json_string,
)
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import check_location
from airflow_provider_commercetools.commercetools.reading.paging import MAX_PAGE_SIZE
from airflow_provider_commercetools.commercetools.results.redaction import check_redact_fields
from airflow_provider_commercetools.commercetools.writing.publisher import check_max_workers
from airflow_provider_commercetools.commercetools.writing.sync.references import DEFAULT_BATCH_SIZE
from airflow_provider_commercetools.commercetools.writing.sync.run import (
    MATCH_BY,
    ON_ERROR,
    SyncFailedError,
    SyncRun,
    SyncSettings,
    drafts_source,
    match_fields,
)
from airflow_provider_commercetools.commercetools.writing.sync.types import select_groups, sync_type
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

KILLED = "the task was stopped (on_kill: Airflow's timeout or mark-failed)"

__all__ = ["CommercetoolsSyncOperator", "SyncFailedError"]


class CommercetoolsSyncOperator(BaseOperator):
    """Make commercetools look like a feed of drafts, sending only what differs (desired-state sync).

    Each draft is matched to its target by key (products also by the sku of any variant; inventory
    entries by sku and supply channel; custom objects by container and key); the targets are read in
    batches (``where=key in (...)``, one request per ``batch_size`` drafts, ``max_workers`` at once);
    the update actions are computed per field (``resource_type``'s builder, see docs/sync-fields.md);
    references are given by key and checked in batches, and a draft that references another draft of
    the feed (a parent category further down) is applied after it. The plan goes to
    ``<output_path>/plan.jsonl`` first (per draft: create, update with its actions, unchanged, delete,
    and why); ``dry_run=True`` stops there. The writes go through the publisher's machinery (workers,
    retries, lost-create look-ups, records in ``results.jsonl`` and ``results.failures.jsonl``); a 409
    re-reads the target and recomputes the actions.

    XCom: ``{"created", "updated", "unchanged", "deleted", "failed", "missing_references", "actions":
    {name: count}, "requests": {"read", "write"}, "plan_path", "output_path"}`` (counts only; a dry run
    reports what the plan would do and ``output_path`` None). Drafts that fail or reference what exists
    nowhere fail the task after everything else was applied (``on_error="skip"``: the task succeeds).
    See docs/sync.md.

    :param resource_type: categories, products, inventory, ... (see ``SYNC_TYPES``). (templated)
    :param drafts: a list of drafts, an XComArg, or a JSON Lines file (path, ObjectStoragePath URL, a
        subscriber's ``{"path": ...}`` result), read in chunks. (templated)
    :param match_by: ``"key"``, or for products ``"sku"`` (of any variant).
    :param dry_run: write the plan, send no write request.
    :param prune: delete target resources whose key is absent from the feed (never one without a key).
    :param max_deletes: with ``prune``, refuse (nothing sent) when more than this many would be deleted.
    :param sync_fields: field groups to sync: a list (allow list), ``{"include": [...]}`` or
        ``{"exclude": [...]}``; None syncs every field. (templated)
    :param output_path: the folder of plan.jsonl, results.jsonl, results.failures.jsonl (local or URL).
        (templated)
    :param plan: apply this plan file of an earlier task instead of planning (``drafts`` is then left
        out). (templated)
    :param batch_size: drafts (keys) per read request, 1 to 500 (default 100).
    :param max_workers: requests in parallel (reads and writes), 1 to 64.
    :param on_error: ``continue`` (default: apply everything, then fail the task if drafts failed or
        reference what is missing) or ``skip`` (succeed; the counts say what failed).
    :param redact_fields: more field names kept out of the plan and records (a customer's ``password`` is
        always).
    :param options: options of the resource type's builder (products: ``{"staged": False}``...).
    """

    template_fields = ("resource_type", "drafts", "sync_fields", "output_path", "plan")
    template_fields_renderers = {"drafts": "json", "sync_fields": "json"}
    ui_color = "#dcefe6"

    def __init__(
        self,
        *,
        resource_type: str,
        drafts: Any = None,
        match_by: str = "key",
        dry_run: bool = False,
        prune: bool = False,
        max_deletes: int = 0,
        sync_fields: Any = None,
        output_path: str,
        plan: str | None = None,
        commercetools_conn_id: str = CommercetoolsHook.default_conn_name,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_workers: int = 4,
        on_error: str = "continue",
        redact_fields: list[str] | tuple[str, ...] | None = None,
        options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_conn_id(commercetools_conn_id)
        self.commercetools_conn_id = commercetools_conn_id
        self.resource_type = resource_type
        self.drafts = drafts
        self.match_by = check_choice("match_by", match_by, MATCH_BY)
        if not isinstance(dry_run, bool):
            raise ConfigurationError("dry_run", f"{dry_run!r} is not True or False.")
        if not isinstance(prune, bool):
            raise ConfigurationError("prune", f"{prune!r} is not True or False.")
        self.plan_only = dry_run  # BaseOperator.dry_run() is a method of its own
        self.prune = prune
        self.max_deletes = check_count("max_deletes", max_deletes, 0)
        self.sync_fields = sync_fields
        self.output_path = output_path
        self.plan = plan
        self.batch_size = check_count("batch_size", batch_size, 1, MAX_PAGE_SIZE)
        self.max_workers = check_max_workers(max_workers)
        self.on_error = check_choice("on_error", on_error, ON_ERROR)
        self.redact_fields = check_redact_fields(redact_fields)
        self.options = dict(options or {})
        if plan is not None and drafts is not None:
            raise ConfigurationError(
                "plan", "is given together with drafts.", "Give drafts (to plan and apply) or plan (to apply it)."
            )
        if plan is None and drafts is None:
            raise ConfigurationError("drafts", "is missing.", "Give the drafts, or plan= an earlier plan file.")
        if plan is not None and dry_run:
            raise ConfigurationError("dry_run", "with plan= would do nothing.", "Leave dry_run False to apply it.")
        if output_path is None or (is_static(output_path) and not str(output_path).strip()):
            raise ConfigurationError("output_path", "is missing.", "Give a folder for plan.jsonl and results.jsonl.")
        if prune and self.match_by == "sku":
            raise ConfigurationError(
                "prune", "matches by key, but match_by='sku'.", "Sync products by key to prune, or leave prune off."
            )
        if is_static(resource_type) and not is_template(sync_fields):
            self._settings()  # an unknown type, match_by or sync_fields fails when the DAG is parsed
        self._run: SyncRun | None = None
        self._killed = False

    @cached_property
    def hook(self) -> CommercetoolsHook:
        """The hook, created at first use (no connection look-up when the DAG is parsed)."""
        return CommercetoolsHook(self.commercetools_conn_id)

    def _settings(self) -> SyncSettings:
        sync = sync_type(self.resource_type)
        if self.options:
            sync = sync.with_options(**self.options)
        match_fields(sync, self.match_by)
        groups = select_groups(sync, parse_json_string("sync_fields", self.sync_fields))
        return SyncSettings(
            sync=sync,
            match_by=self.match_by,
            dry_run=self.plan_only,
            prune=self.prune,
            max_deletes=self.max_deletes,
            sync_fields=groups,
            batch_size=self.batch_size,
            max_workers=self.max_workers,
            on_error=self.on_error,
            redact_fields=self.redact_fields,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        # Everything rendered is checked before the first request.
        settings = self._settings()
        drafts = drafts_source(self.drafts) if self.plan is None else None
        plan = check_location("plan", self.plan) if self.plan is not None else None
        output_path = check_location("output_path", self.output_path)
        run = SyncRun(self.hook.client, settings, drafts=drafts, output_path=output_path, plan=plan, logger=self.log)
        self._run = run
        if self._killed:
            run.stop(KILLED)
        return run.run()

    def on_kill(self) -> None:
        self._killed = True
        if self._run is not None:
            self._run.stop(KILLED)
