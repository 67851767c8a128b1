"""The near-real-time order sync example, run for real with dag.test() against the fake (with Messages)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.sensors.messages import cursor_variable_name
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.airflow_runner import load_dag, xcom_result
from tests.messages_support import create, update

EXAMPLES = Path(__file__).parents[1] / "example_dags"
DAG_ID = "example_commercetools_order_sync"


def run_fast(dag_id: str, task_id: str, run_conf: dict[str, Any]) -> Any:
    """dag.test() with the example's sensor looking every 0.2 s instead of every 30 s."""
    dag = load_dag(dag_id, EXAMPLES)
    dag.get_task(task_id).poke_interval = 0.2
    return dag.test(run_conf=run_conf)


def test_order_sync_waits_for_new_orders_and_writes_their_current_state(ct, airflow_db, tmp_path):
    from airflow.models import Variable

    Variable.delete(cursor_variable_name(DAG_ID, "wait_for_new_orders"))
    messages = FakeMessages(ct)
    create(ct, "orders", {"orderNumber": "old", "orderState": "Open"})  # before the first run: not synced

    def later() -> None:
        deadline = time.monotonic() + 30
        while ct.count_requests("GET", f"/{ct.project_key}/messages") < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        create(ct, "products", {"key": "not-an-order"})
        orders = [create(ct, "orders", {"orderNumber": f"new-{i}", "orderState": "Open"}) for i in range(3)]
        update(ct, "orders", orders[0], [{"action": "changeOrderState", "orderState": "Confirmed"}])

    # the first run's "now" is after the old order's createdAt: "now" is commercetools' clock, read from
    # its Date header in whole seconds (rounded down), so the old order must be over a second older
    time.sleep(1.1)
    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    dag_run = run_fast(DAG_ID, "wait_for_new_orders", {"output_base": str(tmp_path)})
    thread.join(5)
    assert dag_run.state == "success"
    result = xcom_result(dag_run, "sync_orders")
    assert (result["orders"], result["messages"], result["missing"]) == (3, 3, 0)
    synced = {o["orderNumber"]: o for o in read_json_lines("path", result["path"])}
    assert set(synced) == {"new-0", "new-1", "new-2"}
    assert synced["new-0"]["orderState"] == "Confirmed"  # the current state, not the one at creation
    wait = xcom_result(dag_run, "wait_for_new_orders")
    assert wait["waited"] == "deferred"  # it really waited in the trigger
    stored = json.loads(Variable.get(cursor_variable_name(DAG_ID, "wait_for_new_orders")))
    created = [m for m in messages.all() if m["type"] == "OrderCreated"]
    assert stored["last_created_at"] == max(m["createdAt"] for m in created)


def test_event_driven_variant_reads_the_new_orders_once(ct, airflow_db, tmp_path):
    """Airflow 3: the DAG the AssetWatcher runs; here started by hand, so its first cursor starts now."""
    from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

    if not AIRFLOW_V_3_0_PLUS:
        pytest.skip("event-driven scheduling (AssetWatcher) exists on Airflow 3 only")
    from airflow.models import Variable

    dag_id, task_id = "example_commercetools_order_sync_event_driven", "read_new_orders"
    Variable.delete(cursor_variable_name(dag_id, task_id))
    FakeMessages(ct)

    def later() -> None:
        deadline = time.monotonic() + 30
        while ct.count_requests("GET", f"/{ct.project_key}/messages") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        create(ct, "orders", {"orderNumber": "e-1"})

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    first = run_fast(dag_id, task_id, {"output_base": str(tmp_path)})
    thread.join(5)
    assert first.state == "success"
    assert xcom_result(first, "sync_orders")["orders"] == 1
    # The next run (the watcher fired again, but a run before took the messages): nothing twice.
    dag = load_dag(dag_id, EXAMPLES)
    dag.get_task(task_id).poke_interval = 0.2
    dag.get_task(task_id).timeout = 1
    second = dag.test(run_conf={"output_base": str(tmp_path)})
    assert second.state == "success"
    assert xcom_result(second, "sync_orders") is None  # skipped: the sensor found nothing new (soft_fail)


def test_event_driven_first_run_starts_at_the_first_message_the_watcher_saw():
    """The template that picks the first run's start from the triggering asset event (Airflow 3 context)."""
    import runpy
    from types import SimpleNamespace

    import jinja2

    namespace = runpy.run_path(str(EXAMPLES / "example_commercetools_order_sync.py"))
    if "FIRST_RUN_START" not in namespace:
        pytest.skip("event-driven scheduling (AssetWatcher) exists on Airflow 3 only")
    template = jinja2.Environment().from_string(namespace["FIRST_RUN_START"])
    event = SimpleNamespace(extra={"from_trigger": True, "payload": {"first_created_at": "2026-12-01T10:00:00.000Z"}})
    assert template.render(triggering_asset_events={"asset": [event]}) == "2026-12-01T10:00:00.000Z"
    assert template.render(triggering_asset_events={}) == "now"
