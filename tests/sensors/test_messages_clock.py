"""Messages cursors on commercetools' clock: real DAG runs of the sensor, and the triggers' run(), against
a fake whose clock is an hour behind the worker's (a worker whose clock runs ahead)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.messages import Cursor, CursorAheadError
from airflow_provider_commercetools.commercetools.reading import format_timestamp
from airflow_provider_commercetools.sensors.messages import cursor_variable_name
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from airflow_provider_commercetools.triggers.messages import (
    CommercetoolsMessagesEventTrigger,
    CommercetoolsMessagesTrigger,
)
from tests.airflow_runner import xcom_result
from tests.messages_support import create
from tests.sensors.test_messages_sensor import later, message_polls
from tests.triggers.test_messages_triggers import first_events

TASK = "wait_for_messages"
DAGS = ["messages_sensor_clock_poke", "messages_sensor_clock_deferrable"]
SERVER_BEHIND = -3600.0


@pytest.fixture
def ct(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCommercetools]:
    with FakeCommercetools(scopes=["manage_project:test-project", "view_messages:test-project"]) as server:
        monkeypatch.setenv("AIRFLOW_CONN_COMMERCETOOLS_DEFAULT", connection_json(server))
        FakeMessages(server)
        server.clock_offset = SERVER_BEHIND
        yield server


def server_now(ct: FakeCommercetools) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=ct.clock_offset)


def variable(dag_id: str) -> tuple[str, Any]:
    from airflow.models import Variable

    name = cursor_variable_name(dag_id, TASK)
    raw = Variable.get(name, None)
    return name, None if raw is None else json.loads(raw)


def reset(dag_id: str, value: Any = None) -> None:
    from airflow.models import Variable

    name = cursor_variable_name(dag_id, TASK)
    Variable.delete(name)
    if value is not None:
        Variable.set(name, json.dumps(value))


def message_reads(ct: FakeCommercetools) -> int:
    """Reads of /messages after a cursor (the clock's read, ``limit=1`` without ``where``, not counted)."""
    return sum(1 for r in ct.requests if r.path.endswith("/messages") and "where" in r.query)


@pytest.mark.parametrize("dag_id", DAGS)
def test_start_from_now_is_the_servers_now(ct, run_dag, airflow_db, dag_id):
    """With the worker an hour ahead, "now" on the worker's clock would skip the next hour of Messages."""
    reset(dag_id)
    before = server_now(ct)
    thread = later(ct, message_polls(ct) + 3, lambda: create(ct, "orders", {"orderNumber": "after"}))
    dag_run = run_dag(dag_id)
    thread.join(5)
    assert dag_run.state == "success", dag_run.state
    result = xcom_result(dag_run, TASK)
    assert result["count"] == 1 and result["types"] == {"OrderCreated": 1}
    since = dt.datetime.fromisoformat(variable(dag_id)[1]["since"].replace("Z", "+00:00"))
    assert before - dt.timedelta(seconds=2) <= since <= server_now(ct)


@pytest.mark.parametrize("dag_id", DAGS)
def test_a_stored_cursor_ahead_of_the_server_fails_at_once_and_stays(ct, run_dag, airflow_db, dag_id):
    worker_now = format_timestamp(dt.datetime.now(dt.timezone.utc))
    ahead = Cursor(worker_now).to_json()  # made on the worker's clock: an hour ahead of the server's
    reset(dag_id, ahead)
    create(ct, "orders", {"orderNumber": "o1"})
    dag_run = run_dag(dag_id)
    assert dag_run.state == "failed"
    assert message_reads(ct) == 0, "the sensor read /messages after a cursor ahead of the server"
    assert variable(dag_id)[1] == ahead


def test_the_sensors_trigger_reports_a_cursor_ahead_of_the_server(ct):
    cursor = Cursor(format_timestamp(dt.datetime.now(dt.timezone.utc)), None).to_json()
    trigger = CommercetoolsMessagesTrigger(
        commercetools_conn_id="commercetools_default", cursor=cursor, message_filter={}, poll_interval=0.1
    )
    events = asyncio_run(first_events(trigger, 1, timeout=10))
    assert len(events) == 1 and events[0]["status"] == "error"
    assert "ahead of commercetools' clock" in events[0]["message"] and "Variable" in events[0]["message"]
    assert message_reads(ct) == 0


def test_the_watchers_trigger_fails_on_a_start_ahead_of_the_server(ct):
    ahead = format_timestamp(dt.datetime.now(dt.timezone.utc))
    trigger = CommercetoolsMessagesEventTrigger(start_from=ahead, poll_interval=0.1)
    with pytest.raises(CursorAheadError, match="start_from"):
        asyncio_run(first_events(trigger, 1, timeout=10))
    assert message_reads(ct) == 0


def test_the_watchers_start_from_now_is_the_servers_now(ct):
    trigger = CommercetoolsMessagesEventTrigger(message_types=["OrderCreated"], start_from="now", poll_interval=0.1)
    later(ct, message_polls(ct) + 3, lambda: create(ct, "orders", {"orderNumber": "after"}))
    events = asyncio_run(first_events(trigger, 1, timeout=15))
    assert [e["types"] for e in events] == [{"OrderCreated": 1}]


def asyncio_run(coroutine: Any) -> Any:
    import asyncio

    return asyncio.run(coroutine)
