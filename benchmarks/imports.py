"""Benchmark: 10,000 categories through the Import API against the publisher, 16 workers, 50 ms latency.

Both operators run in this process against ``FakeCommercetools(latency=0.05)`` (every answer, of the
HTTP API and of the fake Import API on its own address, waits 50 ms): the publisher sends one create
per category; the import operator sends import requests of 20, then waits for the operations it
created (state-filtered queries, never past offset 10,000; the summary only as a logged hint). It
reports the requests each sent and the time until every resource is final (imported, or the HTTP
API's 201). The fake Import API processes an operation ``--processing-delay`` seconds after it
arrived and its summaries lag by ``--summary-lag`` seconds (eventually consistent, as the spec says),
so the import's time includes that processing delay; commercetools' real processing time (minutes for
large imports, by its account) is not modelled.

    .venv/bin/python benchmarks/imports.py [--items 10000] [--workers 16] [--summary-lag 2] [--processing-delay 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from airflow_home import use_private_airflow_home
from export import task_log

use_private_airflow_home()
LATENCY = 0.05


def category(prefix: str, i: int) -> dict:
    return {"key": f"{prefix}-{i}", "name": {"en": f"Category {i}"}, "slug": {"en": f"{prefix}-{i}"}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--summary-lag", type=float, default=2.0)
    parser.add_argument("--processing-delay", type=float, default=1.0)
    parser.add_argument("--no-publisher", action="store_true")
    args = parser.parse_args()

    from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator
    from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator
    from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
    from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi

    log = os.path.join(tempfile.mkdtemp(prefix="ct-bench-imports-"), "task.log")
    rows = []
    with FakeCommercetools(latency=LATENCY) as ct:
        imports = FakeImportApi(ct, processing_delay=args.processing_delay, summary_delay=args.summary_lag)
        os.environ["AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"] = connection_json(ct, import_url=imports.url)
        pk = ct.project_key

        publisher = (
            None
            if args.no_publisher
            else CommercetoolsPublisherOperator(
                task_id="publish",
                entity="categories",
                items=[category("published", i) for i in range(args.items)],
                max_workers=args.workers,
            )
        )
        if publisher is not None:
            with task_log(log):
                started = time.perf_counter()
                published = publisher.execute({})  # type: ignore[arg-type]
                seconds = time.perf_counter() - started
            rows.append(
                (
                    "publisher (one create each)",
                    ct.count_requests("POST", f"/{pk}/categories"),
                    0,
                    len(ct.requests),
                    seconds,
                    published["succeeded"],
                )
            )
        ct.reset_log()

        importer = CommercetoolsImportOperator(
            task_id="import",
            resource_type="category",
            items=[category("imported", i) for i in range(args.items)],
            container_key="benchmark",
            max_workers=args.workers,
            poll_interval=1.0,
        )
        with task_log(log):
            started = time.perf_counter()
            imported = importer.execute({"run_id": "benchmark"})  # type: ignore[arg-type]
            seconds = time.perf_counter() - started
        posts = ct.count_requests("POST", f"/{pk}/categories/import-containers/benchmark")
        reads = ct.count_requests("GET", f"/{pk}/import-containers/benchmark/") + ct.count_requests(
            "GET", f"/{pk}/import-operations/"
        )
        rows.append(("import operator (20 a request)", posts, reads, len(ct.requests), seconds, imported["succeeded"]))
        assert len([c for c in ct.entities("categories") if c["key"].startswith("imported-")]) == args.items
        queries = [r.query for r in ct.requests if r.path.endswith("/import-operations")]
        max_offset = max((int(q.get("offset", ["0"])[0]) for q in queries), default=0)
        summaries = ct.count_requests("GET", f"/{pk}/import-containers/benchmark/import-summaries")

    print(
        f"{args.items:,} categories, max_workers={args.workers}, {LATENCY * 1000:.0f} ms per response, "
        f"operations processed {args.processing_delay:g} s after they arrive, summaries lagging {args.summary_lag:g} s"
    )
    print()
    print(
        "| operator | write requests | status reads | all requests (incl. token, container) | s until all final "
        "| succeeded |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, writes, status_reads, total, seconds, succeeded in rows:
        print(f"| {name} | {writes:,} | {status_reads:,} | {total:,} | {seconds:.2f} | {succeeded:,} |")
    print()
    print(
        f"bound for the publisher: {args.items:,} x {LATENCY * 1000:.0f} ms / {args.workers} = "
        f"{args.items * LATENCY / args.workers:.2f} s; for the import requests: "
        f"{-(-args.items // 20):,} x {LATENCY * 1000:.0f} ms / {args.workers} = "
        f"{-(-args.items // 20) * LATENCY / args.workers:.2f} s"
    )
    print(f"import operator: highest offset queried {max_offset:,}; summary reads (logged hints) {summaries}")
    print(f"(task logs: {log})")


if __name__ == "__main__":
    main()
