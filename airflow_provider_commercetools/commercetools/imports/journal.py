"""Where an import run keeps the ids of the operations it created, so that a retry after a lost worker,
or the worker that resumes after a deferral, reconnects to them instead of sending the items again.

The run's state is small JSON: ``{"v", "container", "type", "fingerprint", "started", "requests",
"ops": [[index, operation id], ...]}`` (``fingerprint``: a hash of the resources in order, so a retry
with other items starts afresh). Three places hold it, the first available wins:

- :class:`TaskStateJournal`: Airflow 3.3+'s ``task_state_store`` (the store of ``ResumableJobMixin``,
  kept across the tries of a task instance), in chunks of :data:`CHUNK` operations (each value stays
  under the store's 64 KiB ``max_value_storage_bytes`` policy);
- :class:`FileJournal`: a file beside ``output_path`` (``<output_path>.state.json``, local or object
  storage), the fallback below Airflow 3.3;
- :class:`XComJournal`: an XCom of the task (kept from ``execute`` to ``execute_complete`` of one try,
  so a deferral works; Airflow clears it for a retry, so it does not survive a lost worker).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from airflow_provider_commercetools.commercetools.files import move, open_text, remove

log = logging.getLogger(__name__)

VERSION = 1
#: Operations per stored value of the task state store (an id and index: about 45 bytes each).
CHUNK = 1000
HEAD_KEY = "ct_import_run"


def fingerprint(resources: Iterable[Any]) -> str:
    """A hash of the resources in order: a retry with other items (or other data) starts afresh."""
    digest = hashlib.sha256()
    for resource in resources:
        digest.update(json.dumps(resource, sort_keys=True, default=str).encode("utf-8", "surrogatepass") + b"\x00")
    return digest.hexdigest()[:32]


class Journal(Protocol):
    """Load and save one run's state (None: nothing saved)."""

    name: str

    def load(self) -> dict[str, Any] | None: ...

    def save(self, state: dict[str, Any]) -> None: ...

    def clear(self) -> None: ...


class TaskStateJournal:
    """Airflow 3.3+'s ``context["task_state_store"]`` (``get``/``set`` of JSON values per task instance)."""

    name = "task_state_store"

    def __init__(self, store: Any) -> None:
        self.store = store
        self._chunks_saved = 0

    def load(self) -> dict[str, Any] | None:
        head = self.store.get(HEAD_KEY)
        if not isinstance(head, dict) or head.get("v") != VERSION:
            return None
        ops: list[Any] = []
        for number in range(int(head.get("chunks") or 0)):
            chunk = self.store.get(f"{HEAD_KEY}_{number}")
            if not isinstance(chunk, list):
                return None  # a chunk lost: start afresh rather than trust half a state
            ops.extend(chunk)
        return {**{k: v for k, v in head.items() if k != "chunks"}, "ops": ops}

    def save(self, state: dict[str, Any]) -> None:
        ops = state.get("ops") or []
        chunks = [ops[start : start + CHUNK] for start in range(0, len(ops), CHUNK)]
        # chunks are only appended to: rewrite the last saved one (it may have grown) and the new ones
        for number in range(max(0, self._chunks_saved - 1), len(chunks)):
            self.store.set(f"{HEAD_KEY}_{number}", chunks[number])
        self._chunks_saved = len(chunks)
        self.store.set(HEAD_KEY, {**{k: v for k, v in state.items() if k != "ops"}, "chunks": len(chunks)})

    def clear(self) -> None:
        self.store.set(HEAD_KEY, {"v": 0})  # read as nothing saved; the chunks are overwritten by the next run
        self._chunks_saved = 0


class FileJournal:
    """A JSON file beside ``output_path`` (``<output_path>.state.json``)."""

    name = "file"

    def __init__(self, output_path: str) -> None:
        self.location = output_path + ".state.json"

    def load(self) -> dict[str, Any] | None:
        try:
            with open_text("output_path", self.location, "r") as handle:
                state = json.load(handle)
        except Exception:  # missing, or cut short by a kill: start afresh
            return None
        return state if isinstance(state, dict) and state.get("v") == VERSION else None

    def save(self, state: dict[str, Any]) -> None:
        partial = self.location + ".partial"
        with open_text("output_path", partial, "w") as handle:
            json.dump(state, handle, separators=(",", ":"))
        move(partial, self.location)  # whole or not at all, even when the worker is killed meanwhile

    def clear(self) -> None:
        try:
            remove(self.location)
        except Exception as error:
            log.warning("Could not remove the import state file %s: %s", self.location, type(error).__name__)


class XComJournal:
    """An XCom of the running task instance (survives a deferral, not a retry)."""

    name = "xcom"

    def __init__(self, ti: Any, task_id: str) -> None:
        self.ti = ti
        self.task_id = task_id

    def load(self) -> dict[str, Any] | None:
        map_index = getattr(self.ti, "map_index", -1)
        kwargs: dict[str, Any] = {"task_ids": self.task_id, "key": HEAD_KEY}
        if map_index is not None and map_index >= 0:
            kwargs["map_indexes"] = map_index
        state = self.ti.xcom_pull(**kwargs)
        return state if isinstance(state, dict) and state.get("v") == VERSION else None

    def save(self, state: dict[str, Any]) -> None:
        self.ti.xcom_push(key=HEAD_KEY, value=state)

    def clear(self) -> None:
        self.ti.xcom_push(key=HEAD_KEY, value={"v": 0})


class NoJournal:
    name = "none"

    def load(self) -> dict[str, Any] | None:
        return None

    def save(self, state: dict[str, Any]) -> None:
        return None

    def clear(self) -> None:
        return None


def journal_for(context: Any, output_path: str | None, task_id: str) -> Journal:
    """The first place available: the task state store (Airflow 3.3+), a file beside ``output_path``, XCom."""
    store = context.get("task_state_store") if hasattr(context, "get") else None
    if store is not None and callable(getattr(store, "get", None)) and callable(getattr(store, "set", None)):
        return TaskStateJournal(store)
    if output_path:
        return FileJournal(output_path)
    ti = context.get("ti") if hasattr(context, "get") else None
    if ti is not None and callable(getattr(ti, "xcom_push", None)):
        return XComJournal(ti, task_id)
    return NoJournal()


def matches(state: dict[str, Any] | None, container: str, resource_type: str, print_: str) -> bool:
    """Whether a saved state is this run's (same container, resource type and items)."""
    return (
        state is not None
        and state.get("container") == container
        and state.get("type") == resource_type
        and state.get("fingerprint") == print_
    )
