"""The import journal's places: chunks in a task state store, a file beside output_path (no Airflow)."""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.commercetools.imports.journal import (
    CHUNK,
    HEAD_KEY,
    FileJournal,
    TaskStateJournal,
    fingerprint,
    journal_for,
    matches,
)


class Store:
    """The get/set interface of Airflow 3.3's task_state_store accessor, over a dict (values JSON-copied)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.sets = 0

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        import json

        self.values[key] = json.loads(json.dumps(value))
        self.sets += 1


def state(ops: int) -> dict[str, Any]:
    return {
        "v": 1,
        "container": "c",
        "type": "category",
        "fingerprint": "f",
        "started": 1.0,
        "requests": ops // 20,
        "ops": [[i, f"op-{i}"] for i in range(ops)],
    }


def test_the_task_state_store_holds_the_ids_in_chunks_appended_to():
    store = Store()
    journal = TaskStateJournal(store)
    journal.save(state(2_500))
    assert sorted(store.values) == [HEAD_KEY, f"{HEAD_KEY}_0", f"{HEAD_KEY}_1", f"{HEAD_KEY}_2"]
    assert all(len(store.values[f"{HEAD_KEY}_{n}"]) <= CHUNK for n in range(3))
    sets = store.sets
    journal.save(state(3_100))  # the last chunk rewritten, one new, the head: not every chunk again
    assert store.sets - sets == 3
    assert TaskStateJournal(store).load() == state(3_100)  # a retry's journal reads it whole
    del store.values[f"{HEAD_KEY}_1"]
    assert TaskStateJournal(store).load() is None  # a lost chunk: start afresh, never half a state
    journal.clear()
    assert TaskStateJournal(store).load() is None


def test_the_file_beside_output_path_and_which_place_is_used(tmp_path):
    output = str(tmp_path / "out" / "results.jsonl")
    journal = FileJournal(output)
    assert journal.load() is None
    journal.save(state(40))
    assert journal.load() == state(40) and (tmp_path / "out" / "results.jsonl.state.json").exists()
    journal.clear()
    assert journal.load() is None
    assert journal_for({"task_state_store": Store()}, output, "t").name == "task_state_store"
    assert journal_for({}, output, "t").name == "file"
    assert journal_for({}, None, "t").name == "none"
    assert matches(state(1), "c", "category", "f") and not matches(state(1), "c", "category", "other")
    assert fingerprint([{"a": 1}]) != fingerprint([{"a": 2}])  # other data: a retry starts afresh
