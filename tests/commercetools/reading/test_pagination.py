"""Tests of the pagination layer: a tiny in-memory client for the query shapes, the fake server for the proof."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import re
import uuid
from typing import Any

import pendulum
import pytest

from airflow_provider_commercetools.commercetools.errors import (
    ConfigurationError,
    PaginationLimitError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.reading import (
    MAX_OFFSET,
    Page,
    choose_strategy,
    decode_page,
    format_timestamp,
    id_partitions,
    iter_entities,
    iter_pages,
    modified_window,
    to_utc_datetime,
)
from airflow_provider_commercetools.commercetools.reading.pages import decode_page_ids
from airflow_provider_commercetools.testing import FakeCommercetools

# ------------------------------------------------------------------------------------ a tiny client

_AFTER = re.compile(r'^id ([<>]) "([^"]*)"$')


class ListClient:
    """Serves pages of an in-memory list; understands only the keyset predicate and limit/offset."""

    def __init__(self, ids: list[str], *, with_total: bool = True, ignore_where: bool = False) -> None:
        self.entities = [{"id": i} for i in ids]
        self.with_total = with_total
        self.ignore_where = ignore_where
        self.queries: list[dict[str, Any]] = []

    def request(self, method: str, path: str, *, query: Any = None) -> Any:
        assert method == "GET"
        query = dict(query or {})
        self.queries.append(query)
        items = sorted(self.entities, key=lambda e: e["id"], reverse=query.get("sort") == "id desc")
        for predicate in query.get("where") or []:
            match = _AFTER.match(predicate)
            if match and not self.ignore_where:
                op, last = match.groups()
                items = [e for e in items if (e["id"] > last if op == ">" else e["id"] < last)]
        offset = query.get("offset", 0)
        body: dict[str, Any] = {"results": items[offset : offset + query["limit"]]}
        if self.with_total and query.get("withTotal"):
            body["total"] = len(items)
        return body


def hex_ids(count: int) -> list[str]:
    return [f"{i:08x}" for i in range(count)]


# ------------------------------------------------------------------------------ keyset, in memory


def test_keyset_pages_carry_the_last_id_and_stop_on_a_short_page():
    client = ListClient(hex_ids(25))
    pages = list(iter_pages(client, "products", page_size=10))

    assert [p.count for p in pages] == [10, 10, 5]
    assert [p.number for p in pages] == [1, 2, 3]
    assert [p.entities_so_far for p in pages] == [10, 20, 25]
    assert all(isinstance(p, Page) and p.strategy == "keyset" for p in pages)
    assert [q["where"] for q in client.queries] == [[], ['id > "00000009"'], ['id > "00000013"']]
    assert all(q["sort"] == "id asc" and q["withTotal"] is False and q["limit"] == 10 for q in client.queries)


def test_keyset_ands_the_callers_where_and_keeps_other_parameters():
    client = ListClient(hex_ids(5))
    query = {"where": ['color = "red"', "version > 1"], "expand": ["productType"], "var.x": "1"}
    list(iter_pages(client, "products", query=query, page_size=2))

    assert client.queries[1]["where"] == ['color = "red"', "version > 1", 'id > "00000001"']
    assert client.queries[1]["expand"] == ["productType"]
    assert client.queries[1]["var.x"] == "1"
    assert query == {"where": ['color = "red"', "version > 1"], "expand": ["productType"], "var.x": "1"}


def test_a_full_last_page_costs_one_empty_request():
    client = ListClient(hex_ids(20))
    pages = list(iter_pages(client, "products", page_size=10))
    assert [p.count for p in pages] == [10, 10, 0]


def test_max_items_asks_for_no_more_than_needed():
    client = ListClient(hex_ids(100))
    ids = [e["id"] for e in iter_entities(client, "products", page_size=10, max_items=25)]

    assert ids == hex_ids(25)
    assert [q["limit"] for q in client.queries] == [10, 10, 5]


def test_sort_by_id_descending_walks_downwards():
    client = ListClient(hex_ids(7))
    ids = [e["id"] for e in iter_entities(client, "products", query={"sort": "id desc"}, page_size=3)]

    assert ids == list(reversed(hex_ids(7)))
    assert client.queries[1]["where"] == ['id < "00000004"']


def test_an_endpoint_that_ignores_where_fails_instead_of_looping():
    client = ListClient(hex_ids(10), ignore_where=True)
    with pytest.raises(UnexpectedResponseError, match=r"no progress: page 2 .* the same page again"):
        list(iter_pages(client, "products/search", page_size=5))
    assert len(client.queries) == 2


def test_an_answer_without_results_is_a_clear_error():
    class ObjectClient:
        def request(self, method: str, path: str, *, query: Any = None) -> Any:
            return {"key": "my-project"}

    with pytest.raises(UnexpectedResponseError, match="not a page of results"):
        list(iter_pages(ObjectClient(), ""))


def test_on_page_sees_every_page_before_it_is_yielded():
    seen: list[int] = []
    for page in iter_pages(ListClient(hex_ids(12)), "products", page_size=5, on_page=lambda p: seen.append(p.number)):
        assert seen[-1] == page.number
    assert seen == [1, 2, 3]


# ------------------------------------------------------------------------------ offset, in memory


def test_a_custom_sort_switches_to_offset_paging():
    client = ListClient(hex_ids(12))
    pages = list(iter_pages(client, "products", query={"sort": ["name.en asc"]}, page_size=5))

    assert [p.strategy for p in pages] == ["offset"] * 3
    assert [q["offset"] for q in client.queries] == [0, 5, 10]
    assert [q["withTotal"] for q in client.queries] == [True, False, False]
    assert all(q["sort"] == ["name.en asc"] for q in client.queries)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        pytest.param(None, "keyset", id="none"),
        pytest.param("id asc", "keyset", id="id-asc"),
        pytest.param("id", "keyset", id="id-bare"),
        pytest.param(["id desc"], "keyset", id="id-desc"),
        pytest.param("key asc", "offset", id="key"),
        pytest.param(["id asc", "key asc"], "offset", id="two-sorts"),
    ],
)
def test_choose_strategy(sort, expected):
    assert choose_strategy({"sort": sort}) == expected


def test_keyset_cannot_be_forced_with_a_custom_sort():
    with pytest.raises(ConfigurationError, match="keyset paging walks the collection by id"):
        choose_strategy({"sort": "createdAt desc"}, "keyset")
    with pytest.raises(ConfigurationError, match="not a paging strategy"):
        choose_strategy({}, "cursor")


def test_offset_limit_is_raised_before_requesting_an_offset_over_10000_when_total_is_unknown():
    client = ListClient(hex_ids(10_600), with_total=False)
    read = []
    with pytest.raises(PaginationLimitError) as caught:
        for entity in iter_entities(client, "products", query={"sort": "key asc"}):
            read.append(entity)

    assert max(q["offset"] for q in client.queries) == MAX_OFFSET
    assert len(client.queries) == 21
    assert len(read) == 10_500
    text = str(caught.value)
    assert "offset 10,000" in text and "more than 10,500 entities match" in text
    assert "Drop the custom sort" in text and "partitions" in text and "max_items" in text


def test_offset_limit_is_raised_after_the_first_page_when_total_shows_it():
    client = ListClient(hex_ids(10_501))
    with pytest.raises(PaginationLimitError, match="10,501 entities match"):
        list(iter_pages(client, "products", query={"sort": "key asc"}))
    assert len(client.queries) == 1


def test_offset_reads_exactly_the_reachable_count_without_a_false_alarm():
    client = ListClient(hex_ids(10_500))
    assert sum(p.count for p in iter_pages(client, "products", query={"sort": "key asc"})) == 10_500
    assert max(q["offset"] for q in client.queries) == MAX_OFFSET


def test_offset_with_max_items_under_the_limit_never_fails():
    client = ListClient(hex_ids(20_000))
    assert len(list(iter_entities(client, "products", query={"sort": "key asc"}, max_items=10_500))) == 10_500
    assert not any(q["withTotal"] for q in client.queries)


def test_offset_limit_depends_on_page_size():
    client = ListClient(hex_ids(10_300), with_total=False)
    with pytest.raises(PaginationLimitError, match="at most 10,200 entities"):
        list(iter_pages(client, "products", query={"sort": "key asc"}, page_size=300))
    assert max(q["offset"] for q in client.queries) == 9_900


# ------------------------------------------------------------------------------ argument checks


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"page_size": 0}, "page_size: 0 is not between 1 and 500", id="page-size-0"),
        pytest.param({"page_size": 501}, "page_size: 501 is not between 1 and 500", id="page-size-501"),
        pytest.param({"page_size": True}, "page_size", id="page-size-bool"),
        pytest.param({"max_items": 0}, "max_items: 0 is not a positive integer", id="max-items-0"),
        pytest.param({"query": {"limit": 5}}, r"query\['limit'\]: is set by pagination", id="limit"),
        pytest.param({"query": {"offset": 5}}, r"query\['offset'\]: is set by pagination", id="offset"),
        pytest.param({"query": {"where": 5}}, r"query\['where'\]: must be a string or a list", id="where-int"),
        pytest.param({"query": {"where": ["a = 1", ""]}}, r"query\['where'\]", id="where-empty"),
        pytest.param({"query": {"sort": "name upwards"}}, "is not '<field> asc'", id="sort-direction"),
        pytest.param({"strategy": "cursor"}, "not a paging strategy", id="strategy"),
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs, match):
    client = ListClient(hex_ids(3))
    with pytest.raises(ConfigurationError, match=match):
        next(iter_pages(client, "products", **kwargs))
    assert client.queries == []


# ------------------------------------------------------------------------------------- predicates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(dt.datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=dt.timezone.utc), "2026-03-01T12:30:05.123Z"),
        pytest.param(dt.datetime(2026, 3, 1, 12, 30), "2026-03-01T12:30:00.000Z", id="naive-is-utc"),
        pytest.param(pendulum.datetime(2026, 3, 1, 14, tz="Europe/Berlin"), "2026-03-01T13:00:00.000Z", id="pendulum"),
        pytest.param("2026-03-01T00:00:00Z", "2026-03-01T00:00:00.000Z", id="iso-z"),
        pytest.param("2026-03-01T02:00:00.5+02:00", "2026-03-01T00:00:00.500Z", id="iso-offset"),
        pytest.param("2026-03-01 00:00:00+00:00", "2026-03-01T00:00:00.000Z", id="str-of-pendulum"),
        pytest.param("2026-03-01", "2026-03-01T00:00:00.000Z", id="ds"),
        pytest.param(dt.date(2026, 3, 1), "2026-03-01T00:00:00.000Z", id="date"),
    ],
)
def test_timestamps_are_iso_utc_with_milliseconds(value, expected):
    assert format_timestamp(to_utc_datetime("modified_since", value)) == expected


def test_modified_window_is_start_inclusive_end_exclusive():
    assert modified_window("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z") == (
        'lastModifiedAt >= "2026-03-01T00:00:00.000Z" and lastModifiedAt < "2026-03-02T00:00:00.000Z"'
    )
    assert modified_window(start="2026-03-01") == 'lastModifiedAt >= "2026-03-01T00:00:00.000Z"'
    assert modified_window(end="2026-03-01") == 'lastModifiedAt < "2026-03-01T00:00:00.000Z"'


@pytest.mark.parametrize(
    ("start", "end", "match"),
    [
        pytest.param(None, None, "both are empty", id="none"),
        pytest.param("yesterday", None, "modified_since: 'yesterday' is not an ISO 8601", id="words"),
        pytest.param(None, 1700000000, "modified_until: int 1700000000 is not a timestamp", id="number"),
        pytest.param("2026-03-02", "2026-03-01", "starts .* after it ends", id="reversed"),
    ],
)
def test_modified_window_rejects_bad_bounds(start, end, match):
    with pytest.raises(ConfigurationError, match=match):
        modified_window(start, end)


def test_id_partitions_cover_every_id_exactly_once():
    ids = [str(uuid.uuid4()) for _ in range(5_000)] + ["", "0", "ffffffff-ffff", "zzz", "-", "A"]
    for count in (1, 2, 3, 4, 7, 16, 100):
        ranges = id_partitions(count)
        assert [r.index for r in ranges] == list(range(count))
        assert ranges[0].lower is None and ranges[-1].upper is None
        assert all(a.upper == b.lower for a, b in itertools.pairwise(ranges))
        for entity_id in ids:
            assert sum(r.contains(entity_id) for r in ranges) == 1, (count, entity_id)
        if count <= 16:  # UUIDs spread evenly
            sizes = [sum(r.contains(i) for i in ids) for r in ranges]
            assert min(sizes) > 5_000 / count * 0.7, sizes


def test_id_partition_predicates():
    assert [r.predicate() for r in id_partitions(4)] == [
        'id < "4"',
        'id >= "4" and id < "8"',
        'id >= "8" and id < "c"',
        'id >= "c"',
    ]
    assert id_partitions(1)[0].predicate() is None
    with pytest.raises(ConfigurationError, match="partition count"):
        id_partitions(0)


# ----------------------------------------------------------------------------- over real HTTP


def list_requests(ct: FakeCommercetools, resource: str) -> list[Any]:
    return [r for r in ct.requests if r.method == "GET" and r.path == f"/{ct.project_key}/{resource}"]


def test_keyset_over_http_reads_every_id_once_in_order(commercetools_server, client):
    ct = commercetools_server
    ids = ct.add_many("categories", ({"key": f"c{i}"} for i in range(2_345)))

    read = [e["id"] for e in iter_entities(client, "categories", page_size=200)]

    assert read == sorted(ids)
    requests = list_requests(ct, "categories")
    assert len(requests) == math.ceil(2_345 / 200)
    assert all(r.query["sort"] == ["id asc"] and r.query["withTotal"] == ["false"] for r in requests)
    assert ct.token_grants == 1


def test_where_and_keyset_over_http(commercetools_server, client):
    ct = commercetools_server
    ct.add_many("products", ({"key": f"p{i}", "color": "red" if i % 3 else "blue"} for i in range(910)))
    blue = sorted(e["id"] for e in ct.entities("products") if e["color"] == "blue")

    read = [e["id"] for e in iter_entities(client, "products", query={"where": 'color = "blue"'}, page_size=100)]

    assert read == blue and len(blue) == 304
    requests = list_requests(ct, "products")
    assert len(requests) == 4
    assert requests[1].query["where"] == ['color = "blue"', f'id > "{blue[99]}"']


def test_offset_limit_guard_over_http_sends_no_offset_over_10000(commercetools_server, client):
    ct = commercetools_server
    ct.add_many("products", ({"key": f"p{i:05d}"} for i in range(10_600)))

    class WithoutTotal:
        """The real client, hiding ``total`` (as a project whose totals are capped would)."""

        def request(self, method: str, path: str, *, query: Any = None) -> Any:
            body = client.request(method, path, query=query)
            body.pop("total", None)
            return body

    keys = []
    with pytest.raises(PaginationLimitError, match="limits to offset 10,000"):
        for entity in iter_entities(WithoutTotal(), "products", query={"sort": "key asc"}):
            keys.append(entity["key"])

    offsets = [int(r.query["offset"][0]) for r in list_requests(ct, "products")]
    assert offsets == list(range(0, 10_001, 500))
    assert keys == [f"p{i:05d}" for i in range(10_500)]
    assert all(r.status == 200 for r in ct.requests)


def test_partitions_over_http_are_disjoint_and_complete(commercetools_server, client):
    ct = commercetools_server
    ids = set(ct.add_many("customers", ({"email": f"c{i}@example.com"} for i in range(1_500))))
    for count in (3, 8):
        parts = [
            {e["id"] for e in iter_entities(client, "customers", query={"where": r.predicate()}, page_size=100)}
            for r in id_partitions(count)
        ]
        assert set().union(*parts) == ids
        assert sum(len(p) for p in parts) == len(ids)
        assert all(parts)


# -- decode_page: json.loads that keeps each result's text ------------------------------------------

DECODE_CASES = {
    "compact": '{"limit":2,"offset":0,"count":2,"results":[{"id":"a","n":1},{"id":"b","results":[1]}]}',
    "results-first": '{"results":[{"id":"a"}],"count":1}',
    "pretty": json.dumps({"count": 1, "results": [{"id": "a", "name": {"en": "x\ny"}}]}, indent=2) + "\n",
    "empty": '{"count":0,"results":[]}',
    "unicode": '{"results":[{"id":"\\u00e9","name":"Grüße \\"quoted\\""}]}',
    "no-results": '{"id":"a","version":3}',
    "list": "[1, 2]",
}


@pytest.mark.parametrize("text", list(DECODE_CASES.values()), ids=list(DECODE_CASES))
def test_decode_page_parses_like_json_loads_and_keeps_one_line_texts(text):
    body, texts = decode_page(text)
    assert body == json.loads(text)
    if isinstance(body, dict) and "results" in body:
        assert texts is not None
        assert [json.loads(t) for t in texts] == body["results"]
        assert all("\n" not in t and "\r" not in t for t in texts)
    else:
        assert texts is None


def test_decode_page_keeps_each_entity_exactly_as_received():
    """The texts are the received bytes (escapes, number spellings, key order), not a re-encoding."""
    entities = ['{"id":"a","name":"\\u00e9","n":1.50,"big":123456789012345678901234567890}', '{"v":[1 ,2],"id":"b"}']
    text = '{"count":2, "results": [ ' + " , ".join(entities) + " ]}"
    for decode in (decode_page, decode_page_ids):
        body, texts = decode(text.encode())
        assert texts == entities
        assert body["count"] == 2
    assert decode_page_ids(text.encode())[0]["results"] == [{"id": "a"}, {"id": "b"}]
    assert decode_page(text.encode())[0]["results"][0]["big"] == 123456789012345678901234567890


@pytest.mark.parametrize(
    "data",
    [b'{"results":[{"id":"a","x":tru}]}', b'{"results":[{"id":"a","x":"\xff"}]}', b'{"results":[{"id":"a"}]'],
    ids=["malformed-inside-an-entity", "invalid-utf-8", "truncated"],
)
def test_decode_page_ids_refuses_a_malformed_entity_it_does_not_keep(data):
    """Reducing entities to their ids still reads (and checks) every byte of them."""
    with pytest.raises(ValueError):
        decode_page_ids(data)


def test_decode_page_ids_keeps_a_result_that_is_not_an_object_for_the_callers_error():
    body, texts = decode_page_ids(b'{"results":[{"id":"a","x":1},[1,2],"s"]}')
    assert body["results"] == [{"id": "a"}, [1, 2], "s"]
    assert texts == ['{"id":"a","x":1}', "[1,2]", '"s"']


@pytest.mark.parametrize(
    "text",
    [
        '{"results":[{"id":"a"},]}',
        '{"results":[],}',
        '{"results":[{"id":"a"}',
        '{"results":[1] "x":2}',
        "{1:2}",
        '{"a":1} x',
        "",
    ],
    ids=[
        "trailing-comma",
        "trailing-comma-object",
        "truncated",
        "missing-comma",
        "non-string-key",
        "extra-data",
        "empty",
    ],
)
def test_decode_page_rejects_what_json_loads_rejects(text):
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        decode_page(text)
