"""A narrow lastModifiedAt window over a large collection, paged in ``id`` order or ``(lastModifiedAt, id)`` order.

Run: ``PYTHONPATH=. .venv/bin/python benchmarks/window_order.py`` (against the fake on 127.0.0.1; prints
requests and seconds per order). Both walk the window with the engine's ``keyset_predicate``: ``id``
order filters every id of the collection by the window (what the subscriber does today);
``(lastModifiedAt, id)`` order follows the window itself, which a database with an index on
``lastModifiedAt`` answers without scanning the collection. The fake scans in memory either way, so
its seconds say little about commercetools: measure against the emulator or a project before choosing.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from airflow_provider_commercetools.commercetools.reading.engine import keyset_predicate
from airflow_provider_commercetools.commercetools.reading.predicates import format_timestamp, modified_window
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.commercetools.clients import config_for

ENTITIES = 50_000
IN_WINDOW = 1_200  # entities one a second: the window is the last IN_WINDOW seconds but a margin
PAGE = 500
ROUNDS = 3
START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def read(client: CommercetoolsClient, keys: Sequence[str], window: str) -> tuple[int, int]:
    """Entities and requests of one keyset walk of ``window`` in the order of ``keys``."""
    after: list[str] | None = None
    count = requests = 0
    while True:
        where = [window] + ([keyset_predicate(keys, after)] if after else [])
        sort = [f"{key} asc" for key in keys]
        page = client.request(
            "GET", "products", query={"where": where, "sort": sort, "limit": PAGE, "withTotal": False}
        )
        requests += 1
        results = page["results"]
        count += len(results)
        if len(results) < PAGE:
            return count, requests
        after = [str(results[-1][key]) for key in keys]


def main() -> None:
    with FakeCommercetools() as server:
        server.add_many(
            "products",
            (
                {"key": f"p{i}", "lastModifiedAt": format_timestamp(START + dt.timedelta(seconds=i))}
                for i in range(ENTITIES)
            ),
        )
        window = modified_window(
            START + dt.timedelta(seconds=ENTITIES - IN_WINDOW), START + dt.timedelta(seconds=ENTITIES)
        )
        client = CommercetoolsClient(config_for(server))
        for keys in (("id",), ("lastModifiedAt", "id")):
            runs = []
            for _ in range(ROUNDS):
                started = time.perf_counter()
                count, requests = read(client, keys, window)
                runs.append(time.perf_counter() - started)
            assert count == IN_WINDOW, count
            print(
                f"{' + '.join(keys):>20} order: {count} of {ENTITIES} entities in {requests} requests, "
                f"best of {ROUNDS}: {min(runs):.3f} s"
            )
        client.close()


if __name__ == "__main__":
    main()
