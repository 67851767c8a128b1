"""Benchmark: the fake's writes with its uniqueness rules (testing/fake/uniqueness.py).

``PYTHONPATH=. python benchmarks/fake_uniqueness.py [N]`` (default N=25,000; the package is imported
from PYTHONPATH, so the same script measures another checkout: ``PYTHONPATH=/path/to/other``):

1. seeding (``add_many``, in process): N categories (slug in 2 locales), N products (draft form: slug
   in 2 locales, a master variant and 2 variants with SKUs and keys), N customers (a third of them in
   one of 3 Stores);
2. over HTTP (one client thread): 2,000 product creates, then 2,000 ``changeSlug`` updates, against
   the seeded fake; per write, median and total.

Numbers are printed; BENCHMARKS.md records a run with its command.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import requests

from airflow_provider_commercetools.testing import FakeCommercetools

HTTP_WRITES = 2_000


def _product(i: int, prefix: str = "p") -> dict[str, Any]:
    variants = [{"sku": f"{prefix}-{i}-{v}", "key": f"v{v}"} for v in range(3)]
    return {
        "key": f"{prefix}-{i}",
        "name": {"en": f"Product {i}"},
        "slug": {"en": f"{prefix}-{i}", "de": f"{prefix}-de-{i}"},
        "productType": {"typeId": "product-type", "id": "t"},
        "masterVariant": variants[0],
        "variants": variants[1:],
    }


def _seed(ct: FakeCommercetools, n: int) -> None:
    rows = {
        "categories": [{"key": f"c-{i}", "slug": {"en": f"c-{i}", "de": f"k-{i}"}} for i in range(n)],
        "products": [_product(i) for i in range(n)],
        "customers": [
            {"key": f"u-{i}", "email": f"User{i}@example.com"}
            | ({"stores": [{"typeId": "store", "key": f"s{i % 3}"}]} if i % 3 == 0 else {})
            for i in range(n)
        ],
    }
    for resource, entities in rows.items():
        start = time.perf_counter()
        ct.add_many(resource, entities)
        took = time.perf_counter() - start
        print(f"seed {n:,} {resource}: {took:.2f} s ({took / n * 1e6:.1f} us each)")


def _http(ct: FakeCommercetools) -> None:
    base = f"{ct.url}/{ct.project_key}"
    token = requests.post(
        f"{ct.url}/oauth/token",
        auth=(ct.client_id, ct.client_secret),
        data={"grant_type": "client_credentials"},
        timeout=10,
    ).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    created: list[dict[str, Any]] = []
    times: list[float] = []
    for i in range(HTTP_WRITES):
        start = time.perf_counter()
        response = session.post(f"{base}/products", json=_product(i, "h"), timeout=10)
        times.append(time.perf_counter() - start)
        assert response.status_code == 201, response.text
        created.append(response.json())
    print(f"HTTP create product x{HTTP_WRITES:,}: {sum(times):.2f} s, median {statistics.median(times) * 1e3:.2f} ms")
    times = []
    for i, entity in enumerate(created):
        body = {"version": entity["version"], "actions": [{"action": "changeSlug", "slug": {"en": f"h-new-{i}"}}]}
        start = time.perf_counter()
        response = session.post(f"{base}/products/{entity['id']}", json=body, timeout=10)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
    print(f"HTTP changeSlug x{HTTP_WRITES:,}: {sum(times):.2f} s, median {statistics.median(times) * 1e3:.2f} ms")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 25_000
    with FakeCommercetools() as ct:
        _seed(ct, n)
        _http(ct)


if __name__ == "__main__":
    main()
