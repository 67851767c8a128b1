"""The partitioned export on a cluster: 8 mapped partitions to object storage, a manifest, and a
mapped publisher that reads each part file back from object storage and creates its entities in a
second project.

The export and the manifest are those of ``example_dags/example_commercetools_partitioned_export.py``
(same operator, ``partitions(8)``, same manifest); the publisher is added here. Every task may run
on any Celery worker, each with its own disk, so every path is an object-storage URL
(``params.output_base``, e.g. ``s3://aws_default@bucket/prefix``). Connections:
``commercetools_default`` (the source project), ``commercetools_target`` (the second project),
``aws_default`` (the object store).
"""

from __future__ import annotations

import datetime
import json

from airflow_provider_commercetools.commercetools.files import open_text
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

PARTITIONS = 8
RUN_DIR = "{{ params.output_base }}/{{ run_id | replace(':', '_') }}"

with DAG(
    dag_id="cluster_partitioned_publish",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_base": "s3://aws_default@commercetools/partitioned", "entity": "customers"},
    tags=["commercetools", "cluster"],
    doc_md=__doc__,
):
    parts = CommercetoolsSubscriberOperator.partial(
        task_id="export_partition",
        entity="{{ params.entity }}",
        output_path=RUN_DIR + "/part-{{ ti.map_index }}.jsonl",
        # concurrency=4,  # pages read in parallel inside each partition, once the subscriber has it
    ).expand(partition=CommercetoolsSubscriberOperator.partitions(PARTITIONS))

    @task
    def write_manifest(results: list[dict], params: dict | None = None, run_id: str | None = None) -> dict:
        """Record the part files and their counts; the total is the size of the collection."""
        results = sorted(results, key=lambda r: r["path"])
        manifest = {"entity": params["entity"], "parts": results, "count": sum(r["count"] for r in results)}
        base = f"{params['output_base']}/{run_id.replace(':', '_')}"
        with open_text("manifest", f"{base}/manifest.json", "w") as handle:
            json.dump(manifest, handle, indent=2)
        return {"manifest": f"{base}/manifest.json", "count": manifest["count"]}

    manifest = write_manifest(parts.output)

    # One publisher per part file: each reads its {"path": "s3://..."} result from the object store
    # (streaming JSON Lines) and creates the entities in the second project; results and failures
    # files go to the object store too.
    publish = CommercetoolsPublisherOperator.partial(
        task_id="publish_partition",
        commercetools_conn_id="commercetools_target",
        method="POST",
        entity="{{ params.entity }}",
        max_workers=4,
        on_error="continue",
        output_path=RUN_DIR + "/published-{{ ti.map_index }}.jsonl",
    ).expand(items=parts.output)

    manifest >> publish
