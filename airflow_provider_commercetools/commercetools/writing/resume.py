"""What earlier, interrupted attempts of the same task did, from the journal and records they left.

An attempt with an output location announces the items it is about to send in its journal (``journal``:
small objects under ``<output_path>.journal/``, each written before the items it announces are sent, with
the records completed since the one before) and writes a result record per item (the ``.partial-<attempt>``
results files, read back for local paths). When an attempt is killed (Airflow's timeout or mark-failed, or
its whole worker lost), these stay behind; the next attempt (Airflow's retry on any worker, same items, same
output location) reads them, per item index:

- a record ``succeeded`` (or ``skipped``) in any attempt: the item is not sent again; its record is carried over;
- announced by an attempt that left no definite answer for it (no record, or an outcome unknown): it may
  have been applied. A create with a unique value (key...) is looked up first, and a ``DuplicateField``
  answer for it counts as already applied; an update or delete is sent again (its version guards it); a
  create without a key is reported ``outcome_unknown`` and not sent again unless ``resend_unknown`` (it
  could exist twice);
- anything else (failed for certain, not sent, never announced): sent as usual.

Items are matched by index, and a record is carried over only when the journal ties it to the very
item by its fingerprint: a fingerprint that differs, or a record of an applied item with no journal
line, refuses the run before any request, saying how to resume or start over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError, OutcomeUnknownError
from airflow_provider_commercetools.commercetools.files import PARTIAL, read_json_lines
from airflow_provider_commercetools.commercetools.results.files import ResultFiles
from airflow_provider_commercetools.commercetools.results.records import (
    FAILED,
    NOT_SENT,
    OUTCOME_UNKNOWN,
    SKIPPED,
    STATUSES,
    SUCCEEDED,
    ItemResult,
    UnreadableItem,
)
from airflow_provider_commercetools.commercetools.writing.building import CREATE, WRITE, PreparedRequest
from airflow_provider_commercetools.commercetools.writing.journal import Journal

DONE = frozenset({SUCCEEDED, SKIPPED})
#: the error type of a record whose outcome is unknown
UNKNOWN = OutcomeUnknownError.__name__


def fingerprint(item: Any) -> str:
    """A short digest of an item, to check that a re-run sends the same items."""
    if isinstance(item, UnreadableItem):
        item = item.text
    text = json.dumps(item, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def earlier_attempts(files: ResultFiles, journal: Journal) -> EarlierAttempts | None:
    """The merged journal and records of earlier attempts (the journal's objects on any storage, the results
    files beside ``files`` for local paths), or None when there are none."""
    earlier = EarlierAttempts()
    for source in files.earlier_results():  # <output>.partial-<attempt>
        earlier.sources.append(source)
        attempt = source.rsplit(PARTIAL, 1)[-1].split(".", 1)[0]
        for line in read_json_lines("output_path", source, on_bad_line=lambda text, problem: None):
            earlier.add(line, attempt)  # a line cut short by the kill is skipped
    objects = list(journal.earlier())
    if objects:
        earlier.sources.append(journal.describe())
    for attempt, location in objects:
        for line in journal.read(location):
            earlier.add(line, attempt)
    return earlier if earlier else None


@dataclass
class _Earlier:
    sent: str | None = None  # fingerprint of the item as announced
    status: str | None = None
    response: dict[str, Any] | None = None
    recovered: bool = False
    unknown: bool = False
    #: the attempts that announced it, and those that recorded that they did not apply it (not sent, failed)
    sent_in: set[str] = field(default_factory=set)
    settled_in: set[str] = field(default_factory=set)

    @property
    def maybe_applied(self) -> bool:
        """An attempt announced it and left no definite answer, or one recorded its outcome as unknown."""
        return bool(self.sent_in - self.settled_in) or self.unknown


class EarlierAttempts:
    """The merged records of every interrupted attempt found beside the output location."""

    def __init__(self, sources: Iterable[str] = ()) -> None:
        self.sources = list(sources)
        self._items: dict[int, _Earlier] = {}

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, line: Any, attempt: str = "") -> None:
        """One line of ``attempt``'s journal (``{"index", "sent"}``, or a record) or results file (a record)."""
        if not isinstance(line, Mapping) or not isinstance(line.get("index"), int):
            return
        earlier = self._items.setdefault(line["index"], _Earlier())
        if isinstance(line.get("sent"), str):
            earlier.sent = line["sent"]
            earlier.sent_in.add(attempt)
            return
        status = line.get("status")
        if status not in STATUSES:
            return
        unknown = status == OUTCOME_UNKNOWN or (line.get("error") or {}).get("type") == UNKNOWN
        if status == NOT_SENT or (status == FAILED and not unknown):
            earlier.settled_in.add(attempt)  # this attempt did not apply it
        if earlier.status in DONE:
            return  # a success in any attempt wins
        earlier.status = status
        earlier.unknown = earlier.unknown or unknown
        if status in DONE:
            earlier.response = line.get("response") if isinstance(line.get("response"), dict) else None
            earlier.recovered = bool(line.get("recovered"))

    def check(self, index: int, item: Any) -> None:
        """Refuse when the item at ``index`` is not provably the one an earlier attempt sent.

        A record is carried over (not sent again) only when the journal ties it to this very item by its
        fingerprint. A record that counts as applied (or as maybe applied) with no journal line (the
        ``.sent`` file deleted, or not copied along) proves nothing about which item it was for: carrying it
        over could report an item ``succeeded`` that was never sent, and sending again could apply one twice,
        so the run is refused and the user decides. (``skipped`` needs no proof: it is derived from the item,
        a result record, again.)
        """
        earlier = self._items.get(index)
        if earlier is None:
            return
        if earlier.sent is not None and earlier.sent != fingerprint(item):
            raise ConfigurationError(
                "items",
                f"items[{index}] is not the item that an interrupted earlier attempt sent (its records are in "
                f"{', '.join(self.sources)}); nothing was sent.",
                "To resume that attempt, run with the same items and output_path; to start over, delete those "
                "files or choose another output_path.",
            )
        if earlier.sent is None and (earlier.status == SUCCEEDED or earlier.unknown):
            raise ConfigurationError(
                "items",
                f"an interrupted earlier attempt recorded items[{index}] as {earlier.status}"
                f"{' (outcome unknown)' if earlier.unknown else ''}, but no journal line (in <output_path>.journal/) "
                f"ties that record to an item, so it cannot be told whether it is for these items (the records are in "
                f"{', '.join(self.sources)}); nothing was sent.",
                "To resume that attempt, put its journal back beside them and run with the same items; to start "
                "over, delete those files or choose another output_path.",
            )

    def check_all(self, items: Iterable[Any]) -> None:
        for index, item in enumerate(items):
            self.check(index, item)

    def apply(self, request: PreparedRequest, *, resend_unknown: bool) -> PreparedRequest | ItemResult:
        """The request as this attempt sends it, or the result it already has."""
        earlier = self._items.get(request.index)
        if earlier is None:
            return request
        if earlier.status in DONE:
            return ItemResult(
                request.index,
                str(earlier.status),
                request.describe,
                response=earlier.response,
                recovered=earlier.recovered,
                note="applied by an earlier attempt of this task; not sent again",
            )
        if not earlier.maybe_applied:
            return request
        if request.operation in (CREATE, WRITE) and request.lookup_path is None and not resend_unknown:
            return ItemResult(
                request.index,
                OUTCOME_UNKNOWN,
                request.describe,
                error={
                    "type": UNKNOWN,
                    "status": None,
                    "codes": [],
                    "message": f"outcome unknown: an earlier attempt of this task sent {request.describe} and "
                    "stopped before its answer; it may or may not have been applied",
                },
                item=request.item,
                note=(
                    "not sent again: nothing identifies it to look it up (no key); check commercetools, then "
                    "give it a key or set resend_unknown=True"
                ),
            )
        return replace(request, sent_before=True)
