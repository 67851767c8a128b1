"""Applying a plan through the publisher's sending machinery: workers, retries, lost-create look-ups, records.

The plan's lines are streamed: ``unchanged``, ``invalid`` and ``missing_references`` lines only become
records; the creates and updates of wave 0 go to a :class:`~..publisher.Publisher` (``POST``), then the
drafts that wait for others, wave by wave (a draft whose awaited create failed is reported
``missing_references``), then the deletes (``DELETE``, with the version). Every write's record goes to the
results file (``index`` is the plan line's, ``key`` the matched key); secrets are redacted as the publisher
does.

**Conflicts are recomputed, never blindly re-sent.** A 409 ConcurrentModification (someone changed the
target since it was read), or a create answered ``DuplicateField`` on its match (key, sku...: someone
created it meanwhile), is held back: the target is read again and the actions are computed again from the
draft against it. Equal now: ``unchanged``; otherwise the new actions are sent with the new version, at
most :data:`MAX_ROUNDS` times. A clash on another unique value (a slug, an email) fails the draft at once.
A delete that conflicts is sent again with the current version (it is still absent from the feed); one
whose target is gone already counts as deleted.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError, NotFoundError
from airflow_provider_commercetools.commercetools.results.files import ResultFiles
from airflow_provider_commercetools.commercetools.results.records import FAILED, SKIPPED, SUCCEEDED, ItemResult
from airflow_provider_commercetools.commercetools.results.redaction import Redactor
from airflow_provider_commercetools.commercetools.writing.building import PreparedRequest, PublishDefaults
from airflow_provider_commercetools.commercetools.writing.publisher import Publisher
from airflow_provider_commercetools.commercetools.writing.sync.plan import (
    CREATE,
    DELETE,
    INVALID,
    MISSING,
    UNCHANGED,
    UPDATE,
)
from airflow_provider_commercetools.commercetools.writing.sync.references import TYPE_IDS, ReferenceCache
from airflow_provider_commercetools.commercetools.writing.sync.targets import Matcher
from airflow_provider_commercetools.commercetools.writing.sync.types import CREATE_OR_UPDATE

log = logging.getLogger(__name__)

#: times a conflicting write is recomputed against the re-read target and sent again
MAX_ROUNDS = 3
CONFLICT = "ConcurrentModificationError"


@dataclasses.dataclass
class SyncReport:
    """What the apply did, by outcome, and the update actions it sent by name."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    missing_references: int = 0
    actions: Counter[str] = dataclasses.field(default_factory=Counter)
    #: writes recomputed after a 409 or a duplicate create
    recomputed: int = 0
    #: a few failures, for the error that fails the task
    examples: list[str] = dataclasses.field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "missing_references": self.missing_references,
            "actions": dict(sorted(self.actions.items())),
        }

    def note_failure(self, text: str) -> None:
        if len(self.examples) < 20:
            self.examples.append(text)


def _label(match: Mapping[str, Any]) -> str:
    return "/".join(str(v) for v in match.values())


class Applier:
    """Applies plan lines (see :mod:`.plan`) and records every outcome.

    :param client: the counting client.
    :param secrets: the planner's drafts with secret fields by plan index (``{"draft", "source"}``: redacted in
        the plan file, sent from here).
    :param files: the results and failures files (None: no records kept).
    """

    def __init__(
        self,
        client: Any,
        sync_type: Any,
        matcher: Matcher,
        context: ReferenceCache,
        *,
        sync_fields: frozenset[str] | None = None,
        files: ResultFiles | None = None,
        max_workers: int = 1,
        secrets: Mapping[int, dict[str, Any]] | None = None,
        redact_fields: Iterable[str] = (),
        logger: logging.Logger | Any = None,
    ) -> None:
        self.client = client
        self.sync_type = sync_type
        self.matcher = matcher
        self.context = context
        self.sync_fields = sync_fields
        self.files = files
        self.max_workers = max_workers
        self.secrets = dict(secrets or {})
        self.redact_fields = tuple(redact_fields)
        self.redactor = Redactor(self.redact_fields)
        self.log = logger or log
        self.report = SyncReport()
        self.type_id = TYPE_IDS.get(sync_type.entity, "")
        self.upsert = sync_type.entity == "custom-objects"
        #: keys of the synced type created by this run (drafts waiting for them go next)
        self.created_keys: set[str] = set()
        #: the lines handed to the publisher and not yet counted, by index
        self._sent: dict[int, dict[str, Any]] = {}
        self._publisher: Publisher | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def stop(self, reason: str) -> None:
        """Send nothing more (on_kill)."""
        self._stopped = True
        if self._publisher is not None:
            self._publisher.stop(reason)

    # -- the whole plan --------------------------------------------------------------------------

    def apply(self, entries: Iterable[dict[str, Any]]) -> SyncReport:
        later: dict[int, list[dict[str, Any]]] = {}
        deletes: list[dict[str, Any]] = []

        def first_wave() -> Iterator[dict[str, Any]]:
            for line in entries:
                op = line.get("op")
                if op in (CREATE, UPDATE) and line.get("wave"):
                    later.setdefault(int(line["wave"]), []).append(line)
                elif op in (CREATE, UPDATE):
                    yield line
                elif op == DELETE:
                    deletes.append(line)
                else:
                    self._settle(line)

        self._send_rounds("POST", first_wave())
        for wave in sorted(later):
            self._send_rounds("POST", self._ready(later[wave]))
        for depth in sorted({int(line.get("depth", 0)) for line in deletes}, reverse=True):
            self._send_rounds("DELETE", (line for line in deletes if int(line.get("depth", 0)) == depth))
        return self.report

    def _ready(self, lines: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The waiting lines whose awaited creates were applied; the others are missing references."""
        for line in lines:
            absent = [key for key in line.get("after", ()) if key not in self.created_keys]
            if absent:
                missing = [{"typeId": self.type_id, "key": key} for key in absent]
                why = "its references were not created (their drafts failed): " + ", ".join(map(repr, absent))
                self._settle({**line, "op": MISSING, "missing": missing, "why": why})
            else:
                yield line

    def _settle(self, line: dict[str, Any]) -> None:
        """Record a line that sends nothing: unchanged, invalid, missing references."""
        index, op = int(line.get("index", -1)), line.get("op")
        key = _label(line.get("match") or {}) or None
        if op == UNCHANGED:
            self.report.unchanged += 1
            self._write(ItemResult(index, SKIPPED, "", key=key, note=f"unchanged: {line.get('why', 'equal')}"))
            return
        if op == MISSING:
            self.report.missing_references += 1
            error = {"type": "MissingReferences", "message": line.get("why", ""), "missing": line.get("missing", [])}
        else:
            self.report.failed += 1
            error = {"type": "InvalidDraft", "message": str(line.get("error", "invalid"))}
        self.report.note_failure(f"{key or f'line {index}'}: {error['message']}")
        self._write(ItemResult(index, FAILED, "", key=key, error=error, item=line.get("draft")))

    def _write(self, result: ItemResult) -> None:
        if self.files is not None:
            self.files.write(self.redactor.result(result))

    # -- sending ---------------------------------------------------------------------------------

    def _send_rounds(self, method: str, lines: Iterator[dict[str, Any]]) -> None:
        """Send the lines; recompute and send again what conflicted, at most :data:`MAX_ROUNDS` times."""
        rounds = 0
        while True:
            rounds += 1
            conflicts = self._send(method, lines, hold_conflicts=rounds <= MAX_ROUNDS)
            if not conflicts or self._stopped:
                return
            self.report.recomputed += len(conflicts)
            lines = iter([line for line in map(self._recompute, conflicts) if line is not None])

    def _send(self, method: str, lines: Iterator[dict[str, Any]], *, hold_conflicts: bool) -> list[dict[str, Any]]:
        publisher = Publisher(
            self.client,
            PublishDefaults.create(method=method, entity=self.sync_type.entity),
            max_workers=self.max_workers,
            stop_on_failure=False,
            on_result=self._on_result(hold_conflicts),
            redact_fields=self.redact_fields,
            logger=self.log,
        )
        self._publisher = publisher
        if self._stopped:
            publisher.stop("the task was stopped")
        sent = self._sent
        conflicts: list[dict[str, Any]] = []

        def prepared() -> Iterator[PreparedRequest | ItemResult]:
            for line in lines:
                index = int(line["index"])
                try:
                    item = self._item(line)
                except ConfigurationError as error:
                    self._settle({**line, "op": INVALID, "error": str(error)})
                    continue
                with self._lock:
                    sent[index] = line
                yield publisher.prepare(index, item)

        for result in publisher.publish(prepared()):
            with self._lock:
                line = sent.pop(result.index)
            if hold_conflicts and self._conflict(result, line):
                conflicts.append(line)
            else:
                self._count(result, line)
        return conflicts

    def _item(self, line: dict[str, Any]) -> dict[str, Any]:
        """The publisher item of a plan line."""
        index, op = int(line["index"]), line["op"]
        if op == DELETE:
            return {"path": {"id": line["id"]}, "query": {"version": line["version"]}}
        draft = self._original(line, "draft")
        if op == CREATE or self.upsert:  # the draft is sent (an update sends only its actions)
            self.redactor.check_item(f"plan line {index} (draft)", draft)
        if op == CREATE:
            return {"payload": draft}
        if self.upsert:  # custom objects: the whole value (the createOrUpdate action's body), guarded by the version
            body = next(
                (a.get("draft") for a in line.get("actions") or () if a.get("action") == CREATE_OR_UPDATE), None
            )
            body = body if isinstance(body, dict) else self.sync_type.draft_for_create(draft)
            return {"payload": {**body, "version": line["version"]}}
        return {"path": {"id": line["id"]}, "payload": {"version": line["version"], "actions": line["actions"]}}

    def _original(self, line: dict[str, Any], name: str) -> Any:
        """A draft of the line as given (with its secrets when this task planned it)."""
        return self.secrets.get(int(line["index"]), {}).get(name, line.get(name))

    def _on_result(self, hold_conflicts: bool) -> Callable[[ItemResult], None]:
        def record(result: ItemResult) -> None:
            with self._lock:
                line = self._sent.get(result.index) or {}
            if hold_conflicts and self._conflict(result, line):
                return  # recomputed and sent again: its record comes then
            self._write(dataclasses.replace(result, key=_label(line.get("match") or {}) or None))

        return record

    @staticmethod
    def _conflict(result: ItemResult, line: dict[str, Any]) -> bool:
        """A 409, or a create answered ``DuplicateField`` on what the draft is matched by (someone created it
        meanwhile): re-read and recomputed. A clash on another unique value (a slug, an email, a variant's
        sku) is the draft's own failure: recomputing would only send the same create again."""
        error = result.error or {}
        if result.status != FAILED:
            return False
        if error.get("type") == CONFLICT:
            return True
        if error.get("status") != 400 or "DuplicateField" not in error.get("codes", ()):
            return False
        fields = error.get("duplicate_fields") or ()
        match = line.get("match") or {}
        return not fields or any(str(field).split(".")[0] in match for field in fields)

    def _count(self, result: ItemResult, line: dict[str, Any]) -> None:
        op = line["op"]
        if result.status == SUCCEEDED:
            if op == CREATE:
                self.report.created += 1
                key = (line.get("draft") or {}).get("key")
                if isinstance(key, str):
                    self.created_keys.add(key)
                if self.type_id and isinstance(result.response, dict):
                    self.context.note(self.type_id, result.response)
            elif op == UPDATE:
                self.report.updated += 1
                self.report.actions.update(str(a.get("action")) for a in line.get("actions") or ())
            else:
                self.report.deleted += 1
            return
        if op == DELETE and (result.error or {}).get("type") == NotFoundError.__name__:
            self.report.deleted += 1  # gone already: what prune wanted
            return
        self.report.failed += 1
        message = (result.error or {}).get("message") or result.note or result.status
        self.report.note_failure(f"{_label(line.get('match') or {})}: {message}")

    # -- conflicts -------------------------------------------------------------------------------

    def _recompute(self, line: dict[str, Any]) -> dict[str, Any] | None:
        """The line again against the target as it is now (None: settled here, e.g. equal now)."""
        try:
            if line["op"] == DELETE:
                current = self.client.request("GET", f"{self.matcher.entity}/{line['id']}")
                return {**line, "version": current.get("version")}
            draft = self._original(line, "draft") or {}
            if line["op"] == CREATE:
                original = self._original(line, "source") or draft
                identities = self.matcher.draft_identities(original)
                found = self.matcher.fetch(self.client, identities)
                current = next((found[i] for i in identities if i in found), None)
                if current is None:
                    return line  # gone again: create it
                source = original
            else:
                current = self.client.request("GET", f"{self.matcher.entity}/{line['id']}")
                source = draft
        except NotFoundError:
            if line["op"] == DELETE:
                self.report.deleted += 1
                return None
            self._settle({**line, "op": INVALID, "error": "its target was deleted while the sync ran"})
            return None
        except Exception as error:  # every line ends with a record
            self._settle({**line, "op": INVALID, "error": f"re-reading its target after a conflict failed: {error}"})
            return None
        try:
            actions = self.sync_type.build_actions(source, current, self.context, self.sync_fields)
        except (ValueError, TypeError, KeyError, ConfigurationError) as error:
            self._settle({**line, "op": INVALID, "error": f"cannot be updated: {error}"})
            return None
        self.log.warning(
            "%s %s: changed by someone else while the sync ran (409 or a duplicate create): read again, %s",
            self.sync_type.name,
            _label(line.get("match") or {}),
            f"{len(actions)} action(s) recomputed" if actions else "equal now",
        )
        if not actions:
            self._settle({**line, "op": UNCHANGED, "why": "equal after a concurrent change"})
            return None
        return {
            **line,
            "op": UPDATE,
            "id": current.get("id"),
            "version": current.get("version"),
            "actions": actions,
            "draft": source,
        }
