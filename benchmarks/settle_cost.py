"""What the settle rule adds to a windowed read: requests and seconds, against the fake on 127.0.0.1.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/settle_cost.py`` (prints one line per variant).
A settled window (in the past) is read with and without the server-clock check that
CommercetoolsSubscriberOperator makes before the first page.
"""

from __future__ import annotations

import time

from airflow_provider_commercetools.commercetools.reading import plan_read
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.testing import FakeCommercetools

ENTITIES = 2_000
ROUNDS = 5


def read(server: FakeCommercetools, clock_check: bool) -> tuple[float, int]:
    """Seconds and API requests of one windowed read by a new client (as a task makes it)."""
    config = ClientConfig.create(
        project_key=server.project_key,
        client_id=server.client_id,
        client_secret=server.client_secret,
        api_url=server.url,
        auth_url=server.url,
    )
    server.reset_log()
    started = time.perf_counter()
    client = CommercetoolsClient(config)
    plan = plan_read(entity="products", modified_since="2026-01-01", modified_until="2026-01-02")
    if clock_check:
        client.server_time(plan.path)
    count = sum(len(page.results) for page in plan.pages(client))
    seconds = time.perf_counter() - started
    client.close()
    assert count == ENTITIES
    return seconds, server.count_requests() - server.count_requests(path_prefix="/oauth")


def main() -> None:
    with FakeCommercetools() as server:
        server.add_many(
            "products", ({"key": f"p{i}", "lastModifiedAt": "2026-01-01T12:00:00.000Z"} for i in range(ENTITIES))
        )
        for clock_check in (False, True):
            runs = [read(server, clock_check) for _ in range(ROUNDS)]
            best = min(seconds for seconds, _ in runs)
            label = "on " if clock_check else "off"
            print(f"clock check {label}: {runs[0][1]} API requests, best of {ROUNDS}: {best:.3f} s")


if __name__ == "__main__":
    main()
