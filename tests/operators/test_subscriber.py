"""CommercetoolsSubscriberOperator against the fake commercetools server over real HTTP, and in real DAG runs."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import pendulum
import pytest

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PaginationLimitError,
)
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsSubscriberOperator,
    XComLimitError,
)
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.airflow_runner import xcom_result

PK = "test-project"


def subscriber(**kwargs: Any) -> CommercetoolsSubscriberOperator:
    kwargs.setdefault("task_id", "read")
    return CommercetoolsSubscriberOperator(**kwargs)


CLOCK_READ = {"limit": ["1"], "withTotal": ["false"]}  # the server-clock read before a windowed read


def list_requests(ct: FakeCommercetools, resource: str) -> list[Any]:
    """The page reads of ``resource`` (not the server-clock read)."""
    return [r for r in ct.requests if r.method == "GET" and r.path == f"/{PK}/{resource}" and r.query != CLOCK_READ]


def api_requests(ct: FakeCommercetools) -> list[Any]:
    return [r for r in ct.requests if not r.path.startswith("/oauth")]


def run(run_dag: Any, dag_id: str, *, conf: dict[str, Any] | None = None, logical_date: Any = None) -> Any:
    dag_run = run_dag(dag_id, run_conf=conf, logical_date=logical_date)
    assert dag_run.state == "success", f"{dag_id} ended {dag_run.state}"
    return dag_run


# ------------------------------------------------------------------------------------ collections


def test_keyset_reads_25k_entities_once_in_order_with_one_token(commercetools_connection, tmp_path):
    ct = commercetools_connection
    total = 25_123
    ids = ct.add_many("products", ({"key": f"p{i}"} for i in range(total)))
    output = tmp_path / "products.jsonl"

    result = subscriber(entity="products", output_path=str(output)).execute({})

    pages = math.ceil(total / 500)
    assert result == {"path": str(output), "count": total, "pages": pages}
    assert [e["id"] for e in read_json_lines("path", str(output))] == sorted(ids)
    requests = list_requests(ct, "products")
    assert len(requests) == pages
    assert len(api_requests(ct)) == pages
    assert ct.token_grants == 1
    for request in requests:
        assert request.query["sort"] == ["id asc"]
        assert request.query["withTotal"] == ["false"]
        assert request.query["limit"] == ["500"]
        assert "offset" not in request.query
    ordered = sorted(ids)
    assert "where" not in requests[0].query
    assert requests[1].query["where"] == [f'id > "{ordered[499]}"']
    assert requests[-1].query["where"] == [f'id > "{ordered[500 * (pages - 1) - 1]}"']


def test_the_users_where_is_anded_with_keyset(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}", "color": "red" if i % 4 == 0 else "blue"} for i in range(1_010)))
    red = sorted(e["id"] for e in ct.entities("products") if e["color"] == "red")

    result = subscriber(entity="products", query={"where": ['color = "red"', "version = 1"]}, page_size=100).execute({})

    assert [e["id"] for e in result] == red
    requests = list_requests(ct, "products")
    assert len(requests) == math.ceil(len(red) / 100)
    assert requests[2].query["where"] == ['color = "red"', "version = 1", f'id > "{red[199]}"']


def test_a_custom_sort_goes_through_offset_paging(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i:04d}"} for i in range(1_234)))

    result = subscriber(entity="products", query={"sort": "key desc"}).execute({})

    assert [e["key"] for e in result] == [f"p{i:04d}" for i in reversed(range(1_234))]
    requests = list_requests(ct, "products")
    assert [r.query["offset"] for r in requests] == [["0"], ["500"], ["1000"]]
    assert [r.query["withTotal"] for r in requests] == [["true"], ["false"], ["false"]]
    assert all(r.query["sort"] == ["key desc"] for r in requests)


def test_offset_paging_past_10000_fails_clearly_without_requesting_it(commercetools_connection, tmp_path):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i:05d}"} for i in range(10_600)))

    with pytest.raises(PaginationLimitError) as caught:
        subscriber(entity="products", query={"sort": "key asc"}).execute({})

    text = str(caught.value)
    assert "commercetools limits to offset 10,000" in text
    assert "10,600 entities match" in text
    assert "Drop the custom sort" in text and "partitions" in text and "modified_since" in text
    requests = list_requests(ct, "products")
    assert len(requests) == 1  # the first page's total showed it: no 10,000 entities read for nothing
    assert all(int(r.query.get("offset", ["0"])[0]) <= 10_000 for r in requests)


def test_offset_paging_reads_the_first_entities_with_max_items(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i:05d}"} for i in range(10_600)))

    result = subscriber(entity="products", query={"sort": "key desc"}, max_items=1_200).execute({})

    assert [e["key"] for e in result] == [f"p{i:05d}" for i in range(10_599, 10_599 - 1_200, -1)]
    assert [r.query["limit"] for r in list_requests(ct, "products")] == [["500"], ["500"], ["200"]]


def test_incremental_window_start_inclusive_end_exclusive(commercetools_connection):
    ct = commercetools_connection
    stamps = {
        "before": "2026-02-28T23:59:59.999Z",
        "at_start": "2026-03-01T00:00:00.000Z",
        "inside": "2026-03-01T12:00:00.000Z",
        "last_ms": "2026-03-01T23:59:59.999Z",
        "at_end": "2026-03-02T00:00:00.000Z",
        "after": "2026-03-05T00:00:00.000Z",
    }
    ct.add_many("orders", ({"key": k, "lastModifiedAt": v, "createdAt": v} for k, v in stamps.items()))

    result = subscriber(
        entity="orders",
        modified_since=pendulum.datetime(2026, 3, 1, 1, tz="Europe/Berlin"),  # 00:00 UTC
        modified_until="2026-03-02T00:00:00Z",
    ).execute({})

    assert sorted(e["key"] for e in result) == ["at_start", "inside", "last_ms"]
    (request,) = list_requests(ct, "orders")
    assert request.query["where"] == [
        'lastModifiedAt >= "2026-03-01T00:00:00.000Z" and lastModifiedAt < "2026-03-02T00:00:00.000Z"'
    ]


def test_window_bounds_are_exact(commercetools_connection):
    ct = commercetools_connection
    ct.add_many(
        "orders",
        (
            {"key": k, "lastModifiedAt": v}
            for k, v in (
                ("before", "2026-02-28T23:59:59.999Z"),
                ("at_start", "2026-03-01T00:00:00.000Z"),
                ("last_ms", "2026-03-01T23:59:59.999Z"),
                ("at_end", "2026-03-02T00:00:00.000Z"),
            )
        ),
    )

    result = subscriber(
        entity="orders",
        modified_since=dt.datetime(2026, 3, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        modified_until="2026-03-02 00:00:00+00:00",
    ).execute({})

    assert sorted(e["key"] for e in result) == ["at_start", "last_ms"]
    (request,) = list_requests(ct, "orders")
    assert request.query["where"] == [
        'lastModifiedAt >= "2026-03-01T00:00:00.000Z" and lastModifiedAt < "2026-03-02T00:00:00.000Z"'
    ]


def test_partitions_together_are_the_collection(commercetools_connection):
    ct = commercetools_connection
    ids = set(ct.add_many("customers", ({"email": f"c{i}@example.com"} for i in range(2_000))))

    for count in (4, 7):
        parts = [
            {e["id"] for e in subscriber(entity="customers", partition=partition, page_size=200).execute({})}
            for partition in CommercetoolsSubscriberOperator.partitions(count)
        ]
        assert set().union(*parts) == ids
        assert sum(len(p) for p in parts) == len(ids), "partitions overlap"
        assert all(parts)


def test_partitions_helper_and_json_string_partition(commercetools_connection):
    ct = commercetools_connection
    ids = ct.add_many("customers", ({"email": f"c{i}@example.com"} for i in range(300)))
    assert CommercetoolsSubscriberOperator.partitions(3) == [
        {"index": 0, "count": 3},
        {"index": 1, "count": 3},
        {"index": 2, "count": 3},
    ]

    result = subscriber(entity="customers", partition='{"index": 1, "count": 2}').execute({})

    assert sorted(e["id"] for e in result) == sorted(i for i in ids if i >= "8")
    (request,) = list_requests(ct, "customers")
    assert request.query["where"] == ['id >= "8"']


def test_paginate_false_sends_one_request(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("categories", ({"key": f"c{i}"} for i in range(50)))

    result = subscriber(entity="categories", paginate=False, page_size=20).execute({})

    assert len(result) == 20
    (request,) = list_requests(ct, "categories")
    assert request.query["limit"] == ["20"]


# ---------------------------------------------------------------------------------- one entity


def test_single_entity_by_id_key_container_and_order_number(commercetools_connection, tmp_path):
    ct = commercetools_connection
    product = ct.add("products", {"key": "shirt", "name": {"en": "Shirt"}})
    order = ct.add("orders", {"orderNumber": "2026/0001"})
    ct.add("custom-objects", {"container": "settings", "key": "feed", "value": {"on": True}})

    assert subscriber(entity="products", path={"id": product["id"]}).execute({}) == product
    assert subscriber(entity="products", path={"key": "shirt"}).execute({}) == product
    assert subscriber(entity="orders", path={"order_number": "2026/0001"}).execute({}) == order
    custom = subscriber(entity="custom-objects", path={"container": "settings", "key": "feed"}).execute({})
    assert custom["value"] == {"on": True}
    output = tmp_path / "one.jsonl"
    assert subscriber(entity="products", path={"key": "shirt"}, output_path=str(output)).execute({}) == {
        "path": str(output),
        "count": 1,
        "pages": 1,
    }
    assert list(read_json_lines("path", str(output))) == [product]

    paths = [r.path for r in api_requests(ct)]
    assert paths == [
        f"/{PK}/products/{product['id']}",
        f"/{PK}/products/key=shirt",
        f"/{PK}/orders/order-number=2026%2F0001",
        f"/{PK}/custom-objects/settings/feed",
        f"/{PK}/products/key=shirt",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(
            {"entity": "products", "path": {"key": "nope"}}, "The Resource with key 'nope' was not found.", id="key"
        ),
        pytest.param(
            {"entity": "custom-objects", "path": {"container": "c", "key": "nope"}},
            "The CustomObject with container 'c' and key 'nope' was not found.",
            id="custom-object",
        ),
    ],
)
def test_a_missing_entity_is_a_readable_not_found_error(commercetools_connection, kwargs, message):
    with pytest.raises(NotFoundError) as caught:
        subscriber(**kwargs).execute({})

    text = str(caught.value)
    assert "HTTP 404 ResourceNotFound" in text
    assert message in text
    assert f"No {kwargs['entity']} entity at" in text and "project 'test-project'" in text
    assert "correlation id" in text


# ------------------------------------------------------------------------------ request_transformer


def test_request_transformer_rewrites_the_request_before_it_is_sent(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("categories", ({"key": f"c{i}", "rank": i} for i in range(30)))
    seen: list[dict[str, Any]] = []

    def transform(request: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(json.loads(json.dumps(request)))
        request["query"]["where"] = f"rank >= {context['params']['min_rank']}"
        return {"entity": "categories", "query": request["query"]}

    result = subscriber(entity="products", query={"expand": "parent"}, request_transformer=transform).execute(
        {"params": {"min_rank": 25}}
    )

    assert seen == [{"entity": "products", "endpoint": None, "path": {}, "query": {"expand": "parent"}}]
    assert sorted(e["key"] for e in result) == [f"c{i}" for i in range(25, 30)]
    (request,) = api_requests(ct)
    assert request.path == f"/{PK}/categories"
    assert request.query["where"] == ["rank >= 25"]
    assert request.query["expand"] == ["parent"]


@pytest.mark.parametrize(
    ("transform", "match"),
    [
        pytest.param(lambda request, context: None, "request_transformer: returned NoneType", id="none"),
        pytest.param(lambda request, context: {"entity": "nope"}, "unknown entity 'nope'", id="bad-entity"),
        pytest.param(lambda request, context: {"headers": {}}, r"unknown keys \['headers'\]", id="bad-key"),
    ],
)
def test_a_bad_transformer_result_fails_before_any_request(commercetools_connection, transform, match):
    with pytest.raises(ConfigurationError, match=match):
        subscriber(entity="products", request_transformer=transform).execute({})
    assert commercetools_connection.requests == []


# ----------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"entity": "products", "page_size": 0}, "page_size: 0 is not between 1 and 500", id="page-size-0"),
        pytest.param(
            {"entity": "products", "page_size": 501}, "page_size: 501 is not between 1 and 500", id="page-size-501"
        ),
        pytest.param({"entity": "products", "max_items": 0}, "max_items: 0 is not a positive", id="max-items-0"),
        pytest.param({"entity": "products", "max_xcom_items": -1}, "max_xcom_items", id="max-xcom-items"),
        pytest.param({"entity": "products", "request_transformer": "upper"}, "is not callable", id="transformer"),
        pytest.param({}, "entity: is missing", id="no-entity"),
        pytest.param({"entity": "products", "endpoint": "products"}, "together with 'entity'", id="both"),
    ],
)
def test_static_arguments_fail_at_construction(commercetools_connection, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        subscriber(**kwargs)
    assert commercetools_connection.requests == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param(
            {"entity": "prodcts"},
            r"entity: unknown entity 'prodcts'. Did you mean 'products'\? Known entities: .*custom-objects.*orders",
            id="unknown-entity",
        ),
        pytest.param(
            {"entity": "custom-objects", "path": {"key": "feed"}},
            r"path: \['key'\] does not address custom-objects. .*\{container, key\}",
            id="path-missing-container",
        ),
        pytest.param(
            {"endpoint": "custom-objects/{container}/{key}", "path": {"container": "c"}},
            "needs the path parameter 'key'",
            id="endpoint-missing-parameter",
        ),
        pytest.param(
            {"entity": "products", "path": {"id": ""}}, r"path\['id'\]: '' is not a valid value", id="empty-id"
        ),
        pytest.param(
            {"entity": "products", "output_path": "nope://bucket/products.jsonl"},
            "output_path: unknown scheme 'nope'",
            id="output-scheme",
        ),
        pytest.param({"entity": "products", "query": {"where": 5}}, r"query\['where'\]: must be a string", id="where"),
        pytest.param({"entity": "products", "query": {"sort": "key upwards"}}, "is not '<field> asc'", id="sort"),
        pytest.param({"entity": "products", "query": {"expand": {"a": 1}}}, r"query\['expand'\]", id="expand-dict"),
        pytest.param({"entity": "products", "query": "[1, 2]"}, "query: must be a dict, got list", id="query-list"),
        pytest.param({"entity": "products", "query": {"limit": 10}}, "is set by pagination", id="limit"),
        pytest.param({"entity": "products", "modified_since": "last week"}, "not an ISO 8601", id="since-words"),
        pytest.param(
            {"entity": "products", "modified_since": "2026-03-02", "modified_until": "2026-03-01"},
            "starts .* after it ends",
            id="window-reversed",
        ),
        pytest.param({"entity": "products", "partition": {"index": 4, "count": 4}}, "is not a partition", id="part"),
        pytest.param(
            {"entity": "products", "path": {"key": "k"}, "query": {"where": 'key = "k"'}},
            "cannot apply to a read of one entity",
            id="where-on-one",
        ),
        pytest.param(
            {"entity": "products", "path": {"key": "k"}, "modified_since": "2026-03-01"},
            "modified_since: cannot apply to a read of one entity",
            id="window-on-one",
        ),
    ],
)
def test_bad_rendered_arguments_fail_before_any_request(commercetools_connection, tmp_path, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        subscriber(**kwargs).execute({})
    assert commercetools_connection.requests == []
    assert commercetools_connection.token_grants == 0


def test_a_where_commercetools_rejects_is_quoted_in_the_error(commercetools_connection):
    ct = commercetools_connection
    ct.add("products", {"key": "p"})

    with pytest.raises(BadRequestError) as caught:
        subscriber(entity="products", query={"where": "masterData(current(name(en = )))"}).execute({})

    text = str(caught.value)
    assert "HTTP 400 InvalidInput" in text
    assert "Malformed parameter: where:" in text  # commercetools' own message
    assert "masterData(current(name(en = )))" in text  # what was sent
    assert len(api_requests(ct)) == 1  # a 400 is not retried


# ------------------------------------------------------------------------------- XCom and secrets


def test_xcom_guard_stops_a_read_too_big_for_xcom(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}"} for i in range(30)))

    with pytest.raises(XComLimitError, match=r"more than 10 entities, too many .* Set output_path"):
        subscriber(entity="products", page_size=5, max_xcom_items=10).execute({})
    assert len(list_requests(ct, "products")) == 3  # stopped at the first page over the limit

    assert len(subscriber(entity="products", max_items=10, max_xcom_items=10).execute({})) == 10
    assert len(subscriber(entity="products", max_xcom_items=None).execute({})) == 30


def test_the_default_xcom_guard_is_10000(commercetools_connection):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}"} for i in range(10_001)))

    with pytest.raises(XComLimitError, match="more than 10,000 entities"):
        subscriber(entity="products").execute({})


def test_secrets_reach_neither_logs_nor_xcom(commercetools_connection, caplog, capfd):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}"} for i in range(12)))
    caplog.set_level("DEBUG")

    result = subscriber(entity="products", page_size=5).execute({})

    tokens = {r.headers["authorization"].split()[-1] for r in api_requests(ct)}
    assert len(tokens) == 1
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "page 3 read" in logged  # the progress log was captured
    for secret in (*tokens, ct.client_secret):
        assert secret not in logged
        assert secret not in json.dumps(result)


def test_the_hook_is_created_lazily():
    operator = subscriber(entity="products", commercetools_conn_id="does_not_exist")
    assert "hook" not in operator.__dict__


# ---------------------------------------------------------------------------------- real DAG runs


def test_dag_subscriber_feeds_a_downstream_task_with_templated_fields(commercetools_connection, run_dag):
    ct = commercetools_connection
    ct.add_many(
        "categories",
        ({"key": f"c{i}", "color": ["red", "blue", "green"][i % 3]} for i in range(1, 11)),
    )

    dag_run = run(run_dag, "subscriber_xcom_dag", conf={"color": "blue", "key": "c7"})

    assert xcom_result(dag_run, "summarise") == {"keys": ["c1", "c10", "c4", "c7"], "one": "c7"}
    requests = list_requests(ct, "categories")
    assert len(requests) == 2  # page_size 3: 4 blue ones
    assert requests[0].query["where"] == ['color = "blue"']
    assert any(r.path == f"/{PK}/categories/key=c7" for r in ct.requests)


def test_dag_streams_the_data_interval_to_a_file_read_downstream(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    first = dt.datetime(2025, 12, 29, tzinfo=dt.timezone.utc)
    stamps = [first + dt.timedelta(hours=h, minutes=30 * (h % 2)) for h in range(24 * 9)]
    ct.add_many(
        "products",
        ({"key": f"p{i}", "lastModifiedAt": s.strftime("%Y-%m-%dT%H:%M:%S.000Z")} for i, s in enumerate(stamps)),
    )

    dag_run = run(
        run_dag,
        "subscriber_file_dag",
        conf={"output_dir": str(tmp_path)},
        logical_date=dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc),
    )

    out = xcom_result(dag_run, "read_file")
    start = dt.datetime.fromisoformat(out["start"])
    end = dt.datetime.fromisoformat(out["end"])
    expected = sorted(e["id"] for e, s in zip(ct.entities("products"), stamps, strict=True) if start <= s < end)
    assert 0 < len(expected) < len(stamps)
    assert sorted(out["ids"]) == expected and len(out["ids"]) == len(expected)
    # a window with an end is read in lastModifiedAt order (order="auto"): the file follows the changes
    stamp_of = {e["id"]: (s, e["id"]) for e, s in zip(ct.entities("products"), stamps, strict=True)}
    assert [stamp_of[i] for i in out["ids"]] == sorted(stamp_of[i] for i in out["ids"])
    assert out["result"]["count"] == len(expected)
    assert out["result"]["pages"] == math.ceil(len(expected) / 7) + (len(expected) % 7 == 0)
    assert out["result"]["path"].startswith(str(tmp_path)) and out["result"]["path"].endswith(".jsonl")
    (request,) = list_requests(ct, "products")[:1]
    assert request.query["where"][0].startswith('lastModifiedAt >= "')


def test_dag_mapped_partitions_export_the_collection_once(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ids = ct.add_many("customers", ({"email": f"c{i}@example.com"} for i in range(400)))

    dag_run = run(run_dag, "subscriber_mapped_dag", conf={"output_dir": str(tmp_path)})

    out = xcom_result(dag_run, "merge")
    parts = [set(p) for p in out["ids"]]
    assert len(parts) == 4 and all(parts)
    assert set().union(*parts) == set(ids)
    assert sum(len(p) for p in parts) == len(ids), "partitions overlap"
    assert [r["path"] for r in out["results"]] == [str(tmp_path / f"part-{i}.jsonl") for i in range(4)]
    assert [r["count"] for r in out["results"]] == [len(p) for p in parts]
