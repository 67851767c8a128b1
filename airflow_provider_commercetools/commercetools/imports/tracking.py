"""This run's ImportOperations, tracked by the ids the ImportResponses gave: exact states without reading
the whole container, and never an ``offset`` past 10,000.

The Import API answers every import request with one ``operationId`` per resource; the tracker keeps
them and learns each one's state from three kinds of reads:

- **by id** (``import-operations/{id}``), when at most ``by_id_limit`` operations are still open;
- **the waiting states** (``processing``, ``unresolved``, ``waitForMasterVariant``), state-filtered
  queries read in the order ``processing``, ``unresolved``, ``waitForMasterVariant``, ``processing``
  (an operation that moves back to ``processing`` while the others are read is met by the last
  query). ``processing`` is read in one page: more than 500 processing means keep waiting. The two
  others are paged (offset at most 10,000); a pass counts only if it saw as many distinct operations
  as its ``total``, unchanged on every page (pages over ties in ``createdAt`` are not stable between
  queries: the spec promises no order for equal sort values; a pass that lost one is read again, up
  to :data:`PASSES` times). When every list was read whole, the snapshot is *conclusive*: the
  operations of this run in none of them are final. When one was not, the operations of this run
  seen in none of the passes are read by id (at most ``fallback_limit``; more: keep waiting). While
  nothing is processing and a list's ``total`` has not changed since the last conclusive snapshot,
  its first page stands for it (operations enter it only through ``processing``);
- **the failed states** (``validationFailed``, ``rejected``, ``canceled``, ``partiallyImported``), once
  the wait ends: final states only grow, so the ids seen over several passes (newest first, then
  oldest first) are united until as many distinct operations were seen as the query's ``total``;
  every offset stays at most 10,000 (10,500 operations per state and direction). An operation of this
  run that is final and in no failed list is ``imported``.

What cannot be proven (a failed list longer than 21,000 operations, a snapshot never conclusive before
the timeout) is read by id when at most ``fallback_limit`` operations are concerned, else left
``pending`` with a note saying so: never guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.imports.api import MAX_OFFSET, OPERATIONS_PAGE_SIZE, ImportApi
from airflow_provider_commercetools.commercetools.imports.resources import (
    CANCELED,
    FINAL_STATES,
    IMPORTED,
    PARTIALLY_IMPORTED,
    PROCESSING,
    REJECTED,
    UNRESOLVED,
    VALIDATION_FAILED,
    WAIT_FOR_MASTER_VARIANT,
)

log = logging.getLogger(__name__)

#: The waiting states, in the order a snapshot reads them (processing twice: see the module's text).
SNAPSHOT_ORDER = (PROCESSING, UNRESOLVED, WAIT_FOR_MASTER_VARIANT, PROCESSING)
WAITING_STATES = (PROCESSING, UNRESOLVED, WAIT_FOR_MASTER_VARIANT)
FAILED_LISTS = (VALIDATION_FAILED, REJECTED, CANCELED, PARTIALLY_IMPORTED)
#: Open operations read one by one instead of by state (cheaper than the 4 snapshot queries and exact).
BY_ID_LIMIT = 20
#: Operations read one by one when the lists cannot prove their state.
FALLBACK_LIMIT = 1000
#: Passes over one failed list (newest first) before one pass oldest first.
PASSES = 3


class OperationTracker:
    """The states of this run's operations in one container, learnt exactly (see the module's text).

    :param api: the Import API.
    :param container_key: the container the operations are in.
    """

    def __init__(
        self,
        api: ImportApi,
        container_key: str,
        *,
        by_id_limit: int = BY_ID_LIMIT,
        fallback_limit: int = FALLBACK_LIMIT,
        page_size: int = OPERATIONS_PAGE_SIZE,
        logger: logging.Logger | Any = None,
    ) -> None:
        self.api = api
        self.container_key = container_key
        self.by_id_limit = by_id_limit
        self.fallback_limit = fallback_limit
        self.page_size = page_size
        self.log = logger or log
        #: operation id -> the operation as last seen (at least ``{"id", "state"}``)
        self.operations: dict[str, dict[str, Any]] = {}
        #: ids whose state is final (it never changes again)
        self.final: set[str] = set()
        #: ids whose state could not be proven when the wait ended
        self.unproven: set[str] = set()
        #: every id seen per failed state (any run's: to compare with the query's total)
        self._failed_seen: dict[str, set[str]] = {state: set() for state in FAILED_LISTS}
        #: the totals of the waiting lists at the last conclusive snapshot with nothing processing
        self._last: dict[str, int] = {}
        self.reads = 0

    # -- what the run created ------------------------------------------------------------------

    def add(self, operation_id: str, state: str | None = None, errors: Iterable[Any] = ()) -> None:
        """An operation of this run, with the state its ImportOperationStatus gave."""
        operation: dict[str, Any] = {"id": operation_id, "state": state or PROCESSING}
        errors = list(errors)
        if errors:
            operation["errors"] = errors
        self._see(operation)

    def open_ids(self) -> list[str]:
        return [i for i in self.operations if i not in self.final]

    def counts(self) -> dict[str, int]:
        """This run's operations per state as last seen."""
        counts: dict[str, int] = {}
        for operation in self.operations.values():
            state = str(operation.get("state"))
            counts[state] = counts.get(state, 0) + 1
        return counts

    def _see(self, operation: Mapping[str, Any]) -> None:
        operation_id = operation.get("id")
        if not isinstance(operation_id, str):
            return
        if operation_id in self.final and operation_id in self.operations:
            return  # a final state never changes
        self.operations[operation_id] = dict(operation)
        if operation.get("state") in FINAL_STATES:
            self.final.add(operation_id)
            self.unproven.discard(operation_id)

    # -- reads -----------------------------------------------------------------------------------

    def snapshot(self) -> bool:
        """One look at the open operations; True when it proves each one's state (or that it is final).

        After a conclusive snapshot, an open operation that was seen in no waiting state is final:
        :meth:`settle` tells imported from failed.
        """
        open_ids = self.open_ids()
        if not open_ids:
            return True
        if len(open_ids) <= self.by_id_limit:
            self._read_by_id(open_ids)
            return True
        seen: set[str] = set()
        whole = True
        totals: dict[str, int] = {}
        for step, state in enumerate(SNAPSHOT_ORDER):
            if state == PROCESSING:
                operations, total = self.api.operations_page(self.container_key, state=state, limit=self.page_size)
                self.reads += 1
                seen.update(self._mine(operations))
                if total > len(operations):
                    return False  # still processing: the other lists can wait for the next round
                totals[f"{state}{step}"] = total
            elif self._unchanged(state, seen, totals):
                continue
            elif not self._read_waiting(state, seen, totals):
                whole = False
        absent = [i for i in open_ids if i not in seen]
        if not whole:
            # a list was not read whole (ties moved between pages): what is absent is read by id, or unknown
            if len(absent) > self.fallback_limit:
                self._last = {}
                return False
            self._read_by_id(absent)
            absent = []
        for operation_id in absent:
            self.operations[operation_id]["state"] = _FINAL_UNKNOWN
        no_processing = totals.get(f"{PROCESSING}0") == 0 and totals.get(f"{PROCESSING}3") == 0
        self._last = {s: totals[s] for s in WAITING_STATES[1:] if s in totals} if no_processing else {}
        return True

    def _unchanged(self, state: str, seen: set[str], totals: dict[str, int]) -> bool:
        """Whether the waiting ``state`` holds what the last conclusive snapshot saw: nothing processing
        then and now, and its ``total`` the same (an operation leaves it, never enters without processing
        first). Then this run's operations last seen in it still are: one request instead of the pages."""
        last = self._last.get(state)
        if last is None or totals.get(f"{PROCESSING}0") != 0:
            return False
        operations, total = self.api.operations_page(self.container_key, state=state, limit=self.page_size)
        self.reads += 1
        seen.update(self._mine(operations))
        if total != last:
            return False
        totals[state] = total
        seen.update(i for i in self.open_ids() if self.operations[i].get("state") == state)
        return True

    def _mine(self, operations: list[dict[str, Any]]) -> list[str]:
        """Note the operations of this run among ``operations``; their ids."""
        mine = []
        for operation in operations:
            operation_id = operation.get("id")
            if isinstance(operation_id, str) and operation_id in self.operations:
                self._see(operation)
                mine.append(operation_id)
        return mine

    def _read_waiting(self, state: str, seen: set[str], last_totals: dict[str, int]) -> bool:
        """Every operation in the waiting ``state``, page by page: True when one pass saw as many distinct
        operations as its ``total`` (the same on every page). The ids of this run met go into ``seen``
        (from every pass: one that left the state since only makes the run wait one more round)."""
        for _attempt in range(PASSES):
            ids: set[str] = set()
            totals: set[int] = set()
            offset = 0
            while offset <= MAX_OFFSET:
                operations, total = self.api.operations_page(
                    self.container_key, state=state, offset=offset, limit=self.page_size
                )
                self.reads += 1
                totals.add(total)
                ids.update(str(o.get("id")) for o in operations)
                seen.update(self._mine(operations))
                offset += self.page_size
                if len(operations) < self.page_size or offset >= total:
                    break
            if len(totals) == 1 and len(ids) >= next(iter(totals)):
                last_totals[state] = next(iter(totals))
                return True
            if max(totals, default=0) > MAX_OFFSET + self.page_size:
                return False  # longer than a query can page through: not provable this round
        return False

    def settle(self) -> None:
        """After the wait: the state of every operation that is final but not yet known (imported or failed)."""
        candidates = [i for i, o in self.operations.items() if o.get("state") == _FINAL_UNKNOWN]
        if not candidates:
            return
        if len(candidates) <= self.by_id_limit:
            self._read_by_id(candidates)
            return
        complete = all(self._read_failed(state) for state in FAILED_LISTS)
        left = [i for i in candidates if i not in self.final]
        if complete:
            for operation_id in left:
                self.operations[operation_id]["state"] = IMPORTED
                self.final.add(operation_id)
            return
        if len(left) <= self.fallback_limit:
            self._read_by_id(left)
            return
        self.log.warning(
            "The failed operations of import container %r are more than the Import API lets a query page "
            "through (offset <= %d): %d operations of this run stay pending, their state unproven",
            self.container_key,
            MAX_OFFSET,
            len(left),
        )
        self.unproven.update(left)

    def mark_unproven(self) -> None:
        """The wait ended without a conclusive snapshot: what was not seen stays unproven (not guessed)."""
        for operation_id in self.open_ids():
            if self.operations[operation_id].get("state") == _FINAL_UNKNOWN:
                continue
            self.unproven.add(operation_id)

    def _read_by_id(self, ids: list[str]) -> None:
        for operation_id in ids:
            operation = self.api.operation(operation_id)
            self.reads += 1
            if operation is None:
                self.unproven.add(operation_id)  # deleted (48 h after creation) or never existed
                continue
            self._see({**operation, "id": operation_id})

    def _read_failed(self, state: str) -> bool:
        """Read the operations in the failed ``state`` until every one of them was seen; False if impossible."""
        seen = self._failed_seen[state]
        for order in ("desc",) * PASSES + ("asc",):
            total = self._pass(state, order, seen)
            if len(seen) >= total:
                return True
        return False

    def _pass(self, state: str, order: str, seen: set[str]) -> int:
        offset, total = 0, 0
        while offset <= MAX_OFFSET:
            operations, total = self.api.operations_page(
                self.container_key, state=state, offset=offset, order=order, limit=self.page_size
            )
            self.reads += 1
            for operation in operations:
                operation_id = operation.get("id")
                if isinstance(operation_id, str):
                    seen.add(operation_id)
                    if operation_id in self.operations:
                        self._see(operation)
            offset += self.page_size
            if len(operations) < self.page_size or offset >= total or len(seen) >= total:
                break
        return total


#: The state of an open operation a conclusive snapshot found in no waiting state: final, not yet read.
_FINAL_UNKNOWN = "final (not yet read)"


def waiting_counts(tracker: OperationTracker) -> dict[str, int]:
    """This run's operations per waiting state (and not yet proven final ones under ``unknown``)."""
    counts = dict.fromkeys(WAITING_STATES, 0)
    for operation_id in tracker.open_ids():
        state = tracker.operations[operation_id].get("state")
        if state in counts:
            counts[str(state)] += 1
    return counts
