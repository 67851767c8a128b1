"""Windows read in ``(lastModifiedAt, id)`` order against the fake over real HTTP: planned before any request,
exact at ties and bounds, exact with concurrent time ranges, honest on a server that ignores the sort."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import (
    ConfigurationError,
    RequestError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.reading import iter_entities, plan_read
from airflow_provider_commercetools.commercetools.reading.concurrent import ConcurrentRead
from airflow_provider_commercetools.commercetools.reading.modified_order import (
    MODIFIED_SPACE,
    ModifiedPaging,
    check_modified_page,
)
from airflow_provider_commercetools.commercetools.reading.paging import KeysetPaging, OffsetPaging
from airflow_provider_commercetools.commercetools.reading.predicates import format_timestamp
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.messages_support import update

START = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
SINCE, UNTIL = "2026-03-01T00:00:00.000Z", "2026-03-01T00:00:10.000Z"


def at(milliseconds: int) -> str:
    return format_timestamp(START + dt.timedelta(milliseconds=milliseconds))


def seed(ct: FakeCommercetools, stamps: list[int]) -> dict[str, str]:
    """One product per entry, modified at START + that many ms; returns {id: lastModifiedAt}."""
    ids = ct.add_many("products", ({"key": f"p{i}", "lastModifiedAt": at(ms)} for i, ms in enumerate(stamps)))
    return dict(zip(ids, (at(ms) for ms in stamps), strict=True))


def in_window(rows: dict[str, str], since: str = SINCE, until: str = UNTIL) -> list[str]:
    return sorted(i for i, t in rows.items() if since <= t < until)


def product_requests(ct: FakeCommercetools) -> list[Any]:
    return [r for r in ct.requests if r.path.endswith("/products")]


# ------------------------------------------------------------------------------------------- planning


def test_auto_reads_a_window_with_an_end_in_the_modified_order():
    plan = plan_read(entity="products", modified_since=SINCE, modified_until=UNTIL)
    assert plan.order == "modified" and plan.strategy is ModifiedPaging
    assert plan.query["sort"] == ["lastModifiedAt asc", "id asc"]
    assert "in lastModifiedAt order" in plan.describe()


@pytest.mark.parametrize(
    ("kwargs", "strategy"),
    [
        ({"modified_since": SINCE}, KeysetPaging),  # no end: a row modified while reading would come again
        ({}, KeysetPaging),
        ({"modified_until": UNTIL, "query": {"sort": "key asc"}}, OffsetPaging),  # the caller's own sort
        ({"modified_since": SINCE, "modified_until": UNTIL, "order": "id"}, KeysetPaging),
        ({"modified_until": UNTIL, "order": " modified "}, ModifiedPaging),  # a rendered template's text
        ({"query": {"sort": ["lastModifiedAt asc", "id asc"]}}, ModifiedPaging),  # the order asked by its sort
    ],
)
def test_which_order_a_read_takes(kwargs, strategy):
    plan = plan_read(entity="products", **kwargs)
    assert plan.strategy is strategy
    assert plan.order == ("modified" if strategy is ModifiedPaging else "id")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"order": "newest"}, r"^order: 'newest' is not an order of a read\..*'auto'.*'id'.*'modified'"),
        ({"order": "modified", "modified_since": SINCE}, r"^order: 'modified' cannot apply: it needs modified_until"),
        ({"order": "modified", "modified_until": UNTIL, "query": {"sort": "key asc"}}, r"query\['sort'\]"),
        ({"order": "modified", "modified_until": UNTIL, "paginate": False}, r"paginate=False"),
        ({"order": "modified", "path": {"key": "a"}}, r"^order: cannot apply to a read of one entity"),
        ({"order": 3}, r"^order: 3 is not an order"),
    ],
)
def test_a_bad_order_fails_before_any_request_naming_the_parameter(ct, client, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        plan_read(entity="products", **kwargs)
    assert product_requests(ct) == []


# ------------------------------------------------------------------------------------- reading pages


def test_the_fake_sorts_by_two_keys_and_evaluates_the_continuation_like_commercetools(ct, client):
    rows = seed(ct, [5, 5, 5, 5, 3, 3, 9, 10_000, -1])
    order = sorted((t, i) for i, t in rows.items() if SINCE <= t < UNTIL)
    after_time, after_id = order[3]  # the second of four ties at 5 ms
    page = client.request(
        "GET",
        "products",
        query={
            "sort": ["lastModifiedAt asc", "id asc"],
            "where": [
                f'lastModifiedAt >= "{SINCE}" and lastModifiedAt < "{UNTIL}"',
                f'(lastModifiedAt > "{after_time}" or (lastModifiedAt = "{after_time}" and id > "{after_id}"))',
            ],
            "withTotal": False,
        },
    )
    assert [(e["lastModifiedAt"], e["id"]) for e in page["results"]] == order[4:]
    assert "total" not in page


def test_the_window_is_walked_in_modified_order_with_the_keyset_on_the_wire(ct, client):
    rows = seed(ct, [i * 7 for i in range(2_000)])  # 0 .. 13.993 s: the window holds the first 1,429
    plan = plan_read(entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=100)

    read = [e for page in plan.pages(client) for e in page.results]

    assert sorted(e["id"] for e in read) == in_window(rows) and len(read) == len(in_window(rows))
    keys = [(e["lastModifiedAt"], e["id"]) for e in read]
    assert keys == sorted(keys)
    requests = product_requests(ct)
    assert len(requests) == 15  # 1,429 rows in pages of 100: the last page is short
    first, second = requests[0].query, requests[1].query
    assert first["sort"] == ["lastModifiedAt asc", "id asc"] and first["withTotal"] == ["false"]
    assert first["where"] == [f'lastModifiedAt >= "{SINCE}" and lastModifiedAt < "{UNTIL}"']
    last = read[99]
    assert second["where"][1] == (
        f'(lastModifiedAt > "{last["lastModifiedAt"]}" or '
        f'(lastModifiedAt = "{last["lastModifiedAt"]}" and id > "{last["id"]}"))'
    )


def test_ties_on_equal_lastmodifiedat_and_the_bounds_are_exact(ct, client):
    # 3 instants with 95 rows each across pages of 10, rows at the window's start (in), at its end (out),
    # 1 ms before the end (in) and 1 ms before the start (out).
    stamps = [0] * 95 + [5_000] * 95 + [9_999] * 95 + [10_000] * 30 + [-1] * 30 + [4_999, 5_001]
    rows = seed(ct, stamps)
    for page_size in (1, 7, 10, 95, 500):
        ct.reset_log()
        read = [
            e["id"]
            for e in iter_entities(
                client,
                "products",
                query={
                    "where": f'lastModifiedAt >= "{SINCE}" and lastModifiedAt < "{UNTIL}"',
                    "sort": ["lastModifiedAt asc", "id asc"],
                },
                page_size=page_size,
            )
        ]
        assert sorted(read) == in_window(rows) and len(read) == len(set(read)) == 95 * 3 + 2, page_size


def test_a_row_modified_while_the_window_is_read_leaves_it_for_a_later_window(ct, client):
    rows = seed(ct, list(range(0, 3_000, 10)))  # 300 rows, one every 10 ms
    plan = plan_read(entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=50)
    ordered = sorted(rows, key=lambda i: (rows[i], i))
    read_before, unread = ordered[10], ordered[200]
    pages = plan.pages(client)
    got = [e for e in next(pages).results]
    for entity_id in (read_before, unread):  # written now: lastModifiedAt after the window's end
        update(ct, "products", ct.get_entity("products", entity_id), [{"action": "setKey", "key": f"new-{entity_id}"}])
    got += [e for page in pages for e in page.results]

    ids = [e["id"] for e in got]
    assert len(ids) == len(set(ids)) == 299 and unread not in ids
    assert next(e for e in got if e["id"] == read_before)["version"] == 1  # as it was when read
    later = plan_read(
        entity="products",
        modified_since=UNTIL,
        modified_until=format_timestamp(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)),
    )
    assert sorted(e["id"] for p in later.pages(client) for e in p.results) == sorted([read_before, unread])


def test_keep_results_false_keeps_what_the_keyset_continues_after(ct, client):
    rows = seed(ct, [i % 40 for i in range(300)])  # 40 instants, ties across pages
    plan = plan_read(entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=25)
    pages = list(plan.pages(client, keep_text=True, keep_results=False))
    assert sorted(e["id"] for p in pages for e in p.results) == in_window(rows)
    assert all(set(e) == {"id", "lastModifiedAt"} for p in pages for e in p.results)


def test_a_failure_part_way_names_the_modified_continuation(ct, client):
    seed(ct, list(range(300)))
    plan = plan_read(entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=100)
    pages = plan.pages(client)
    first = next(pages)
    ct.inject("500", times=20, method="GET", path_prefix=f"/{ct.project_key}/products")
    with pytest.raises(RequestError) as raised:
        list(pages)
    last = first.results[-1]
    hint = str(raised.value)
    assert f"up to lastModifiedAt {last['lastModifiedAt']!r}, id {last['id']!r}" in hint
    t = last["lastModifiedAt"]
    resume = f'(lastModifiedAt > "{t}" or (lastModifiedAt = "{t}" and id > "{last["id"]}"))'
    assert f"add the predicate {resume!r} to query['where']" in hint


def test_a_page_out_of_modified_order_stops_the_read():
    rows = [{"id": "b", "lastModifiedAt": at(1)}, {"id": "a", "lastModifiedAt": at(1)}]
    with pytest.raises(UnexpectedResponseError, match="not sorted by 'lastModifiedAt asc, id asc'"):
        check_modified_page(rows, None, 1, "products")
    with pytest.raises(UnexpectedResponseError, match="not sorted"):  # does not continue after the key asked
        check_modified_page([{"id": "a", "lastModifiedAt": at(1)}], (at(1), "a"), 2, "products")
    with pytest.raises(UnexpectedResponseError, match="no lastModifiedAt"):
        check_modified_page([{"id": "a"}], None, 1, "products")
    # instants, not strings: the same instant written without milliseconds is not "after" it
    with pytest.raises(UnexpectedResponseError):
        check_modified_page([{"id": "a", "lastModifiedAt": "2026-03-01T00:00:00Z"}], (SINCE, "a"), 2, "products")
    check_modified_page(
        [{"id": "a", "lastModifiedAt": at(1)}, {"id": "b", "lastModifiedAt": at(1)}], (at(0), "z"), 2, "p"
    )


# ------------------------------------------------------------------------------- concurrent time ranges


def test_time_ranges_split_at_whole_milliseconds_and_cover_the_window():
    ranges = MODIFIED_SPACE.split(SINCE, UNTIL, 4)
    assert ranges == [(SINCE, at(2_500)), (at(2_500), at(5_000)), (at(5_000), at(7_500)), (at(7_500), UNTIL)]
    assert MODIFIED_SPACE.split(SINCE, at(2), 8) == [(SINCE, at(1)), (at(1), at(2))]  # no empty range
    assert MODIFIED_SPACE.split(None, UNTIL, 2)[0][0] is None  # an open start stays open
    point = MODIFIED_SPACE.split_point(SINCE, (at(3), "zz"), UNTIL)
    assert point is not None and at(3) < point < UNTIL
    assert MODIFIED_SPACE.split_point(SINCE, (at(3), "a"), at(4)) is None  # no whole ms between


@pytest.mark.parametrize("concurrency", [2, 3, 8])
def test_concurrent_time_ranges_read_every_row_of_the_window_once(ct, client, concurrency):
    # Rows on every split point (2,500 / 3,333 / 1,250 ms...), bursts of ties, and a dense stretch.
    stamps = [0, 9_999, 10_000, -1] + [1_250, 2_500, 3_333, 3_334, 5_000, 6_666, 6_667, 7_500, 8_750] * 20
    stamps += [4_000 + (i % 50) for i in range(1_500)]
    rows = seed(ct, stamps)
    plan = plan_read(
        entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=20, concurrency=concurrency
    )

    pages = list(plan.pages(client))

    ids = [e["id"] for p in pages for e in p.results]
    assert sorted(ids) == in_window(rows) and len(ids) == len(set(ids))
    assert plan.concurrent is not None and plan.concurrent.space is MODIFIED_SPACE
    by_range: dict[int, list[tuple[str, str]]] = {}
    for page in pages:
        by_range.setdefault(page.range_index, []).extend((e["lastModifiedAt"], e["id"]) for e in page.results)
    assert all(keys == sorted(keys) for keys in by_range.values())
    sent = [w for r in product_requests(ct) for w in r.query["where"]]
    assert all(re.search(r'lastModifiedAt < "[^"]+"$', w) for w in sent)  # each request bounded by its range's end
    assert f'lastModifiedAt >= "{SINCE}" and lastModifiedAt < "{UNTIL}"' not in sent  # the window went to the ranges


def test_work_stealing_splits_a_dense_time_range(ct, client):
    stamps = [3_000 + i // 4 for i in range(2_000)] + [9_000]  # 2,000 rows in 0.5 s of a 10 s window
    rows = seed(ct, stamps)
    read = ConcurrentRead(
        client, "products", query={}, concurrency=4, page_size=25, lower=SINCE, upper=UNTIL, space=MODIFIED_SPACE
    )
    ids = [e["id"] for page in read.pages() for e in page.results]
    assert sorted(ids) == in_window(rows) and len(ids) == len(set(ids))
    assert read.splits > 0 and sum(1 for n in read.worker_requests if n > 2) >= 2


def test_concurrency_with_partition_and_max_items_in_modified_order(ct, client):
    rows = seed(ct, [i * 3 for i in range(1_000)])
    parts = [
        plan_read(
            entity="products",
            modified_since=SINCE,
            modified_until=UNTIL,
            page_size=30,
            concurrency=3,
            partition={"index": i, "count": 2},
        )
        for i in range(2)
    ]
    ids = [e["id"] for plan in parts for p in plan.pages(client) for e in p.results]
    assert sorted(ids) == in_window(rows) and len(ids) == len(set(ids))
    limited = plan_read(
        entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=30, concurrency=3, max_items=77
    )
    got = [e["id"] for p in limited.pages(client) for e in p.results]
    assert len(got) == len(set(got)) == 77


def test_a_failing_time_range_says_how_far_each_range_was_read(ct, client):
    seed(ct, [i * 5 for i in range(1_000)])
    plan = plan_read(entity="products", modified_since=SINCE, modified_until=UNTIL, page_size=50, concurrency=2)
    ct.inject("500", times=50, method="GET", path_prefix=f"/{ct.project_key}/products")
    with pytest.raises(RequestError) as raised:
        list(plan.pages(client))
    text = str(raised.value)
    assert "read by 2 time ranges of the window" in text
    assert re.search(r'range \d \(lastModifiedAt >= "2026-03-01T00:00:0\d\.\d{3}Z"', text)


def test_pairs_never_repeat_across_ranges():
    ranges = MODIFIED_SPACE.split(SINCE, UNTIL, 7)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert ranges[0][0] == SINCE and ranges[-1][1] == UNTIL
