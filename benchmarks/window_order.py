"""A narrow lastModifiedAt window over a large collection, read in ``id`` order or ``(lastModifiedAt, id)`` order.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/window_order.py`` (needs ``npm ci --prefix emulator`` for the
emulator half). Seeds 50,000 entities, one every second, into the fake (products) and into the emulator
(categories), then reads windows of the last 1,200 and 60 seconds with the provider's own read
(``plan_read(..., order="id" | "modified", concurrency=1 | 4)``, the paging engine), and prints per order:
requests, pages, entities, the rows an index walk examines (from the data, see below) and seconds
(best of 5, after a warm-up read of each kind).

Rows an index walk examines: ``id`` order walks the id index and tests every row against the window,
so it examines the whole collection whatever the window; ``(lastModifiedAt, id)`` order, given an index
on ``lastModifiedAt``, examines only the window's rows. This column is computed from the seeded data,
not measured inside a server: neither the fake nor the emulator has such an index (both filter every
row in memory, in either order), and commercetools does not document its indexes.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_commercetools.commercetools.reading import plan_read
from airflow_provider_commercetools.commercetools.reading.predicates import format_timestamp
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.testing import FakeCommercetools
from emulator import Emulator

ENTITIES = 50_000
WINDOWS = (1_200, 60)  # seconds, the last ones of the collection (one entity a second)
ROUNDS = 5
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ORDERS = (("id", 1), ("modified", 1), ("id", 4), ("modified", 4))


def stamp(second: int) -> str:
    return format_timestamp(START + dt.timedelta(seconds=second))


def measure(client: CommercetoolsClient, entity: str, width: int, order: str, concurrency: int) -> dict[str, Any]:
    """One read of the window of the last ``width`` seconds: entities, requests, pages, best seconds."""
    runs, counted = [], {}
    for _ in range(ROUNDS):
        plan = plan_read(
            entity=entity,
            modified_since=stamp(ENTITIES - width),
            modified_until=stamp(ENTITIES),
            order=order,
            concurrency=concurrency,
        )
        started = time.perf_counter()
        pages = list(plan.pages(client, keep_text=True, keep_results=False))
        runs.append(time.perf_counter() - started)
        count = sum(p.count for p in pages)
        assert count == width, (order, concurrency, count)
        # a sequential read sends one request per page; the threads of a concurrent one count theirs
        requests = sum(plan.concurrent.worker_requests) if plan.concurrent is not None else len(pages)
        counted = {"entities": count, "pages": len(pages), "requests": requests}
    examined = ENTITIES if order == "id" else width
    return {**counted, "examined": examined, "seconds": min(runs)}


def report(server: str, client: CommercetoolsClient, entity: str) -> None:
    for order, concurrency in ORDERS:  # warm-up (connections, token, the emulator's JIT), not reported
        measure(client, entity, WINDOWS[0], order, concurrency)
    print(f"{server}: load average {os.getloadavg()[0]:.1f}")
    for width in WINDOWS:
        for order, concurrency in ORDERS:
            row = measure(client, entity, width, order, concurrency)
            print(
                f"{server:>8} | window {width:>5} of {ENTITIES} | {order:>8} order, concurrency {concurrency} | "
                f"{row['requests']:>3} requests, {row['pages']:>3} pages, {row['entities']:>5} entities, "
                f"{row['examined']:>6} rows examined by an index walk | best of {ROUNDS}: {row['seconds']:.3f} s"
            )


def client_for(project_key: str, client_id: str, secret: str, url: str) -> CommercetoolsClient:
    config = ClientConfig.create(
        project_key=project_key, client_id=client_id, client_secret=secret, api_url=url, auth_url=url
    )
    return CommercetoolsClient(config)


def with_client(make: Callable[[], CommercetoolsClient], run: Callable[[CommercetoolsClient], None]) -> None:
    client = make()
    try:
        run(client)
    finally:
        client.close()


def main() -> None:
    with FakeCommercetools() as fake:
        fake.add_many("products", ({"key": f"p{i}", "lastModifiedAt": stamp(i)} for i in range(ENTITIES)))
        with_client(
            lambda: client_for(fake.project_key, fake.client_id, fake.client_secret, fake.url),
            lambda client: report("fake", client, "products"),
        )
    with Emulator(project_key="window-order") as emu:
        drafts = (
            {"key": f"c{i}", "name": {"en": f"c{i}"}, "slug": {"en": f"c{i}"}, "lastModifiedAt": stamp(i)}
            for i in range(ENTITIES)
        )
        emu.seed("category", drafts, "unsafe")
        with_client(
            lambda: client_for(emu.project_key, emu.client_id, emu.client_secret, emu.url),
            lambda client: report("emulator", client, "categories"),
        )


if __name__ == "__main__":
    main()
