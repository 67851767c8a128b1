"""The partitioned export and the publisher on a real cluster: CeleryExecutor with a Redis broker, a
PostgreSQL metadata DB, a scheduler, a dag-processor, an api-server and two Celery workers as separate
processes, each with its own temporary directory as its only disk, and S3 object storage (moto's
server) for every file. The two commercetools projects are two fake servers in this process, reached
over HTTP on 127.0.0.1 by the workers.

Runs once, on Airflow 3 (the cluster's own .venv-cluster); ``scripts/test.sh`` leaves it out of the
Airflow 2.11 pass (``-m "not cluster"``): it would start the same Airflow 3 cluster again.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.server import connection_json
from tests.cluster.cluster import BUCKET, WORKERS, Cluster

pytestmark = pytest.mark.cluster

CUSTOMERS = 1200
PARTITIONS = 8
DAG_ID = "cluster_partitioned_publish"


@pytest.fixture
def projects() -> Iterator[tuple[FakeCommercetools, FakeCommercetools]]:
    source = FakeCommercetools(project_key="shop-a").start()
    target = FakeCommercetools(project_key="shop-b", client_id="client-b", client_secret="secret-b").start()
    try:
        yield source, target
    finally:
        source.stop()
        target.stop()


def test_partitioned_export_and_publisher_on_celery_cluster(
    projects: tuple[FakeCommercetools, FakeCommercetools],
) -> None:
    source, target = projects
    source.add_many("customers", ({"key": f"c{i:05d}", "email": f"c{i}@example.com"} for i in range(CUSTOMERS)))
    source_ids = {c["id"] for c in source.entities("customers")}
    connections = {
        "commercetools_default": connection_json(source),
        "commercetools_target": connection_json(target),
    }
    with Cluster(connections) as cluster:
        report = cluster.run_dag(DAG_ID, {"output_base": f"s3://aws_default@{BUCKET}/partitioned"}, timeout=300)
        states = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in report["task_instances"]}
        assert report["state"] == "success", f"{states}\n{cluster.all_logs()}"

        # 8 exports, 1 manifest, 8 publishers: all succeeded, each once
        assert sorted(states) == sorted(
            [("export_partition", i) for i in range(PARTITIONS)]
            + [("publish_partition", i) for i in range(PARTITIONS)]
            + [("write_manifest", -1)]
        )
        assert set(states.values()) == {"success"}

        # the part files and the manifest are in the object store, not on any disk
        run_dir = f"partitioned/{report['run_id'].replace(':', '_')}"
        objects = cluster.s3_objects(run_dir + "/")
        keys = sorted(objects)
        parts = [f"{run_dir}/part-{i}.jsonl" for i in range(PARTITIONS)]
        assert set(parts) <= set(keys), keys
        on_disk = sorted(str(p) for p in cluster.base.rglob("*.jsonl"))
        assert not on_disk, f"files written to a local disk instead of the object store: {on_disk}"
        exported: list[str] = []
        for key in parts:
            exported += [json.loads(line)["id"] for line in objects[key].splitlines() if line]
        assert len(exported) == CUSTOMERS, "each customer exactly once across the partitions"
        assert set(exported) == source_ids
        manifest = json.loads(objects[f"{run_dir}/manifest.json"])
        assert manifest["count"] == CUSTOMERS
        assert [p["path"] for p in manifest["parts"]] == [f"s3://aws_default@{BUCKET}/{key}" for key in sorted(parts)]
        assert sum(p["count"] for p in manifest["parts"]) == CUSTOMERS

        # the second project got every customer exactly once, from the files in the object store
        published = Counter(c["key"] for c in target.entities("customers"))
        assert len(published) == CUSTOMERS and set(published.values()) == {1}
        assert set(published) == {c["key"] for c in source.entities("customers")}
        results = [f"{run_dir}/published-{i}.jsonl" for i in range(PARTITIONS)]
        assert set(results) <= set(keys)
        statuses = Counter(json.loads(line)["status"] for key in results for line in objects[key].splitlines() if line)
        assert statuses == {"succeeded": CUSTOMERS}

        # the tasks really ran on both workers: each task's log is on the disk of the worker that ran it
        ran_on: dict[str, list[str]] = {}
        for worker in WORKERS:
            for log in cluster.task_logs(worker):
                task = re.search(r"task_id=([^/]+)", str(log))
                index = re.search(r"map_index=(-?\d+)", str(log))
                assert task
                ran_on.setdefault(f"{task.group(1)}[{index.group(1) if index else -1}]", []).append(worker)
        assert len(ran_on) == 2 * PARTITIONS + 1 and all(len(w) == 1 for w in ran_on.values()), ran_on
        per_worker = Counter(w[0] for w in ran_on.values())
        assert set(per_worker) == set(WORKERS), f"all tasks ran on one worker: {ran_on}"
        print(f"tasks per worker: {dict(per_worker)}")
