"""CommercetoolsMessagesSensor in real DAG runs (dag.test()) against the fake, poking and deferrable.

The fake produces Messages as the spec describes (commercetools/commercetools-api-reference,
``api-specs/api/types/message/Message.raml``, ``OrderCreatedMessage.raml``...).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.sensors.messages import CommercetoolsMessagesSensor, cursor_variable_name
from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.airflow_runner import xcom_result
from tests.messages_support import create, random_changes, update

TASK = "wait_for_messages"


pytestmark = pytest.mark.ct_scopes("manage_project:test-project", "view_messages:test-project")


@pytest.fixture
def messages(ct: FakeCommercetools) -> FakeMessages:
    return FakeMessages(ct)


def stored_cursor(dag_id: str) -> Any:
    from airflow.models import Variable

    raw = Variable.get(cursor_variable_name(dag_id, TASK), None)
    return None if raw is None else json.loads(raw)


@pytest.fixture
def fresh_cursor(airflow_db: None) -> Callable[[str], None]:
    def reset(dag_id: str) -> None:
        from airflow.models import Variable

        Variable.delete(cursor_variable_name(dag_id, TASK))

    return reset


def message_polls(ct: FakeCommercetools) -> int:
    return ct.count_requests("GET", f"/{ct.project_key}/messages")


def later(ct: FakeCommercetools, after_polls: int, write: Callable[[], None]) -> threading.Thread:
    """Run ``write`` in a thread once the sensor has looked at /messages ``after_polls`` times (or 30 s)."""

    def run() -> None:
        deadline = time.monotonic() + 30
        while message_polls(ct) < after_polls and time.monotonic() < deadline:
            time.sleep(0.02)
        write()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def ledger_ids(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.parametrize("dag_id", ["messages_sensor_poke", "messages_sensor_deferrable"])
def test_sensor_wakes_on_the_right_messages_only(ct, messages, run_dag, fresh_cursor, tmp_path, dag_id):
    fresh_cursor(dag_id)
    create(ct, "products", {"key": "p1"})  # ProductCreated: not waited for
    order = create(ct, "orders", {"orderNumber": "before", "orderState": "Open"})  # OrderCreated
    ledger = tmp_path / "ledger"
    conf = {"ledger": str(ledger), "types": ["OrderCreated"]}
    first = run_dag(dag_id, run_conf=conf)
    assert first.state == "success"
    assert xcom_result(first, "record")["waited"] == ("poked" if dag_id.endswith("poke") else "immediately")
    assert ledger_ids(ledger) == [m["id"] for m in messages.all() if m["type"] == "OrderCreated"]

    # Now only other Messages appear, until an order is created after the sensor looked 6 times.
    update(ct, "orders", order, [{"action": "changeOrderState", "orderState": "Complete"}])
    create(ct, "products", {"key": "p2"})
    polls = message_polls(ct)
    thread = later(ct, polls + 6, lambda: create(ct, "orders", {"orderNumber": "after"}))
    second = run_dag(dag_id, run_conf=conf)
    thread.join(5)
    assert second.state == "success"
    result = xcom_result(second, "record")
    assert result["count"] == 1 and result["types"] == {"OrderCreated": 1}
    assert result["waited"] == ("poked" if dag_id.endswith("poke") else "deferred")
    assert message_polls(ct) >= polls + 6  # it kept waiting while only other Messages existed
    created = [m for m in messages.all() if m["type"] == "OrderCreated"]
    assert ledger_ids(ledger) == [m["id"] for m in created]
    assert created[-1]["resourceUserProvidedIdentifiers"] == {"orderNumber": "after"}
    assert stored_cursor(dag_id)["last_created_at"] == created[-1]["createdAt"]


def test_three_runs_over_5000_changes_deliver_each_message_once(ct, messages, run_dag, fresh_cursor, tmp_path):
    """Late-visible messages, and a run of 2,000 with one createdAt split between runs (at most 1,800 per
    run); a failed run in between re-delivers; every message ends in the ledger exactly once."""
    dag_id = "messages_sensor_file"
    fresh_cursor(dag_id)
    ledger = tmp_path / "ledger"
    conf = {"ledger": str(ledger), "types": None, "output_dir": str(tmp_path)}
    messages.freeze_clock("2026-12-01T10:00:00.000Z")
    random_changes(ct, 2000, seed=1)
    messages.hold(count=40)  # stamped 10:00:00.000, visible only after the first run
    random_changes(ct, 40, seed=2)
    first = run_dag(dag_id, run_conf=conf)
    assert first.state == "success"
    sensed = xcom_result(first, TASK)
    assert (sensed["count"], sensed["more"]) == (1800, True)  # stopped inside the run of one createdAt
    assert sensed["cursor"]["last_created_at"] == "2026-12-01T10:00:00.000Z"

    messages.freeze_clock("2026-12-01T10:00:20.000Z")
    random_changes(ct, 1500, seed=3)
    messages.release()  # 20 s older than the newest: within the 60 s overlap
    messages.hold(count=25)
    messages.freeze_clock("2026-12-01T10:00:40.000Z")
    random_changes(ct, 25, seed=4)
    failed = run_dag(dag_id, run_conf={**conf, "fail": True})  # downstream fails: nothing committed
    assert failed.state == "failed"
    assert len(ledger_ids(ledger)) == 1800
    second = run_dag(dag_id, run_conf=conf)  # the same messages again, now recorded
    assert second.state == "success"
    assert xcom_result(second, TASK)["count"] == 200 + 40 + 1500

    random_changes(ct, 1435, seed=5)  # 10:00:40.000 like the 25 still invisible
    messages.release()
    third = run_dag(dag_id, run_conf=conf)
    assert third.state == "success"
    assert (xcom_result(third, TASK)["count"], xcom_result(third, TASK)["more"]) == (1460, False)

    every = [m["id"] for m in messages.all()]
    delivered = ledger_ids(ledger)
    assert len(every) == 5000
    assert len(delivered) == len(set(delivered)), "a message was delivered twice"
    assert set(delivered) == set(every), "a message was missed"
    cursor = stored_cursor(dag_id)
    assert cursor["last_created_at"] == "2026-12-01T10:00:40.000Z"


def test_explicit_cursor_and_bad_arguments(ct, messages):
    """An explicit cursor: nothing stored; the returned cursor is the one to pass next time."""
    from airflow_provider_commercetools.commercetools.messages.reader import Cursor

    create(ct, "orders", {"orderNumber": "o-1"})
    sensor = CommercetoolsMessagesSensor(
        task_id="s", message_types="OrderCreated", cursor=Cursor.start("earliest").to_json()
    )
    first = sensor.poke({})
    assert first.is_done and first.xcom_value["count"] == 1 and first.xcom_value["cursor_variable"] is None
    again = CommercetoolsMessagesSensor(task_id="s", message_types="OrderCreated", cursor=first.xcom_value["cursor"])
    assert not again.poke({}).is_done  # nothing new after the returned cursor
    create(ct, "orders", {"orderNumber": "o-2"})
    assert again.poke({}).xcom_value["count"] == 1
    with pytest.raises(ConfigurationError, match="overlap"):
        CommercetoolsMessagesSensor(task_id="s", overlap=-1)
    with pytest.raises(ConfigurationError, match="max_xcom_items"):
        CommercetoolsMessagesSensor(task_id="s", max_xcom_items=0)


def test_commit_is_a_compare_and_set(airflow_db, monkeypatch):
    """The compare-and-set of commit_cursor (outside a task: the Variable model of the metadata DB)."""
    from airflow.models import Variable

    from airflow_provider_commercetools.commercetools.messages.reader import Cursor
    from airflow_provider_commercetools.sensors import messages_cursor as sensor_module
    from airflow_provider_commercetools.sensors.messages import CursorMovedError, commit_cursor

    monkeypatch.setattr(sensor_module, "Variable", Variable)  # Airflow 3's SDK Variable works in tasks only

    name = "commercetools_messages_cursor__test_commit"
    a = Cursor("2026-12-01T00:00:00.000Z").to_json()
    b = Cursor("2026-12-01T00:00:00.000Z", "2026-12-01T01:00:00.000Z", {"m1": "2026-12-01T01:00:00.000Z"}).to_json()
    c = Cursor("2026-12-01T00:00:00.000Z", "2026-12-01T02:00:00.000Z", {"m2": "2026-12-01T02:00:00.000Z"}).to_json()
    Variable.set(name, json.dumps(a))
    assert commit_cursor(name, a, b) is True
    assert commit_cursor(name, a, b) is False  # a re-run of the same commit: already there
    with pytest.raises(CursorMovedError, match="another run committed"):
        commit_cursor(name, a, c)  # read from a, but the Variable holds b now
    assert json.loads(Variable.get(name)) == b
    Variable.delete(name)
