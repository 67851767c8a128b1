"""The Messages triggers, run directly (run() against the fake over real HTTP, serialize() round trips).

The run with a real scheduler and triggerer is test_asset_watcher_scheduler.py; here the details: the
sensor's trigger waits and fires once, errors become events, the watcher's trigger fires per batch and
resumes from the asset state, and the event-driven example DAG's asset carries the watcher.
"""

from __future__ import annotations

import asyncio
import importlib
import runpy
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.messages.reader import Cursor
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from airflow_provider_commercetools.triggers.messages import (
    STATE_KEY,
    CommercetoolsMessagesEventTrigger,
    CommercetoolsMessagesTrigger,
)
from tests.messages_support import create

EXAMPLES = Path(__file__).parents[2] / "example_dags"


def rebuilt(trigger: Any) -> Any:
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    again = getattr(importlib.import_module(module), name)(**kwargs)
    assert again.serialize() == (classpath, kwargs)
    return again


async def first_events(trigger: Any, count: int, timeout: float) -> list[Any]:
    """The payloads of the first ``count`` events ``trigger.run()`` yields within ``timeout`` seconds."""
    events: list[Any] = []
    gen = trigger.run()

    async def collect() -> None:
        async for event in gen:
            events.append(event.payload)
            if len(events) == count:
                return

    try:
        await asyncio.wait_for(collect(), timeout)
    except asyncio.TimeoutError:
        pass
    finally:
        await gen.aclose()
    return events


async def quiet_then(trigger: Any, ct: FakeCommercetools, polls: int, write: Any, count: int) -> list[Any]:
    """Assert ``trigger`` fires nothing while it looks at /messages ``polls`` more times; then ``write()``
    and return the payloads of the next ``count`` events (each within 15 s)."""
    gen = trigger.run()
    start = ct.count_requests("GET", f"/{ct.project_key}/messages")
    pending = asyncio.ensure_future(gen.__anext__())
    try:
        deadline = time.monotonic() + 30
        while ct.count_requests("GET", f"/{ct.project_key}/messages") < start + polls:
            assert not pending.done(), f"fired without a new message: {pending.result().payload}"
            assert time.monotonic() < deadline, "the trigger did not look at /messages"
            await asyncio.sleep(0.02)
        assert not pending.done(), f"fired without a new message: {pending.result().payload}"
        write()
        events = [(await asyncio.wait_for(pending, 15)).payload]
        while len(events) < count:
            events.append((await asyncio.wait_for(gen.__anext__(), 15)).payload)
        return events
    finally:
        pending.cancel()
        await gen.aclose()


def test_sensor_trigger_waits_then_fires_once_with_the_cursor(ct):
    FakeMessages(ct)
    create(ct, "products", {"key": "other"})  # not an OrderCreated
    cursor = Cursor.start("earliest").to_json()
    trigger = rebuilt(
        CommercetoolsMessagesTrigger(
            commercetools_conn_id="commercetools_default",
            cursor=cursor,
            message_filter={"types": ["OrderCreated"], "resource_types": [], "where": []},
            poll_interval=0.05,
        )
    )
    write = lambda: create(ct, "orders", {"orderNumber": "o-1"})  # noqa: E731
    assert asyncio.run(quiet_then(trigger, ct, 4, write, 1)) == [{"status": "found", "cursor": cursor}]


def test_sensor_trigger_reports_errors_as_an_event(ct, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_COMMERCETOOLS_DEFAULT", connection_json(ct, password="wrong"))
    trigger = CommercetoolsMessagesTrigger(
        commercetools_conn_id="commercetools_default",
        cursor=Cursor.start("earliest").to_json(),
        message_filter={},
        poll_interval=0.05,
    )
    [event] = asyncio.run(first_events(trigger, 1, 10))
    assert event["status"] == "error" and "401" in event["message"] and "wrong" not in event["message"]


class MemoryStateStore:
    """Stands in for the asset state store Airflow 3.3 gives a watcher's trigger."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = value


def test_event_trigger_fires_per_batch_and_resumes_from_the_asset_state(ct):
    messages = FakeMessages(ct)
    trigger = rebuilt(
        CommercetoolsMessagesEventTrigger(message_types=["OrderCreated"], start_from="earliest", poll_interval=0.05)
    )
    store = MemoryStateStore()
    trigger.asset_state_store = store
    messages.freeze_clock("2026-12-01T10:00:00.000Z")
    for i in range(3):
        create(ct, "orders", {"orderNumber": f"a-{i}"})
    create(ct, "customers", {"email": "c@example.com"})
    events = asyncio.run(first_events(trigger, 1, 15))

    def more() -> None:
        messages.freeze_clock("2026-12-01T10:00:05.000Z")
        create(ct, "orders", {"orderNumber": "b-0"})

    # the same trigger (its cursor kept in the store): quiet until a new order exists
    again = rebuilt(trigger)
    again.asset_state_store = store
    events += asyncio.run(quiet_then(again, ct, 3, more, 1))
    assert events == [
        {
            "count": 3,
            "types": {"OrderCreated": 3},
            "first_created_at": "2026-12-01T10:00:00.000Z",
            "last_created_at": "2026-12-01T10:00:00.000Z",
        },
        {
            "count": 1,
            "types": {"OrderCreated": 1},
            "first_created_at": "2026-12-01T10:00:05.000Z",
            "last_created_at": "2026-12-01T10:00:05.000Z",
        },
    ]
    assert len(store.values[STATE_KEY]["delivered"]) == 4
    # Without the store (Airflow < 3.3), a new trigger starts again at start_from ("earliest" here).
    fresh = rebuilt(trigger)
    assert asyncio.run(first_events(fresh, 1, 15))[0]["count"] == 4


def test_event_trigger_is_an_asset_watcher_trigger_on_airflow_3(airflow_db):
    from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

    if not AIRFLOW_V_3_0_PLUS:
        pytest.skip("event-driven scheduling (AssetWatcher) exists on Airflow 3 only")
    from airflow.sdk import Asset, AssetWatcher
    from airflow.triggers.base import BaseEventTrigger

    a = CommercetoolsMessagesEventTrigger(message_types=["OrderCreated"])
    b = CommercetoolsMessagesEventTrigger(message_types=["OrderCreated"])
    assert isinstance(a, BaseEventTrigger)
    assert BaseEventTrigger.hash(*a.serialize()) == BaseEventTrigger.hash(*b.serialize())  # stable across parses
    Asset("orders", watchers=[AssetWatcher(name="w", trigger=a)])  # accepted by the watcher's validator

    from tests.airflow_runner import load_dag

    dag = load_dag("example_commercetools_order_sync_event_driven", EXAMPLES)
    assert "commercetools_orders_created" in repr(dag.timetable.asset_condition)  # scheduled on the asset
    example = runpy.run_path(str(EXAMPLES / "example_commercetools_order_sync.py"))
    [watcher] = example["orders_created"].watchers
    assert isinstance(watcher.trigger, CommercetoolsMessagesEventTrigger)
    assert watcher.trigger.message_types == ["OrderCreated"] and watcher.trigger.start_from == "now"
