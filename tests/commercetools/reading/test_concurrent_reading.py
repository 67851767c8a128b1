"""Concurrent id-range reads against the fake server over real HTTP: exact, balanced, and honest on failure."""

from __future__ import annotations

import itertools
import re
import statistics
import uuid
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError, RequestError
from airflow_provider_commercetools.commercetools.reading import iter_entities, modified_window, plan_read
from airflow_provider_commercetools.commercetools.reading.concurrent import ConcurrentRead
from airflow_provider_commercetools.commercetools.reading.id_ranges import id_partitions, split_point, split_range
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.testing import FakeCommercetools


def make_client(ct: FakeCommercetools, **retry: Any) -> CommercetoolsClient:
    config = ClientConfig.create(
        project_key=ct.project_key,
        client_id=ct.client_id,
        client_secret=ct.client_secret,
        api_url=ct.url,
        auth_url=ct.url,
        retry=RetryPolicy(**retry) if retry else None,
    )
    return CommercetoolsClient(config)


def read_ids(client: CommercetoolsClient, **plan: Any) -> list[str]:
    plan.setdefault("entity", "products")
    read = plan_read(**plan)
    return [e["id"] for page in read.pages(client) for e in page.results]


def skewed_ids(count: int, dense_share: float = 0.9) -> list[str]:
    """90% of the ids in one sixteenth of the id space (prefix "3"), the rest spread evenly."""
    dense = int(count * dense_share)
    ids = [f"3{uuid.uuid4().hex[1:8]}-{uuid.uuid4()}"[:36] for _ in range(dense)]
    ids += [str(uuid.uuid4()) for _ in range(count - dense)]
    return ids


# ------------------------------------------------------------------------------------- id ranges


def test_split_range_gives_adjacent_disjoint_ranges_that_cover_the_bounds():
    assert split_range(None, None, 1) == [(None, None)]
    ranges = split_range(None, None, 4)
    assert ranges == [(None, "40000000"), ("40000000", "80000000"), ("80000000", "c0000000"), ("c0000000", None)]
    inside = split_range("4", "8", 4)
    assert inside[0][0] == "4" and inside[-1][1] == "8"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(inside))


def test_split_point_lies_strictly_inside_or_is_none():
    point = split_point("3a000000-0000", "3b")
    assert point is not None and "3a000000-0000" < point < "3b"
    assert split_point("3a000000", "3a000001") is None  # too narrow
    assert split_point("key-shaped", None) is None  # not a hex id: read to its end


# ---------------------------------------------------------------------------------------- exact


@pytest.mark.parametrize("concurrency", [1, 2, 4, 8, 16])
def test_every_entity_once_at_any_concurrency(commercetools_server, client, concurrency):
    ids = commercetools_server.add_many("products", ({"key": f"p{i}"} for i in range(2_000)))

    read = read_ids(client, page_size=50, concurrency=concurrency)

    assert sorted(read) == sorted(ids)
    assert len(read) == len(set(read))
    assert commercetools_server.token_grants == 1  # one client, one token, whatever the threads


def test_exact_with_where_window_max_items_and_partition(commercetools_server, client):
    ct = commercetools_server
    old = ct.add_many("products", ({"key": f"o{i}", "lastModifiedAt": "2026-10-01T00:00:00.000Z"} for i in range(600)))
    new = ct.add_many(
        "products", ({"key": f"n{i}", "lastModifiedAt": "2026-11-05T00:00:00.000Z", "n": i} for i in range(900))
    )
    assert old  # two kinds of entities: only the window's are read

    windowed = read_ids(client, page_size=40, concurrency=8, modified_since="2026-11-01T00:00:00Z")
    assert sorted(windowed) == sorted(new)

    where = read_ids(client, page_size=40, concurrency=8, query={"where": "n >= 450"})
    expected = sorted(e["id"] for e in ct.entities("products") if e.get("n", -1) >= 450)
    assert sorted(where) == expected

    limited = read_ids(client, page_size=40, concurrency=8, max_items=333)
    assert len(limited) == 333 and len(set(limited)) == 333

    parts = [read_ids(client, page_size=40, concurrency=4, partition={"index": i, "count": 3}) for i in range(3)]
    assert sorted(i for part in parts for i in part) == sorted(old + new)
    for index, part in enumerate(parts):
        assert all(id_partitions(3)[index].contains(i) for i in part)


def test_pages_of_a_range_come_in_id_order(commercetools_server, client):
    commercetools_server.add_many("products", ({"key": f"p{i}"} for i in range(1_500)))
    by_range: dict[int, list[str]] = {}
    for page in plan_read(entity="products", page_size=30, concurrency=6).pages(client):
        assert page.range_index is not None
        by_range.setdefault(page.range_index, []).extend(e["id"] for e in page.results)
    assert all(ids == sorted(ids) for ids in by_range.values())


# --------------------------------------------------------------------------------- work stealing


def run_skewed(ct: FakeCommercetools, client: CommercetoolsClient, *, steal: bool) -> ConcurrentRead:
    read = ConcurrentRead(client, "products", query={}, concurrency=8, page_size=25, steal=steal)
    ids = [e["id"] for page in read.pages() for e in page.results]
    assert sorted(ids) == sorted(e["id"] for e in ct.entities("products"))
    return read


def test_a_skewed_collection_keeps_every_thread_busy_to_the_end(commercetools_server, client):
    ct = commercetools_server
    ct.add_many("products", ({"id": i} for i in skewed_ids(4_000)))
    ct.latency = 0.005  # each request waits on the server, as on a real network: threads overlap

    balanced = run_skewed(ct, client, steal=True)
    unbalanced = run_skewed(ct, client, steal=False)

    # With stealing, every thread did a fair share of the requests; without, one thread did nearly all.
    mean = statistics.mean(balanced.worker_requests)
    assert min(balanced.worker_requests) >= 0.5 * mean, balanced.worker_requests
    assert balanced.splits > 0
    assert max(unbalanced.worker_requests) > 0.8 * sum(unbalanced.worker_requests), unbalanced.worker_requests

    # Busy to the end: every thread sent one of the last tenth of all requests (ordered by when they
    # ended: an order of events, not a duration). Without stealing, most threads stop after a few.
    def busy_at_the_end(read: ConcurrentRead) -> int:
        ends = sorted(end for busy in read.worker_busy for _, end in busy)
        tail = ends[int(len(ends) * 0.9)]
        return sum(1 for busy in read.worker_busy if busy[-1][1] >= tail)

    assert busy_at_the_end(balanced) == 8
    assert busy_at_the_end(unbalanced) < 8


# ------------------------------------------------------------------------------------- failures


class FailingRange(FakeCommercetools):
    """Answers 503 to every page request that continues a range past an id starting with 8 or 9."""

    failing = True

    def __init__(self) -> None:
        super().__init__()
        self.mount(self._failing_range)

    def _failing_range(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> Any:
        if self.failing and method == "GET" and any(re.match(r'.*id > "[89]', w) for w in query.get("where", [])):
            from airflow_provider_commercetools.testing.fake.http import Response, dumps, error_body

            return Response(503, dumps(error_body(503, "OverCapacity", "Try again later.")))
        return None


def test_a_failing_range_stops_the_read_and_says_per_range_how_far_and_how_to_resume():
    with FailingRange() as ct:
        ids = ct.add_many("products", ({"key": f"p{i}"} for i in range(3_000)))
        client = make_client(ct, max_attempts=2, initial_backoff=0.0)
        plan = plan_read(entity="products", page_size=50, concurrency=4)
        received: list[str] = []
        with pytest.raises(RequestError) as caught:
            for page in plan.pages(client, written_to="/data/products.jsonl"):
                received.extend(e["id"] for e in page.results)
        message = str(caught.value)
        assert "HTTP 503" in message
        written = f"Export incomplete: {len(received):,} products entities were written to '/data/products.jsonl'"
        assert written in message
        assert "failed here, read up to id '8" in message or "failed here, read up to id '9" in message
        assert "Run the task again to read everything (a complete run writes output_path whole)" in message
        predicate = re.search(r"add the predicate '(.+?)' to query\['where'\]", message)
        assert predicate, message

        # Nothing silently missing: what was received plus what the predicate reads is the collection, once.
        ct.failing = False
        rest = [e["id"] for e in iter_entities(client, "products", query={"where": predicate.group(1)})]
        assert sorted(received + rest) == sorted(ids)
        assert not set(received) & set(rest)
        client.close()


# --------------------------------------------------------------------------------------- checks


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"concurrency": 0}, r"concurrency: 0 is not an integer between 1 and 32"),
        ({"concurrency": 33}, r"concurrency: 33 is not an integer between 1 and 32"),
        ({"concurrency": "eight"}, r"concurrency: 'eight' is not an integer"),
        ({"concurrency": 4, "query": {"sort": "createdAt asc"}}, r"concurrency: 4 needs a paged read in id order"),
        ({"concurrency": 4, "query": {"sort": "id desc"}}, r"concurrency: 4 needs a paged read in id order"),
        ({"concurrency": 4, "paginate": False}, r"is one request \(paginate=False\)"),
        ({"concurrency": 4, "path": {"id": "abc"}}, r"concurrency: cannot apply to a read of one entity"),
    ],
)
def test_bad_concurrency_fails_before_any_request(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        plan_read(entity="products", **kwargs)


def test_concurrency_as_rendered_digits():
    assert plan_read(entity="products", concurrency="8").concurrency == 8
    assert modified_window("2026-01-01")  # the window helper is still importable from pagination
