"""A worker lost mid-publish and mid-export, on the real cluster: its whole process tree is SIGKILLed (a node
or a pod lost), the scheduler fails the task once its heartbeat is older than
``task_instance_heartbeat_timeout`` and Airflow retries it on another worker; the end state must be exact.

The kills are exact in time: the fake calls back from the very request (after the Nth create is applied,
before it is answered; on the Nth page read), the test finds the worker whose processes hold a connection
to the fake, kills its tree and starts a replacement worker (a new node). The DAG is
``dags/cluster_worker_loss.py``: 300 customer creates, half with a key, results on ``s3://``, then an export
of 1,500 products to ``s3://``; both ``retries=2``.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from tests.cluster.cluster import BUCKET, Cluster
from tests.cluster.conftest import Projects

pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

DAG_ID = "cluster_worker_loss"
CUSTOMERS = 300
PRODUCTS = 1500
KILL_AT_CREATE = 100  # the worker dies right after this create is applied, before it is answered
KILL_AT_PAGE = 6  # ... and when the export asks for this page (of 15)


class WorkerLoss:
    """Kills the worker whose processes talk to ``fake`` when ``when`` first says so; called from the fake's
    request threads (its lock held, on a write: the other requests in flight wait)."""

    def __init__(self, cluster: Cluster, fake: FakeCommercetools, what: str, replacement: str) -> None:
        self.cluster, self.port, self.what, self.replacement = cluster, _port(fake), what, replacement
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.killed: str | None = None
        self.pids: list[int] = []
        self.problem: str | None = None
        self.at = ""  # when it was killed (UTC, as the tries' start and end in the report)

    def __call__(self) -> None:
        with self.lock:
            if self.done.is_set():
                return
            self.done.set()
            try:
                self.killed = self.cluster.worker_connected_to(self.port)
                if self.killed is None:
                    self.problem = f"{self.what}: no worker holds a connection to 127.0.0.1:{self.port}"
                    return
                self.pids = self.cluster.kill_worker(self.killed)
                self.at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
                self.cluster.add_worker_soon(self.replacement)  # a new node joins (ready in seconds)
            except Exception as exc:  # reported by the test, not lost in the fake's thread
                self.problem = f"{self.what}: {exc!r}"


def _port(fake: FakeCommercetools) -> int:
    return int(fake.url.rsplit(":", 1)[1])


def nth(n: int, condition: Callable[..., bool], action: Callable[[], None]) -> Callable[..., None]:
    """A listener that runs ``action`` on the ``n``-th call for which ``condition`` holds."""
    seen = [0]

    def listener(*args: Any) -> None:
        if condition(*args):
            seen[0] += 1
            if seen[0] == n:
                action()

    return listener


def tries_by_worker(cluster: Cluster, task_id: str) -> dict[int, str]:
    """try number -> the worker on whose disk that try's log is."""
    found: dict[int, str] = {}
    for worker in cluster.homes:
        if worker.startswith("worker-"):
            for log in cluster.task_logs(worker, DAG_ID):
                if f"task_id={task_id}" in str(log):
                    found[int(log.stem.split("=")[1])] = worker
    return found


def test_worker_lost_mid_publish_and_mid_export_then_retried_elsewhere(cluster: Cluster, projects: Projects) -> None:
    fake = projects.loss
    fake.add_many("products", ({"key": f"product-{i:04d}"} for i in range(PRODUCTS)))
    product_ids = [p["id"] for p in fake.entities("products")]
    pk = fake.project_key

    publish_loss = WorkerLoss(cluster, fake, "publish", "worker-c")
    export_loss = WorkerLoss(cluster, fake, "export", "worker-d")
    fake.on_write(
        nth(KILL_AT_CREATE, lambda change, resource, *_: (change, resource) == ("created", "customers"), publish_loss)
    )
    fake.on_request(nth(KILL_AT_PAGE, lambda method, path: (method, path) == ("GET", f"/{pk}/products"), export_loss))

    report = cluster.run_dag(DAG_ID, {"output_base": f"s3://aws_default@{BUCKET}/worker-loss"}, timeout=300)
    tis = {ti["task_id"]: ti for ti in report["task_instances"]}
    for loss in (publish_loss, export_loss):
        assert loss.done.is_set() and loss.problem is None and loss.killed, (loss.what, loss.problem)
    print(
        f"killed {publish_loss.killed} mid-publish at {publish_loss.at} ({len(publish_loss.pids)} processes), "
        f"{export_loss.killed} mid-export at {export_loss.at} ({len(export_loss.pids)} processes)"
    )

    # each task: its first try's log on the lost worker, the retry's on another one
    for task_id, loss in (("publish_customers", publish_loss), ("export_products", export_loss)):
        tries = tries_by_worker(cluster, task_id)
        assert tries.get(1) == loss.killed, (task_id, tries, cluster.all_logs())
        assert tis[task_id]["try_number"] >= 2 and tries.get(2) not in (None, loss.killed), (task_id, tries)

    run_dir = f"worker-loss/{report['run_id'].replace(':', '_')}"
    objects = cluster.s3_objects(run_dir + "/")

    # the export: the retry wrote the whole file, each product exactly once
    exported = [json.loads(line)["id"] for line in objects[f"{run_dir}/products.jsonl"].splitlines() if line]
    assert tis["export_products"]["state"] == "success", cluster.all_logs()
    assert len(exported) == PRODUCTS and sorted(exported) == sorted(product_ids)
    # the lost try's partial file never reached the object store (s3fs uploads a small file when it is closed)
    assert [k for k in objects if k.startswith(f"{run_dir}/products")] == [f"{run_dir}/products.jsonl"], sorted(objects)
    print(f"objects: {sorted(k[len(run_dir) + 1 :] for k in objects)}")

    # the publish: no customer twice, every item accounted for
    customers = fake.entities("customers")
    by_key = Counter(c["key"] for c in customers if "key" in c)
    by_email = Counter(c["email"] for c in customers if "key" not in c)
    records = [json.loads(line) for line in objects.get(f"{run_dir}/customers.jsonl", "").splitlines() if line]
    statuses = Counter(r["status"] for r in records)
    errors = Counter((r.get("error") or {}).get("type") for r in records if r["status"] != "succeeded")
    print(
        f"publish tries {tis['publish_customers']['tries']}; export tries {tis['export_products']['tries']}; "
        f"publish: {tis['publish_customers']['state']} after try {tis['publish_customers']['try_number']}; "
        f"customers with a key {len(by_key)} (max {max(by_key.values(), default=0)} per key), "
        f"without {len(by_email)} (max {max(by_email.values(), default=0)} per email); "
        f"results {dict(statuses)} ({sum(bool(r.get('recovered')) for r in records)} recovered), errors {dict(errors)}"
    )
    assert sorted(r["index"] for r in records) == list(range(CUSTOMERS)), "one result per item"
    assert set(by_key.values()) == {1} and len(by_key) == CUSTOMERS // 2, "each keyed customer exactly once"
    doubled = sorted(e for e, n in by_email.items() if n > 1)
    assert not doubled, f"{len(doubled)} keyless customers created twice: {doubled[:10]}"
    assert set(by_email) <= {draft_email(i) for i in range(1, CUSTOMERS, 2)}
    for record in records:
        i = record["index"]
        if i % 2 == 0:  # a keyed create whose outcome was unknown is looked up by its key
            assert record["status"] == "succeeded", record
        elif record["status"] == "succeeded":
            assert by_email[draft_email(i)] == 1, record
        else:  # its outcome is unknown and nothing identifies it: reported, not sent again (it exists once or not)
            assert record["status"] == "outcome_unknown", record
            assert by_email[draft_email(i)] <= 1, record
    # the failures file (for a re-run) holds exactly the items not succeeded, each with its draft
    failures = [json.loads(line) for line in objects[f"{run_dir}/customers.failures.jsonl"].splitlines() if line]
    assert sorted((f["index"], f["status"]) for f in failures) == sorted(
        (r["index"], r["status"]) for r in records if r["status"] != "succeeded"
    )
    assert all(f["item"] == draft(f["index"]) for f in failures)
    # the lost try's keyless creates in flight are reported, and they fail the task (not retried again)
    assert statuses["outcome_unknown"] >= 1, statuses
    assert (tis["publish_customers"]["state"], tis["publish_customers"]["try_number"]) == ("failed", 2)


def draft(i: int) -> dict[str, str]:
    """Customer ``i`` as the DAG drafts it (``dags/cluster_worker_loss.py``: not imported here, as it would
    import Airflow): even ones have a key."""
    keyed = {"key": f"loss-{i:03d}"} if i % 2 == 0 else {}
    return {**keyed, "email": draft_email(i), "firstName": f"Customer {i}"}


def draft_email(i: int) -> str:
    return f"loss-{i:03d}@example.com"
