"""One sync run as the operator starts it: drafts -> plan file -> (unless a dry run) apply -> the summary.

``output_path`` is a folder (a local path or an ObjectStoragePath URL): the run writes ``plan.jsonl``
there, and the apply ``results.jsonl`` (one record per plan line) and ``results.failures.jsonl`` (the
failed ones). With ``plan=`` the apply takes an earlier task's plan file instead of planning (review,
then apply): its versions may be old by then, which the 409 handling absorbs (read again, recompute).

A run that was stopped (a kill) leaves its records under ``.partial-*`` names. Running it again plans
again against commercetools as it is now: what the stopped run applied is equal by then and sends
nothing, so a re-run is the resume. A create whose answer was lost is looked up by its key before it is
sent again (the publisher's machinery).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.checks import parse_json_string, short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import check_location, is_url, read_json_lines
from airflow_provider_commercetools.commercetools.results.files import ResultFiles
from airflow_provider_commercetools.commercetools.results.records import UnreadableItem
from airflow_provider_commercetools.commercetools.results.redaction import Redactor
from airflow_provider_commercetools.commercetools.results.report import BatchFailedError
from airflow_provider_commercetools.commercetools.writing.sync.apply import Applier
from airflow_provider_commercetools.commercetools.writing.sync.plan import (
    CREATE,
    DELETE,
    INVALID,
    MISSING,
    UNCHANGED,
    UPDATE,
    Planner,
    read_plan,
)
from airflow_provider_commercetools.commercetools.writing.sync.references import DEFAULT_BATCH_SIZE, ReferenceCache
from airflow_provider_commercetools.commercetools.writing.sync.targets import CountingClient, Matcher
from airflow_provider_commercetools.commercetools.writing.sync.types import SyncType

log = logging.getLogger(__name__)

MATCH_BY = ("key", "sku")
ON_ERROR = ("continue", "skip")
PLAN_FILE = "plan.jsonl"
RESULTS_FILE = "results.jsonl"


class SyncFailedError(BatchFailedError):
    """Drafts failed or reference what does not exist; ``summary`` is what XCom would have held."""


def drafts_source(value: Any) -> list[Any] | str:
    """The rendered ``drafts``: a list, or the location of a JSON Lines file (a path, a URL, a subscriber's
    ``{"path": ...}`` result)."""
    value = parse_json_string("drafts", value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, Mapping) and isinstance(value.get("path"), str):
        value = value["path"]
    if isinstance(value, str) and value.strip() not in ("", "None"):
        location = check_location("drafts", value.strip())
        if not is_url(location) and not os.path.isfile(location):
            raise ConfigurationError(
                "drafts", f"{location!r} is not a file.", "Give a JSON Lines file of drafts, or a list of drafts."
            )
        return location
    raise ConfigurationError(
        "drafts",
        f"must be a list of drafts or a JSON Lines file, got {type(value).__name__} {short(value)}.",
        "Give a list, an XComArg, a subscriber's {'path': ...} result, or a path / URL of JSON Lines.",
    )


def match_fields(sync: SyncType, match_by: str) -> tuple[str, ...]:
    """The draft fields a target is matched by: the type's, or a product's variant skus."""
    if match_by == "sku":
        if sync.entity != "products":
            raise ConfigurationError(
                "match_by", f"'sku' matches products only, not {sync.name}.", "Use match_by='key' (the default)."
            )
        return ("sku",)
    return sync.match


def joined(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name


@dataclass
class SyncSettings:
    """The operator's rendered, checked settings."""

    sync: SyncType
    match_by: str = "key"
    dry_run: bool = False
    prune: bool = False
    max_deletes: int = 0
    sync_fields: frozenset[str] | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    max_workers: int = 1
    on_error: str = "continue"
    redact_fields: tuple[str, ...] = field(default_factory=tuple)


class SyncRun:
    """Plans (or takes ``plan``), applies unless ``dry_run``, and sums up.

    :param client: the commercetools client (wrapped to count requests).
    :param drafts: the checked drafts source (None with ``plan``).
    :param output_path: the folder of plan.jsonl, results.jsonl and results.failures.jsonl.
    """

    def __init__(
        self,
        client: Any,
        settings: SyncSettings,
        *,
        drafts: list[Any] | str | None,
        output_path: str,
        plan: str | None = None,
        logger: logging.Logger | Any = None,
    ) -> None:
        self.client = CountingClient(client)
        self.settings = settings
        self.drafts = drafts
        self.output_path = check_location("output_path", output_path)
        self.plan = plan
        self.log = logger or log
        self.context = ReferenceCache(self.client, batch_size=settings.batch_size, max_workers=settings.max_workers)
        self.matcher = Matcher(settings.sync.entity, match_fields(settings.sync, settings.match_by), self.context)
        self.applier: Applier | None = None
        self._stopped = ""

    @property
    def plan_path(self) -> str:
        return self.plan or joined(self.output_path, PLAN_FILE)

    def stop(self, reason: str) -> None:
        self._stopped = reason
        if self.applier is not None:
            self.applier.stop(reason)

    def run(self) -> dict[str, Any]:
        s = self.settings
        secrets: dict[int, dict[str, Any]] = {}
        if self.plan is None:
            planner = Planner(
                self.client,
                s.sync,
                self.matcher,
                self.context,
                sync_fields=s.sync_fields,
                prune=s.prune,
                max_deletes=s.max_deletes,
                batch_size=s.batch_size,
                max_workers=s.max_workers,
                match_by=s.match_by,
                redactor=Redactor((*s.sync.secret_fields, *s.redact_fields)),
                logger=self.log,
            )
            summary = planner.write(self._drafts(), self.plan_path)
            secrets = planner.secrets
            counts = summary.as_dict()
            self.log.info(
                "Planned %s %s in %.1f s: %s create, %s update, %s unchanged, %s delete, %s missing references, "
                "%s invalid; %s reads. Plan: %s",
                counts["drafts"],
                s.sync.name,
                summary.seconds,
                counts[CREATE],
                counts[UPDATE],
                counts[UNCHANGED],
                counts[DELETE],
                counts[MISSING],
                counts[INVALID],
                self.client.reads,
                self.plan_path,
            )
            if s.dry_run:
                return self._planned(counts)
        header, entries = read_plan(self.plan_path)
        self._check_header(header)
        if self._stopped:
            raise SyncFailedError(f"{self._stopped}; nothing was sent", self._planned({}))
        files = ResultFiles(joined(self.output_path, RESULTS_FILE))
        files.open()
        self.applier = Applier(
            self.client,
            s.sync,
            self.matcher,
            self.context,
            sync_fields=s.sync_fields,
            files=files,
            max_workers=s.max_workers,
            secrets=secrets,
            redact_fields=(*s.sync.secret_fields, *s.redact_fields),
            logger=self.log,
        )
        try:
            report = self.applier.apply(entries)
        except BaseException:
            files.abandon()
            raise
        if self._stopped:
            files.abandon()
        else:
            files.complete()
        summary_ = {
            **report.counts(),
            "requests": self.client.counts(),
            "plan_path": self.plan_path,
            "output_path": files.output,
        }
        self.log.info("Synced %s: %s", s.sync.name, summary_)
        if self._stopped:
            raise SyncFailedError(
                f"{self._stopped}. Run the task again: it plans again against commercetools as it is now, so "
                f"what was applied sends nothing. The records so far are in {files.describe_partial()}",
                summary_,
            )
        if (report.failed or report.missing_references) and s.on_error != "skip":
            raise SyncFailedError(self._failure_message(report, files), summary_)
        return summary_

    def _drafts(self) -> Iterable[Any]:
        if isinstance(self.drafts, list):
            return self.drafts
        if isinstance(self.drafts, str):
            return read_json_lines("drafts", self.drafts, on_bad_line=UnreadableItem)
        raise ConfigurationError("drafts", "is missing.", "Give drafts, or plan= to apply an earlier plan.")

    def _planned(self, counts: Mapping[str, Any]) -> dict[str, Any]:
        """A dry run's summary: what the plan would do (nothing was written)."""
        return {
            "created": counts.get(CREATE, 0),
            "updated": counts.get(UPDATE, 0),
            "unchanged": counts.get(UNCHANGED, 0),
            "deleted": counts.get(DELETE, 0),
            "failed": counts.get(INVALID, 0),
            "missing_references": counts.get(MISSING, 0),
            "actions": dict(counts.get("actions", {})),
            "requests": self.client.counts(),
            "plan_path": self.plan_path,
            "output_path": None,
        }

    def _check_header(self, header: Mapping[str, Any]) -> None:
        s = self.settings
        for name, expected in (("resource_type", s.sync.name), ("match_by", s.match_by)):
            if header.get(name) != expected:
                raise ConfigurationError(
                    "plan",
                    f"{self.plan_path!r} was planned for {name}={header.get(name)!r}, not {expected!r}; nothing was "
                    "sent.",
                    f"Apply it with {name}={header.get(name)!r}, or plan again.",
                )

    @staticmethod
    def _failure_message(report: Any, files: ResultFiles) -> str:
        head = (
            f"sync failed: {report.failed} failed, {report.missing_references} with missing references "
            f"({report.created} created, {report.updated} updated, {report.deleted} deleted, {report.unchanged} "
            "unchanged)"
        )
        lines = "\n".join(f"  {example}" for example in report.examples)
        return (
            f"{head}:\n{lines}\nEvery record is in {files.output} (the failed ones in {files.failures}). Fix the "
            "drafts (or create what they reference), then run the sync again: it sends only what still differs."
        )
