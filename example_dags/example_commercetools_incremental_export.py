"""Scheduled incremental export: every hour, the products and orders changed and deleted in the data interval.

Each run reads the entities whose ``lastModifiedAt`` falls in its data interval (start inclusive,
end exclusive: consecutive runs never read a change twice) and streams them as JSON Lines. It reads
only once commercetools' own clock (its ``Date`` header) is past the interval's end plus ``settle``
(120 s here, the default): a write stamped in the interval that shows in queries within 120 s of its
``lastModifiedAt`` is in that interval's file; one that shows later is missed. Runs start a few seconds
after the interval ends and sleep the rest of the 120 s. One file per entity per interval; beside it,
the entities deleted in the interval, read with the same rule from the Messages (``ProductDeleted``,
``OrderDeleted``), which a ``lastModifiedAt`` read cannot see, so a warehouse copy can drop them:

    <output_base>/products/20261127T100000.jsonl
    <output_base>/products/20261127T100000.deleted.jsonl    {"id", "version", "deletedAt", "key", ...}
    <output_base>/orders/20261127T100000.jsonl
    <output_base>/orders/20261127T100000.deleted.jsonl

Reading uses keyset pagination on ``id`` (no 10,000 offset limit) in constant memory; XCom only
gets ``{"path", "count", "pages"}``. Point ``output_base`` at a bucket (``s3://aws_default@bucket/ct``)
to write through Airflow's ObjectStoragePath.

Connection: ``commercetools_default`` (scopes ``view_products``, ``view_orders`` and ``view_messages``
suffice); the deletions need Messages enabled in the project (see the README, "Messages").
"""

from __future__ import annotations

import datetime

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]

ENTITIES = ("products", "orders")

with DAG(
    dag_id="example_commercetools_incremental_export",
    schedule="@hourly",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,
    # since/until: re-read another window in a manual run (Airflow 3 gives manual runs an empty
    # data interval), e.g. {"since": "2026-11-27T10:00:00Z", "until": "2026-11-27T11:00:00Z"}.
    # when_messages_disabled: "skip" ends the deletion tasks as skipped in a project without Messages.
    # settle: seconds after the window's end, on commercetools' clock, before a window is read.
    params={
        "output_base": "/tmp/commercetools/exports",
        "since": None,
        "until": None,
        "when_messages_disabled": "fail",
        "settle": 120,
    },
    tags=["commercetools", "example"],
    doc_md=__doc__,
):
    for entity in ENTITIES:
        name = entity.replace("-", "_")
        base = "{{ params.output_base }}/" + entity + "/{{ data_interval_start | ts_nodash }}"
        window = {
            "modified_since": "{{ params.since or data_interval_start }}",
            "modified_until": "{{ params.until or data_interval_end }}",
            "settle": "{{ params.settle }}",  # seconds after the window's end, on commercetools' clock
        }
        CommercetoolsSubscriberOperator(task_id=f"export_{name}", entity=entity, output_path=base + ".jsonl", **window)
        CommercetoolsDeletionsOperator(
            task_id=f"export_{name}_deletions",
            entity=entity,
            output_path=base + ".deleted.jsonl",
            when_messages_disabled="{{ params.when_messages_disabled }}",
            **window,
        )
