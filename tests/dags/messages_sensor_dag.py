"""CommercetoolsMessagesSensor (poking and deferrable) -> a task that records the messages -> commit the cursor.

``params.ledger``: a file the record task appends the delivered message ids to (one per line);
``params.fail``: make the record task fail (the cursor must then not advance).
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.sensors.messages import CommercetoolsMessagesSensor

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]


@task
def record(delivered: dict, ledger: str, fail: bool) -> dict:
    if "path" in delivered:
        ids = [m["id"] for m in read_json_lines("path", delivered["path"])]
    else:
        ids = [m["id"] for m in delivered["messages"]]
    assert len(ids) == delivered["count"]
    if fail:
        raise RuntimeError("downstream failed on purpose")
    with open(ledger, "a") as handle:
        handle.write("".join(f"{i}\n" for i in ids))
    return {"count": len(ids), "waited": delivered["waited"], "types": delivered["types"]}


FILE = "{{ params.output_dir }}/{{ run_id | replace(':', '_') }}.jsonl"

for name, options in {
    "messages_sensor_poke": {"mode": "poke"},
    "messages_sensor_deferrable": {"deferrable": True},
    "messages_sensor_file": {"mode": "poke", "output_path": FILE, "max_messages": 1800},
}.items():
    with DAG(
        name,
        schedule=None,
        start_date=datetime.datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        params={"ledger": "/tmp/ledger", "fail": False, "types": ["OrderCreated"], "output_dir": "/tmp"},
        render_template_as_native_obj=True,
    ):
        wait = CommercetoolsMessagesSensor(
            task_id="wait_for_messages",
            message_types="{{ params.types }}",
            start_from="earliest",
            overlap=60,
            poke_interval=0.2,
            timeout=60,
            max_xcom_items=50,
            **options,
        )
        done = record(wait.output, "{{ params.ledger }}", "{{ params.fail }}")
        done >> wait.commit_task()
