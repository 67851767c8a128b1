"""Near-real-time order sync: wake on OrderCreated Messages, read the new orders, write them out.

``example_commercetools_order_sync`` runs continuously (one run at a time): a deferrable
CommercetoolsMessagesSensor waits in the triggerer (no worker slot) until ``OrderCreated`` Messages
exist after its cursor, hands them on, a task reads the orders' current state (``id in (...)``, 100
per request) and writes them as JSON Lines to ``<output_base>/orders/<run>.jsonl``; then the cursor
is committed. If the sync fails, the cursor stays, and the next run delivers the same orders again.

On Airflow 3, ``example_commercetools_order_sync_event_driven`` does the same without a waiting task:
an ``AssetWatcher`` with CommercetoolsMessagesEventTrigger polls in the triggerer and updates the
asset ``commercetools_orders_created`` when new orders arrive, which runs the DAG; its sensor reads
the new messages exactly once from its own cursor (it does not wait: the watcher already did; its
first run starts at the first Message the triggering event reports).

Connection: ``commercetools_default`` (scopes ``view_messages`` and ``view_orders``); Messages must be
enabled in the project (see the README, "Messages").
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow_provider_commercetools.commercetools.files import write_json_lines
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.sensors.messages import CommercetoolsMessagesSensor

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

PARAMS = {"output_base": "/tmp/commercetools/orders-sync"}


@task
def sync_orders(delivered: dict[str, Any], output_base: str, run_name: str) -> dict[str, Any]:
    """Read the current state of the orders the Messages name and write them as JSON Lines."""
    ids = list(dict.fromkeys(m["resource"]["id"] for m in delivered["messages"]))
    hook = CommercetoolsHook()
    path = f"{output_base}/orders/{run_name.replace(':', '_')}.jsonl"
    written = 0
    with write_json_lines("output_path", path) as writer:
        for start in range(0, len(ids), 100):
            chunk = ids[start : start + 100]
            where = "id in (" + ", ".join(f'"{i}"' for i in chunk) + ")"
            page = hook.get("orders", query={"where": where, "limit": len(chunk), "withTotal": False})
            writer.write_many(page["results"])
            written += len(page["results"])
    # an order deleted since it was created has no current state: say so, do not hide it
    return {"path": path, "orders": written, "messages": delivered["count"], "missing": len(ids) - written}


with DAG(
    dag_id="example_commercetools_order_sync",
    schedule="@continuous",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,  # one cursor: runs must not overlap
    params=PARAMS,
    tags=["commercetools", "example"],
    doc_md=__doc__,
):
    wait = CommercetoolsMessagesSensor(
        task_id="wait_for_new_orders",
        message_types=["OrderCreated"],
        resource_types=["order"],
        start_from="now",
        deferrable=True,
        poke_interval=30,
        timeout=6 * 3600,
        max_xcom_items=500,
    )
    synced = sync_orders(wait.output, "{{ params.output_base }}", "{{ run_id }}")
    synced >> wait.commit_task()


try:
    from airflow.sdk import Asset, AssetWatcher
except ImportError:  # Airflow 2.11: no event-driven scheduling
    Asset = None  # type: ignore[assignment,misc]

if Asset is not None:
    from airflow_provider_commercetools.triggers.messages import CommercetoolsMessagesEventTrigger

    orders_created = Asset(
        "commercetools_orders_created",
        watchers=[
            AssetWatcher(
                name="commercetools_order_created_watcher",
                trigger=CommercetoolsMessagesEventTrigger(
                    message_types=["OrderCreated"], resource_types=["order"], start_from="now", poll_interval=30
                ),
            )
        ],
    )

    # Without a stored cursor (the first run), read from the first Message the watcher saw.
    FIRST_RUN_START = (
        "{% set events = triggering_asset_events.values() | list %}"
        "{{ events[0][0].extra['payload']['first_created_at'] if events and events[0] else 'now' }}"
    )

    with DAG(
        dag_id="example_commercetools_order_sync_event_driven",
        schedule=[orders_created],
        start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        catchup=False,
        max_active_runs=1,
        params=PARAMS,
        tags=["commercetools", "example"],
        doc_md=__doc__,
    ):
        read = CommercetoolsMessagesSensor(
            task_id="read_new_orders",
            message_types=["OrderCreated"],
            resource_types=["order"],
            start_from=FIRST_RUN_START,
            poke_interval=5,
            timeout=60,  # the watcher saw new messages: they are there, or a run before took them
            soft_fail=True,
            max_xcom_items=500,
        )
        synced = sync_orders(read.output, "{{ params.output_base }}", "{{ run_id }}")
        synced >> read.commit_task()
