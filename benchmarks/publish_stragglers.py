"""The stragglers benchmark: 2,000 creates at 16 workers when 5% of the answers take 2 s (stragglers).

``.venv/bin/python benchmarks/publish_stragglers.py`` (about 1.5 minutes). The fake server runs in a
process of its own (like ``server_process.py``): every answer waits 50 ms, and a seeded random 5% of
the creates wait 2 s more (the fake's ``slow`` fault; the same answers are slow in every run). Each
response is one ``write`` of headers and body (two writes would cost ~40 ms through Nagle's
algorithm and delayed ACKs), and the client sets TCP_NODELAY.

The bound is ``items x 50 ms / workers + delayed answers x 2 s / workers``: the latency, and the
delays spread over the workers. Three runs, measured one after the other:

- the operator (results as they complete, JSON Lines files): the figure against the bound;
- the publisher layer, results as they complete (no files, no Airflow);
- the publisher layer with ``ordered=True``: results in input order with a look-ahead of
  4 x workers, as before issue 14, for contrast: one slow answer holds up every item behind it.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from airflow_home import use_private_airflow_home
from export import task_log
from server_process import RESOURCE, ServerInfo, product_draft

use_private_airflow_home()

LATENCY = 0.05
DELAY = 2.0
DELAYED_SHARE = 0.05
ITEMS = 2_000
WORKERS = 16
SEED = 5
TARGET = 1.3
CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"


def _serve(conn: Connection) -> None:
    from airflow_provider_commercetools.testing import FakeCommercetools

    fake = FakeCommercetools(latency=LATENCY, record_requests=True).start()
    conn.send(ServerInfo(fake.url, fake.project_key, fake.client_id, fake.client_secret, os.getpid()))
    posts = f"/{fake.project_key}/{RESOURCE}"
    while True:
        command = conn.recv()
        if command == "reset":  # the same seed: the same answers are slow in every run
            fake.clear()
            fake.reset_log()
            fake.set_random_faults(DELAYED_SHARE, ["slow"], seed=SEED, method="POST", path_prefix=posts, delay=DELAY)
            conn.send(None)
        elif command == "stats":
            conn.send(
                (fake.count_requests("POST", posts), fake.faults_injected.get("slow", 0), len(fake.entities(RESOURCE)))
            )
        elif command == "stop":
            fake.stop()
            conn.send(None)
            return


@dataclass(frozen=True)
class Run:
    name: str
    seconds: float
    posts: int
    delayed: int
    entities: int
    succeeded: int

    @property
    def bound(self) -> float:
        return ITEMS * LATENCY / WORKERS + self.delayed * DELAY / WORKERS


def run_operator(call: Any, workdir: str) -> int:
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

    operator = CommercetoolsPublisherOperator(
        task_id="publish",
        entity=RESOURCE,
        items=[product_draft(n) for n in range(ITEMS)],
        max_workers=WORKERS,
        output_path=os.path.join(workdir, "results.jsonl"),
    )
    with task_log(os.path.join(workdir, "task.log")):
        summary = operator.execute({})  # type: ignore[arg-type]
    operator.hook.client.close()
    return int(summary["succeeded"])


def run_layer(ordered: bool) -> int:
    from airflow_provider_commercetools.commercetools.writing import SUCCEEDED, PublishDefaults, Publisher
    from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

    client = CommercetoolsHook().client
    publisher = Publisher(
        client, PublishDefaults.create(method="POST", entity=RESOURCE), max_workers=WORKERS, ordered=ordered
    )
    prepared = publisher.prepare_all([product_draft(n) for n in range(ITEMS)])
    succeeded = sum(result.status == SUCCEEDED for result in publisher.publish(prepared))
    client.close()
    return succeeded


def main() -> None:
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    process = context.Process(target=_serve, args=(child,), name="fake-commercetools", daemon=True)
    process.start()
    info: ServerInfo = conn.recv()
    os.environ[CONNECTION_ENV] = info.connection_json()
    workdir = tempfile.mkdtemp(prefix="ct-bench-stragglers-")

    def measure(name: str, work: Any) -> Run:
        conn.send("reset")
        conn.recv()
        started = time.perf_counter()
        succeeded = work()
        seconds = time.perf_counter() - started
        conn.send("stats")
        posts, delayed, entities = conn.recv()
        return Run(name, seconds, posts, delayed, entities, succeeded)

    try:
        measure("warm-up", lambda: run_layer(False))
        runs = [
            measure("operator, as completed (files)", lambda: run_operator(conn, workdir)),
            measure("layer, as completed", lambda: run_layer(False)),
            measure("layer, ordered=True (before)", lambda: run_layer(True)),
        ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        conn.send("stop")
        conn.recv()
        process.join(timeout=10)

    print(
        f"Stragglers: {ITEMS:,} creates at {WORKERS} workers, {LATENCY * 1000:.0f} ms per answer, "
        f"{DELAYED_SHARE:.0%} of the answers {DELAY:g} s later"
    )
    print()
    print("| run | s | bound s | x bound | POST | delayed answers | entities | succeeded |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        print(
            f"| {run.name} | {run.seconds:.2f} | {run.bound:.2f} | {run.seconds / run.bound:.2f} | {run.posts:,} "
            f"| {run.delayed} | {run.entities:,} | {run.succeeded:,} |"
        )
    headline = runs[0]
    verdict = "met" if headline.seconds / headline.bound <= TARGET else "NOT met"
    print()
    print(f"Operator: {headline.seconds / headline.bound:.2f} x bound (target <= {TARGET}): {verdict}")


if __name__ == "__main__":
    main()
