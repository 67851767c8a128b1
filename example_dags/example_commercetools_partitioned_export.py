"""Partitioned export: one large collection split into id ranges, read by parallel mapped tasks.

commercetools ids are random UUIDs, so ``CommercetoolsSubscriberOperator.partitions(n)`` splits the
id space into n disjoint ranges of about equal size; the n mapped tasks together read exactly the
collection, each with keyset pagination, in parallel on Celery or Kubernetes workers. A last task
writes a manifest of the part files.

    <output_base>/<run id>/part-0.jsonl ... part-7.jsonl, manifest.json

Connection: ``commercetools_default``.
"""

from __future__ import annotations

import datetime
import json

from airflow_provider_commercetools.commercetools.files import open_text
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

PARTITIONS = 8

with DAG(
    dag_id="example_commercetools_partitioned_export",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"output_base": "/tmp/commercetools/partitioned", "entity": "customers"},
    tags=["commercetools", "example"],
    doc_md=__doc__,
):
    parts = CommercetoolsSubscriberOperator.partial(
        task_id="export_partition",
        entity="{{ params.entity }}",
        output_path="{{ params.output_base }}/{{ run_id | replace(':', '_') }}/part-{{ ti.map_index }}.jsonl",
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

    write_manifest(parts.output)
