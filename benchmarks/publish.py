"""Benchmark 3 (and 4): creates through CommercetoolsPublisherOperator against a server that answers in 50 ms.

With the latency of a cloud API, a batch of creates is bounded by ``N x latency / max_workers``: the
benchmark reports how close the operator gets to that bound. The fake server answers every
connection from its own thread and sleeps outside its lock, so 32 concurrent requests wait
concurrently (its ``connections`` counter shows how many the client opened).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from export import task_log
from server_process import RESOURCE, ServerProcess, ServerStats, product_draft

LATENCY = 0.05


@dataclass(frozen=True)
class PublishRun:
    workers: int
    items: int
    seconds: float
    client_cpu: float
    stats: ServerStats
    summary: dict[str, Any]

    @property
    def bound(self) -> float:
        """The time the latency alone takes: every request waits ``LATENCY``, ``workers`` at a time."""
        return self.items * LATENCY / self.workers


def publish_once(server: ServerProcess, workers: int, items: int, run: int, workdir: str) -> PublishRun:
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

    drafts = [product_draft(run * 1_000_000 + number) for number in range(items)]
    operator = CommercetoolsPublisherOperator(
        task_id="publish",
        entity=RESOURCE,
        items=drafts,
        max_workers=workers,
        output_path=os.path.join(workdir, f"results-{workers}.jsonl"),
    )
    server.clear()
    server.reset()
    with task_log(os.path.join(workdir, "task.log")):
        cpu = time.process_time()
        started = time.perf_counter()
        summary = operator.execute({})  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    operator.hook.client.close()
    return PublishRun(workers, items, seconds, cpu, server.stats(), summary)


def run_publish(
    server: ServerProcess,
    *,
    items: int = 2_000,
    workers: tuple[int, ...] = (1, 4, 16, 32),
    single_worker_items: int = 200,
) -> list[PublishRun]:
    """One batch per ``max_workers``; the single-worker batch is smaller (2,000 x 50 ms would take 100 s)."""
    server.set_latency(LATENCY)
    workdir = tempfile.mkdtemp(prefix="ct-bench-publish-")
    try:
        publish_once(server, 4, 40, 0, workdir)  # warm-up: imports, connections
        return [
            publish_once(server, count, single_worker_items if count == 1 else items, run, workdir)
            for run, count in enumerate(workers, start=1)
        ]
    finally:
        shutil.rmtree(workdir)
        server.set_latency(0.0)


def format_publish(runs: list[PublishRun]) -> str:
    lines = [
        f"3. Creates through CommercetoolsPublisherOperator, server latency {LATENCY * 1000:.0f} ms per response",
        "",
        "| max_workers | items | s | items/s | bound s (N x 50 ms / workers) | x bound | POST | token grants "
        "| connections | client CPU s | server CPU s | succeeded |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        lines.append(
            f"| {run.workers} | {run.items:,} | {run.seconds:.2f} | {run.items / run.seconds:,.0f} | {run.bound:.2f} "
            f"| {run.seconds / run.bound:.3f} | {run.stats.api_posts:,} | {run.stats.token_grants} "
            f"| {run.stats.connections} | {run.client_cpu:.2f} | {run.stats.cpu_seconds:.2f} "
            f"| {run.summary.get('succeeded')} |"
        )
    return "\n".join(lines)
