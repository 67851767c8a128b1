"""The partitioned export and the publisher, and deferrable tasks, on a real cluster: CeleryExecutor with
a Redis broker, a PostgreSQL metadata DB, a scheduler, a dag-processor, a triggerer, an api-server and two
Celery workers as separate processes, each with its own temporary directory as its only disk, and S3
object storage (moto's server) for every file. The commercetools projects are fake servers in this
process, reached over HTTP on 127.0.0.1 by the workers and the triggerer.

Runs once, on Airflow 3 (the cluster's own .venv-cluster); ``scripts/test.sh`` leaves it out of the
Airflow 2.11 pass (``-m "not cluster"``): it would start the same Airflow 3 cluster again.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from typing import Any

import pytest

from tests.cluster.cluster import BUCKET, WORKERS, Cluster
from tests.cluster.conftest import Projects
from tests.messages_support import create

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

CUSTOMERS = 1200
PARTITIONS = 8
DAG_ID = "cluster_partitioned_publish"
DEFERRABLE = "cluster_deferrable"
DEFERRABLE_CATEGORIES = 20


def test_partitioned_export_and_publisher_on_celery_cluster(cluster: Cluster, projects: Projects) -> None:
    source, target = projects.source, projects.target
    source.add_many("customers", ({"key": f"c{i:05d}", "email": f"c{i}@example.com"} for i in range(CUSTOMERS)))
    source_ids = {c["id"] for c in source.entities("customers")}
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
        for log in cluster.task_logs(worker, DAG_ID):
            task = re.search(r"task_id=([^/]+)", str(log))
            index = re.search(r"map_index=(-?\d+)", str(log))
            assert task
            ran_on.setdefault(f"{task.group(1)}[{index.group(1) if index else -1}]", []).append(worker)
    assert len(ran_on) == 2 * PARTITIONS + 1 and all(len(w) == 1 for w in ran_on.values()), ran_on
    per_worker = Counter(w[0] for w in ran_on.values())
    assert set(per_worker) == set(WORKERS), f"all tasks ran on one worker: {ran_on}"
    print(f"tasks per worker: {dict(per_worker)}")


def test_deferrable_import_and_messages_sensor_wait_in_the_triggerer(cluster: Cluster, projects: Projects) -> None:
    source = projects.source

    def customer_once_the_sensor_waits() -> None:
        """A CustomerCreated Message once the sensor is deferred (it looked once, from its worker, and found
        none): it can only wake in the triggerer."""
        deadline = time.monotonic() + 120
        sensor = f"select state from task_instance where dag_id = '{DEFERRABLE}' and task_id = 'wait_for_messages'"
        while cluster.postgres.query(sensor) != ["deferred"] and time.monotonic() < deadline:
            time.sleep(0.5)
        created.append(create(source, "customers", {"email": "deferred@example.com", "key": "deferred"}))

    created: list[dict[str, Any]] = []

    writer = threading.Thread(target=customer_once_the_sensor_waits, daemon=True)
    writer.start()
    report = cluster.run_dag(DEFERRABLE, {"output_base": f"s3://aws_default@{BUCKET}/deferrable"}, timeout=180)
    writer.join(timeout=5)
    tis = {ti["task_id"]: ti for ti in report["task_instances"]}
    states = {task: ti["state"] for task, ti in tis.items()}
    assert report["state"] == "success", f"{states}\n{cluster.all_logs()}"
    assert states == {
        "import_categories": "success",
        "wait_for_messages": "success",
        "commit_wait_for_messages": "success",
    }

    # each deferred, and its trigger ran in the triggerer, which logs it beside the task's log on its own disk
    for task_id, trigger in (
        ("import_categories", "airflow_provider_commercetools.triggers.imports.CommercetoolsImportTrigger"),
        ("wait_for_messages", "airflow_provider_commercetools.triggers.messages.CommercetoolsMessagesTrigger"),
    ):
        logs = sorted(
            (cluster.homes["triggerer"] / "logs").glob(f"dag_id={DEFERRABLE}/**/task_id={task_id}/*.trigger.*")
        )
        assert logs, f"no trigger of {task_id} ran in the triggerer:\n{cluster.log_tail('triggerer')}"
        text = logs[0].read_text()
        assert f'"logger":"{trigger}"' in text, text[:3000]  # the trigger's own log lines
        assert "Trigger fired event" in text, text[:3000]
    # the trigger polls this run's operations with state queries (never the eventually consistent summary)
    operations = f"/{source.project_key}/import-containers/cluster-categories/import-operations"
    trigger_polls = [
        r
        for r in source.requests
        if r.path.startswith(f"/{source.project_key}/import-")
        and r.headers.get("x-correlation-id", "").startswith("airflow-trigger-")
    ]
    assert trigger_polls, "the import trigger never polled the container's operations"
    assert all(r.path == operations and "state" in r.query for r in trigger_polls), [
        (r.path, r.query) for r in trigger_polls
    ]

    # the import: every category imported, the results on object storage
    imported = {c["key"] for c in source.entities("categories")}
    assert imported == {f"category-{i}" for i in range(DEFERRABLE_CATEGORIES)}
    summary = tis["import_categories"]["returned"]
    run_dir = f"deferrable/{report['run_id'].replace(':', '_')}"
    records = [
        json.loads(line) for line in cluster.s3_objects(run_dir + "/")[f"{run_dir}/categories.jsonl"].splitlines()
    ]
    assert Counter(r["status"] for r in records) == {"succeeded": DEFERRABLE_CATEGORIES}, (summary, records[:3])

    # the sensor: woken by the one CustomerCreated Message, delivered through XCom
    delivered = tis["wait_for_messages"]["returned"]
    assert delivered["count"] == 1 and delivered["waited"] == "deferred", delivered
    assert [m["type"] for m in delivered["messages"]] == ["CustomerCreated"]
    assert delivered["messages"][0]["resource"]["id"] == created[0]["id"]
