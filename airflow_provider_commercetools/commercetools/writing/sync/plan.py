"""The plan: per draft what the sync sends and why, as JSON Lines, computed in chunks (memory flat as the feed grows).

The plan file starts with a header line ``{"plan": {"resource_type", "match_by", "sync_fields", "prune"}}``,
then one line per draft (in feed order, except the drafts that wait for another), then the deletes, then a
trailer ``{"summary": {...counts}}``. A draft's line::

    {"index": 3, "op": "update", "match": {"key": "shoes"}, "why": "changed fields: name, slug",
     "id": "...", "version": 7, "actions": [...], "draft": {...}}

``op`` is ``create`` (``why``: ``"new"``, with ``draft``, the create body), ``update`` (``actions``, the
target's ``id`` and ``version``, and the ``draft`` to recompute the actions after a 409), ``unchanged``,
``delete`` (``why``: ``"absent from feed"``; written only with ``prune=True``), ``missing_references`` (the
referenced keys that exist neither in commercetools nor among the feed's creates, in ``missing``) or
``invalid`` (``error`` says why: no key, a duplicate, an action builder's refusal). A create or update that
references a key created by another draft of the same feed (a parent category later in the feed) has a
``wave`` above 0 and ``after`` (the keys it waits for): it is written after the others and applied once the
drafts it waits for were (categories come parent-first). Secret fields (a customer's ``password``) are
redacted in the file; the same task's apply takes them from memory.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines_then_move
from airflow_provider_commercetools.commercetools.results.records import UnreadableItem
from airflow_provider_commercetools.commercetools.results.redaction import Redactor
from airflow_provider_commercetools.commercetools.writing.sync.references import (
    DEFAULT_BATCH_SIZE,
    TYPE_IDS,
    ReferenceCache,
    ids_referenced,
    keys_referenced,
)
from airflow_provider_commercetools.commercetools.writing.sync.targets import Identity, Matcher

log = logging.getLogger(__name__)

CREATE = "create"
UPDATE = "update"
UNCHANGED = "unchanged"
DELETE = "delete"
MISSING = "missing_references"
INVALID = "invalid"
OPS = (CREATE, UPDATE, UNCHANGED, DELETE, MISSING, INVALID)
#: drafts planned together: their targets and references are read in batches, in parallel
DEFAULT_CHUNK = 500


@dataclass
class PlanSummary:
    """What a plan holds, by op, with the actions it would send by name."""

    counts: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    drafts: int = 0
    seconds: float = 0.0
    #: target resources without a key (or match fields), never deleted by prune
    kept_without_key: int = 0

    def add(self, line: Mapping[str, Any]) -> None:
        self.counts[str(line["op"])] += 1
        for action in line.get("actions") or ():
            self.actions[str(action.get("action"))] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "drafts": self.drafts,
            **{op: self.counts.get(op, 0) for op in OPS},
            "actions": dict(sorted(self.actions.items())),
            "kept_without_key": self.kept_without_key,
        }


def chunks(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Planner:
    """Computes the plan of a feed against commercetools, chunk by chunk, and writes it.

    :param client: the counting client (reads only: planning never writes).
    :param sync_type: the :class:`~.types.SyncType` of the resources.
    :param matcher: identities and batched reads of the targets.
    :param context: the reference cache (the builders' ``BuildContext``).
    :param sync_fields: the field groups to sync (None: all).
    :param prune: plan deletes of the targets absent from the feed (see :mod:`.prune`).
    :param max_deletes: refuse the plan when more deletes than this would go.
    """

    def __init__(
        self,
        client: Any,
        sync_type: Any,
        matcher: Matcher,
        context: ReferenceCache,
        *,
        sync_fields: frozenset[str] | None = None,
        prune: bool = False,
        max_deletes: int = 0,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_workers: int = 1,
        chunk_size: int = DEFAULT_CHUNK,
        match_by: str = "key",
        redactor: Redactor | None = None,
        logger: logging.Logger | Any = None,
    ) -> None:
        self.client = client
        self.sync_type = sync_type
        self.matcher = matcher
        self.context = context
        self.sync_fields = sync_fields
        self.prune = prune
        self.max_deletes = max_deletes
        self.batch_size = batch_size
        self.max_workers = max_workers
        self.chunk_size = chunk_size
        self.match_by = match_by
        self.redactor = redactor or Redactor()
        self.log = logger or log
        self.type_id = TYPE_IDS.get(sync_type.entity, "")
        self.summary = PlanSummary()
        #: the feed's identities (a duplicate is invalid; prune deletes what is not among them)
        self.seen: set[Identity] = set()
        #: the keys the plan creates (of the synced type), for drafts that reference them
        self.created: set[str] = set()
        #: creates and updates that wait for a key another draft creates (few: held until the end)
        self.waiting: list[dict[str, Any]] = []
        #: drafts with secret fields, by index: {"draft": ..., "source": ...} (redacted in the file, kept for
        #: this task's apply)
        self.secrets: dict[int, dict[str, Any]] = {}

    def header(self) -> dict[str, Any]:
        return {
            "plan": {
                "resource_type": self.sync_type.name,
                "match_by": self.match_by,
                "sync_fields": sorted(self.sync_fields) if self.sync_fields is not None else None,
                "prune": self.prune,
            }
        }

    def write(self, drafts: Iterable[Any], location: str) -> PlanSummary:
        """Plan every draft (read in chunks) and the deletes; write the plan to ``location`` (moved into place whole).

        :raises ConfigurationError: prune would delete more than ``max_deletes`` (nothing is written then).
        """
        started = time.monotonic()
        with write_json_lines_then_move("output_path", location) as writer:
            writer.write(self.header())
            index = 0
            for chunk in chunks(drafts, self.chunk_size):
                for line in self.plan_chunk(list(enumerate(chunk, start=index))):
                    self._emit(writer, line)
                index += len(chunk)
                self.summary.drafts = index
            for line in self.resolve_waiting():
                self._emit(writer, line)
            refused = None
            if self.prune:
                from airflow_provider_commercetools.commercetools.writing.sync.prune import plan_deletes

                deletes, refused = plan_deletes(self, start=index)
                for line in deletes:
                    self._emit(writer, line)
            self.summary.seconds = time.monotonic() - started
            writer.write({"summary": {**self.summary.as_dict(), **({"refused": str(refused)} if refused else {})}})
        if refused is not None:
            raise refused
        return self.summary

    def _emit(self, writer: Any, line: dict[str, Any]) -> None:
        self.summary.add(line)
        found: set[str] = set()
        redacted: dict[str, Any] = {
            name: self.redactor.redact(line[name], found) for name in ("draft", "source") if name in line
        }
        if found:  # the file gets the redacted drafts; this task's apply the originals of its creates
            if line["op"] == CREATE:  # (only a create sends a secret: the memory held is the creates')
                self.secrets[int(line["index"])] = {name: line[name] for name in redacted}
            line = {**line, **redacted}
        writer.write(line)

    # -- one chunk -------------------------------------------------------------------------------

    def plan_chunk(self, drafts: list[tuple[int, Any]]) -> Iterator[dict[str, Any]]:
        """The plan lines of a chunk of (index, draft); waiting ones are held back (see :meth:`resolve_waiting`)."""
        valid: list[tuple[int, dict[str, Any], Identity]] = []
        for index, draft in drafts:
            if isinstance(draft, UnreadableItem):
                yield self._invalid(index, {}, f"cannot be read: {draft.problem}")
                continue
            if not isinstance(draft, Mapping):
                yield self._invalid(index, {}, f"is not a JSON object but {type(draft).__name__}")
                continue
            try:
                identities = self.matcher.draft_identities(draft)
            except ValueError as error:
                yield self._invalid(index, {}, str(error))
                continue
            duplicate = next((i for i in identities if i in self.seen), None)
            if duplicate is not None:
                yield self._invalid(
                    index, self.matcher.describe(duplicate), "matches the same target as an earlier draft of the feed"
                )
                continue
            self.seen.update(identities)
            valid.append((index, dict(draft), identities[0]))
        if not valid:
            return
        identities = [i for _, draft, first in valid for i in self._all(draft, first)]
        targets = self.matcher.fetch(self.client, identities, batch_size=self.batch_size, max_workers=self.max_workers)
        for resource in targets.values():
            if self.type_id:
                self.context.note(self.type_id, resource)
        referenced = set().union(*(keys_referenced(draft) for _, draft, _ in valid))
        # products' categoryOrderHints are keyed by category (by key in a feed): prefetched, not required
        hinted = {
            ("category", str(key))
            for _, draft, _ in valid
            if isinstance(draft.get("categoryOrderHints"), Mapping)
            for key in draft["categoryOrderHints"]
        }
        self.context.load_keys(referenced | hinted)
        self.context.load_ids(set().union(*(ids_referenced(t) for t in targets.values())))
        for index, draft, identity in valid:
            target = next((targets[i] for i in self._all(draft, identity) if i in targets), None)
            line = self.plan_one(index, draft, identity, target)
            if line.get("after"):
                self.waiting.append(line)
            else:
                if line["op"] == CREATE and isinstance(draft.get("key"), str):
                    self.created.add(draft["key"])
                yield line

    def _all(self, draft: dict[str, Any], first: Identity) -> list[Identity]:
        return self.matcher.draft_identities(draft) if self.matcher.by_sku else [first]

    def plan_one(
        self, index: int, draft: dict[str, Any], identity: Identity, target: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The line of one draft against its target (None: absent)."""
        match = self.matcher.describe(identity)
        missing = [
            {"typeId": type_id, "key": key}
            for type_id, key in sorted(keys_referenced(draft))
            if not self.context.exists(type_id, key)
        ]
        line: dict[str, Any] = {"index": index, "match": match}
        if target is None:
            try:
                body = self.sync_type.create_body(draft, self.context)
            except (ValueError, TypeError, KeyError, ConfigurationError) as error:
                return self._invalid(index, match, f"cannot be created: {error}")
            line.update(op=CREATE, why="new", draft=body)
            if body != draft:  # the draft itself, to compare with if someone creates the target meanwhile
                line["source"] = draft
        else:
            try:
                actions = self.sync_type.build_actions(draft, target, self.context, self.sync_fields)
            except (ValueError, TypeError, KeyError, ConfigurationError) as error:
                return self._invalid(index, match, f"cannot be updated: {error}")
            if not actions:
                line.update(op=UNCHANGED, why="equal", id=target.get("id"))
                return line
            line.update(
                op=UPDATE,
                why="changed fields: " + ", ".join(self.changed(draft, target, actions)),
                id=target.get("id"),
                version=target.get("version"),
                actions=actions,
                draft=draft,
            )
        if missing:
            own = [m for m in missing if m["typeId"] == self.type_id]
            if len(own) < len(missing):  # a reference no draft of this feed can create
                others = [m for m in missing if m["typeId"] != self.type_id]
                return {**self._bare(line), "op": MISSING, "missing": others, "why": _missing_why(others)}
            line["after"] = [m["key"] for m in own]
        return line

    def changed(self, draft: dict[str, Any], target: dict[str, Any], actions: list[dict[str, Any]]) -> list[str]:
        """The changed fields (the comparison's paths), or the actions' names."""
        try:
            from airflow_provider_commercetools.commercetools.writing.compare import differences

            found = differences(draft, target, self.context)
        except Exception:  # the reason is informative only: the actions are what is sent
            found = []
        return list(found) or sorted({str(a.get("action")) for a in actions})

    def _invalid(self, index: int, match: dict[str, str], problem: str) -> dict[str, Any]:
        return {"index": index, "op": INVALID, "match": match, "error": f"drafts[{index}] {problem}"}

    @staticmethod
    def _bare(line: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in line.items() if k in ("index", "match", "id")}

    # -- drafts that wait for others -----------------------------------------------------------

    def resolve_waiting(self) -> list[dict[str, Any]]:
        """The waiting lines in dependency order with their wave; those waiting for a key that nothing creates
        (or for each other, a cycle) become ``missing_references``."""
        waves: dict[str, int] = dict.fromkeys(self.created, 0)
        pending = list(self.waiting)
        self.waiting = []
        ordered: list[dict[str, Any]] = []
        progress = True
        while pending and progress:
            progress = False
            still: list[dict[str, Any]] = []
            for line in pending:
                after = line["after"]
                if all(key in waves for key in after):
                    line["wave"] = 1 + max(waves[key] for key in after)
                    key = (line.get("draft") or {}).get("key") if line["op"] == CREATE else None
                    if isinstance(key, str):
                        waves[key] = line["wave"]
                    ordered.append(line)
                    progress = True
                else:
                    still.append(line)
            pending = still
        for line in pending:
            missing = [{"typeId": self.type_id, "key": key} for key in line["after"] if key not in waves]
            ordered.append({**self._bare(line), "op": MISSING, "missing": missing, "why": _missing_why(missing)})
        return sorted(ordered, key=lambda line: (line.get("wave", 1 << 30), line["index"]))


def _missing_why(missing: list[dict[str, str]]) -> str:
    return "references that exist neither in commercetools nor in the feed: " + ", ".join(
        f"{m['typeId']} {m['key']!r}" for m in missing
    )


# -- reading a plan --------------------------------------------------------------------------------


def read_plan(location: str, parameter: str = "plan") -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The header of a plan file and an iterator over its lines (drafts and deletes; the trailer is left out)."""
    lines = read_json_lines(parameter, location)
    first = next(lines, None)
    if not isinstance(first, Mapping) or not isinstance(first.get("plan"), Mapping):
        raise ConfigurationError(
            parameter,
            f"{location!r} is not a sync plan (its first line is no {{'plan': ...}} header).",
            "Give the plan.jsonl written by a CommercetoolsSyncOperator (dry_run=True writes one).",
        )

    def entries() -> Iterator[dict[str, Any]]:
        for line in lines:
            if isinstance(line, Mapping) and line.get("op") in OPS:
                yield dict(line)

    return dict(first["plan"]), entries()
