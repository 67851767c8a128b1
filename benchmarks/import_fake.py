"""Benchmark: what the fake Import API itself costs for one large container (issue 21).

One container of ``--items`` categories, sent over HTTP in import requests of 20 by 4 threads; then
the first read (which processes every operation: stores the categories in the fake's HTTP API), a
summary (lagging by the fake's ``summary_delay``), a state-filtered page at offset 10,000 and a
Get ImportOperation by id. Prints seconds for each step and the process's peak RSS, so a test with
25,000 products can budget its time and a 200,000-operation container its memory.

    .venv/bin/python benchmarks/import_fake.py [--items 25000]
"""

from __future__ import annotations

import argparse
import resource
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from airflow_provider_commercetools.testing import FakeCommercetools, FakeImportApi


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=25_000)
    args = parser.parse_args()
    items = args.items - args.items % 20
    with FakeCommercetools(record_requests=False) as ct:
        imports = FakeImportApi(ct)
        grant = requests.post(
            f"{ct.url}/oauth/token",
            auth=(ct.client_id, ct.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=10,
        )
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
        base = f"{imports.url}/{ct.project_key}"
        session.post(f"{base}/import-containers", json={"key": "big"}, timeout=10).raise_for_status()

        def send(batch: int) -> list[str]:
            resources = [
                {"key": f"c{batch}-{j}", "name": {"en": "x"}, "slug": {"en": f"c{batch}-{j}"}} for j in range(20)
            ]
            body = {"type": "category", "resources": resources}
            answer = session.post(f"{base}/categories/import-containers/big", json=body, timeout=60)
            answer.raise_for_status()
            return [status["operationId"] for status in answer.json()["operationStatus"]]

        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            ids = [i for batch in pool.map(send, range(items // 20)) for i in batch]
        sent = time.perf_counter() - started
        time.sleep(imports.summary_delay + imports.processing_delay)

        def timed(path: str, **params: object) -> tuple[float, dict]:
            started = time.perf_counter()
            answer = session.get(f"{base}/{path}", params=params or None, timeout=600)
            answer.raise_for_status()
            return time.perf_counter() - started, answer.json()

        first, summary = timed("import-containers/big/import-summaries")
        again, _ = timed("import-containers/big/import-summaries")
        page, result = timed("import-containers/big/import-operations", state="imported", limit=500, offset=10_000)
        one, _ = timed(f"import-operations/{ids[-1]}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"items {items}: {len(set(ids))} operations, summary imported {summary['states']['imported']}")
        print(f"send (4 threads, {items // 20} requests): {sent:.1f} s ({items / sent:,.0f} operations/s)")
        print(f"first summary (processes every operation): {first:.2f} s; next summary {again:.3f} s")
        print(f"state=imported page of 500 at offset 10,000: {page:.3f} s ({result['count']} results)")
        print(f"Get ImportOperation by id: {one * 1000:.1f} ms; peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
