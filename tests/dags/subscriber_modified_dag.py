"""A narrow window exported in lastModifiedAt order (issue 22): one task walking it, one reading time ranges at once.

The data interval is the window; ``order`` and ``concurrency`` come from the run's params (templated).
A downstream task reads both files back.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

try:
    from airflow.sdk import task
except ImportError:  # Airflow 2.11
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

with DAG(
    "subscriber_modified_dag",
    schedule=datetime.timedelta(hours=1),
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_dir": "/tmp/subscriber_modified_dag", "order": "auto", "concurrency": 4},
):
    exports = [
        CommercetoolsSubscriberOperator(
            task_id=task_id,
            entity="products",
            modified_since="{{ data_interval_start }}",
            modified_until="{{ data_interval_end }}",
            order="{{ params.order }}",
            concurrency=concurrency,
            settle=0,
            page_size=9,
            output_path="{{ params.output_dir }}/" + task_id + ".jsonl",
        )
        for task_id, concurrency in (("walk", 1), ("ranges", "{{ params.concurrency }}"))
    ]

    @task
    def read_files(walk: dict, ranges: dict, data_interval_start=None, data_interval_end=None) -> dict:
        return {
            "walk": [[e["id"], e["lastModifiedAt"]] for e in read_json_lines("path", walk["path"])],
            "ranges": [[e["id"], e["lastModifiedAt"]] for e in read_json_lines("path", ranges["path"])],
            "start": data_interval_start.isoformat(),
            "end": data_interval_end.isoformat(),
        }

    read_files(exports[0].output, exports[1].output)
