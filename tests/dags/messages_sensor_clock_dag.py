"""CommercetoolsMessagesSensor with ``start_from="now"`` (poking and deferrable), for the clock tests.

The clock tests run it against a fake whose clock is behind the worker's: "now" must be the server's.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.sensors.messages import CommercetoolsMessagesSensor

for name, options in {
    "messages_sensor_clock_poke": {"mode": "poke"},
    "messages_sensor_clock_deferrable": {"deferrable": True},
}.items():
    with DAG(name, schedule=None, start_date=datetime.datetime(2026, 1, 1), catchup=False, max_active_runs=1):
        CommercetoolsMessagesSensor(
            task_id="wait_for_messages",
            message_types=["OrderCreated"],
            start_from="now",
            poke_interval=0.2,
            timeout=20,
            **options,
        )
