"""The publishing core (no Airflow): items to requests, conflicts, lost responses, ordered streaming results.

Requests go over real HTTP to the fake commercetools server, except where a test needs an exactly
controlled client (ordering, bounded memory, threads).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.commercetools.writing import (
    FAILED,
    MAX_CREATE_RESENDS,
    NOT_SENT,
    SKIPPED,
    SUCCEEDED,
    ItemResult,
    PublishDefaults,
    Publisher,
    PublishReport,
    UnreadableItem,
    failures_location,
    is_result_record,
)
from airflow_provider_commercetools.testing import FakeCommercetools

PK = "test-project"
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
DEFAULT_KEYS = ("method", "entity", "endpoint", "path", "query", "payload")


pytestmark = pytest.mark.client_config(retry=FAST)


def publisher(client: Any, **kwargs: Any) -> Publisher:
    defaults = PublishDefaults.create(**{k: kwargs.pop(k) for k in DEFAULT_KEYS if k in kwargs})
    return Publisher(client, defaults, **kwargs)


def publish(client: Any, items: list[Any], **kwargs: Any) -> list[ItemResult]:
    p = publisher(client, **kwargs)
    return list(p.publish(p.prepare_all(items)))


def api(ct: FakeCommercetools) -> list[tuple[str, str]]:
    """The API requests the server saw (method, path with the project key cut off), token grants left out."""
    return [(r.method, r.path.removeprefix(f"/{PK}/")) for r in ct.requests if not r.path.startswith("/oauth")]


class NoRequests:
    """A client that fails the test when anything is sent."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"unexpected request {args}")


class MemoryClient:
    """Answers instantly from memory (with optional delays), recording order and threads."""

    def __init__(self, delay: Any = None) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.sent: list[Any] = []
        self.threads: set[str] = set()

    def request(self, method: str, path: str, *, query: Any = None, payload: Any = None, idempotent: Any = None) -> Any:
        if self.delay:
            time.sleep(self.delay())
        with self.lock:
            self.sent.append(payload)
            self.threads.add(threading.current_thread().name)
        return {"id": f"id-{payload['n']}", "version": 1, "key": payload.get("key"), "name": "not kept"}


# -- items to requests (validated before anything is sent) ----------------------------------------


def test_a_plain_dict_is_the_payload_and_item_keys_override_defaults():
    p = publisher(NoRequests(), method="POST", entity="products", payload={"productType": {"id": "t"}, "n": 0})
    create = p.prepare(0, {"key": "a", "n": 1})
    assert (create.operation, create.path, create.payload) == (
        "create",
        "products",
        {"productType": {"id": "t"}, "key": "a", "n": 1},
    )
    p = publisher(
        NoRequests(),
        method="POST",
        entity="products",
        path={"store_key": "ignored-by-products"},
        query={"expand": "productType"},
        payload={"actions": [{"action": "publish"}]},
    )
    with pytest.raises(ConfigurationError, match=r"cannot be scoped to a store"):
        p.prepare_all([{"path": {"id": "x"}, "payload": {"version": 3}}])
    p = publisher(
        NoRequests(), method="POST", entity="carts", path={"store_key": "s1"}, payload={"actions": [{"action": "a"}]}
    )
    update = p.prepare(0, {"path": {"key": "k"}, "query": {"x": "1"}, "payload": {"version": 3}})
    assert (update.operation, update.path, update.version, update.payload) == (
        "update",
        "in-store/key=s1/carts/key=k",
        3,
        {"actions": [{"action": "a"}]},
    )
    assert update.body(5) == ({"x": "1"}, {"actions": [{"action": "a"}], "version": 5})


@pytest.mark.parametrize(
    ("kwargs", "item", "match"),
    [
        ({"method": "POST", "entity": "products"}, ["not", "a dict"], r"items\[0\]: must be a dict, got list"),
        ({"method": "POST", "entity": "products"}, 42, r"items\[0\]: must be a dict, got int"),
        (
            {"method": "POST", "entity": "products"},
            {"path": {"id": "x"}, "paylod": {}},
            r"items\[0\]: has keys \['paylod'\] next to \['path'\]",
        ),
        (
            {"method": "POST", "entity": "products"},
            {"path": {"id": "x"}, "payload": {"version": 1}},
            r"items\[0\]\.payload: POST products/x is an update and needs 'actions'",
        ),
        (
            {"method": "POST", "entity": "products"},
            {"path": {"key": "k"}, "payload": {"actions": []}},
            r"items\[0\]\.payload: the update of products/key=k has no 'version'.*on_conflict='latest'",
        ),
        (
            {"method": "DELETE", "entity": "products"},
            {"path": {"id": "x"}},
            r"items\[0\]\.query: DELETE products/x has no version.*on_conflict='latest'",
        ),
        (
            {"method": "DELETE", "entity": "products"},
            {"path": {}, "query": {"version": 1}},
            r"DELETE needs a path that addresses one products entity",
        ),
        (
            {"method": "POST", "entity": "products"},
            {"key": "k", "when": {1, 2}},
            r"items\[0\]\.payload: is not JSON-serialisable",
        ),
        ({"method": "GET", "entity": "products"}, {"key": "k"}, r"a GET request sends no payload"),
        ({"method": "POST", "entity": "products"}, {"path": "x"}, r"items\[0\]\.path: must be a dict, got str"),
        ({"method": "POST", "entity": "products"}, {"query": {"a": {"b": 1}}}, r"items\[0\]\.query\['a'\]"),
        ({"method": "POST", "entity": "products"}, {"payload": "text"}, r"must be a dict or a list, got str"),
        ({"method": "POST", "entity": "produtcs"}, {}, r"unknown entity 'produtcs'"),
        ({"method": "PATCH", "entity": "products"}, {}, r"method: unknown method 'PATCH'"),
        ({"method": "POST", "entity": "messages"}, {}, r"messages is read-only"),
        (
            {"method": "POST", "entity": "custom-objects"},
            {"path": {"container": "c", "key": "k"}, "payload": {"value": 1}},
            r"custom objects are written by POST custom-objects",
        ),
        ({"method": "POST", "entity": "products"}, UnreadableItem("{x", "line 3 of 'f' is not JSON"), r"line 3"),
    ],
    ids=[
        "list",
        "int",
        "typo-key",
        "update-without-actions",
        "update-without-version",
        "delete-without-version",
        "delete-collection",
        "unserialisable",
        "get-with-payload",
        "path-not-dict",
        "query-value",
        "payload-str",
        "unknown-entity",
        "unknown-method",
        "read-only",
        "custom-object-path",
        "unreadable-line",
    ],
)
def test_bad_items_fail_clearly_before_any_request(kwargs, item, match):
    with pytest.raises(ConfigurationError, match=match):
        publish(NoRequests(), [item], **kwargs)


def test_all_in_memory_items_are_checked_first_and_the_error_counts_them():
    items = [{"key": "ok"}, 1, {"key": "ok2"}, "x"]
    with pytest.raises(
        ConfigurationError, match=r"items\[1\]: must be a dict.*2 of 4 items are invalid; nothing was sent"
    ):
        publish(NoRequests(), items, method="POST", entity="products")


def test_single_request_errors_name_the_parameter_itself():
    p = publisher(NoRequests(), method="POST", entity="products", path={"id": "x"}, payload={"version": 1}, single=True)
    with pytest.raises(ConfigurationError, match=r"^payload: POST products/x is an update"):
        p.prepare_all([{}])


def test_without_stop_on_failure_invalid_items_become_failed_results():
    p = publisher(NoRequests(), method="DELETE", entity="products", stop_on_failure=False)
    prepared = p.prepare_all([{"path": {"id": "a"}}, 7])
    assert [type(e).__name__ for e in prepared] == ["ItemResult", "ItemResult"]
    record = prepared[1].to_record()
    assert record["status"] == FAILED and record["item"] == 7
    assert record["error"]["type"] == "ConfigurationError" and record["error"]["parameter"] == "items[1]"


def test_latest_mode_allows_updates_and_deletes_without_a_version():
    p = publisher(NoRequests(), method="DELETE", entity="products", on_conflict="latest")
    assert p.prepare(0, {"path": {"key": "k"}}).version is None
    p = publisher(NoRequests(), method="DELETE", entity="custom-objects")  # custom objects need no version
    assert p.prepare(0, {"path": {"container": "c", "key": "k"}}).path == "custom-objects/c/k"
    p = publisher(NoRequests(), method="DELETE", entity="products")
    assert p.prepare(0, {"path": {"id": "x"}, "payload": {"id": "x", "version": "4"}}).body(4) == ({"version": 4}, None)


def test_result_records_of_an_earlier_run_stand_for_their_items():
    failed = ItemResult(3, FAILED, "POST products", error={"type": "X"}, item={"key": "a"}).to_record()
    done = ItemResult(4, SUCCEEDED, "POST products", response={"id": "i"}).to_record()
    assert is_result_record(failed) and is_result_record(done)
    assert not is_result_record({"key": "a", "status": "Active", "index": 1})  # an entity with a status field
    p = publisher(NoRequests(), method="POST", entity="products")
    again = p.prepare(0, failed)
    assert (again.operation, again.payload, again.item) == ("create", {"key": "a"}, {"key": "a"})
    skipped = p.prepare(1, done)
    assert (skipped.status, skipped.response) == (SKIPPED, {"id": "i"})


def test_failures_file_sits_beside_the_results():
    assert failures_location("/data/out/results.jsonl") == "/data/out/results.failures.jsonl"
    assert failures_location("s3://aws@bucket/x/run.ndjson") == "s3://aws@bucket/x/run.failures.ndjson"
    assert failures_location("/data/out/results") == "/data/out/results.failures.jsonl"
    assert failures_location("/data/v1.2/out") == "/data/v1.2/out.failures.jsonl"


# -- requests against the fake server --------------------------------------------------------------


def test_create_update_by_id_and_key_delete_and_read(ct, client):
    (created,) = publish(client, [{"key": "p1", "name": {"en": "One"}}], method="POST", entity="products")
    assert created.status == SUCCEEDED
    assert set(created.response) == {"id", "version", "key"}  # a summary, not the whole entity
    entity_id = created.response["id"]

    rename = {"actions": [{"action": "changeName", "name": {"en": "Uno"}}]}
    results = publish(
        client,
        [
            {"path": {"id": entity_id}, "payload": {"version": 1, **rename}},
            {
                "path": {"key": "p1"},
                "payload": {"version": 2, "actions": [{"action": "setDescription", "description": "d"}]},
            },
        ],
        method="POST",
        entity="products",
    )
    assert [(r.status, r.response["version"]) for r in results] == [(SUCCEEDED, 2), (SUCCEEDED, 3)]
    stored = ct.get_entity("products", entity_id)
    staged = stored["masterData"]["staged"]  # a Product: the actions wrote its staged data
    assert (staged["name"], staged["description"], stored["version"]) == ({"en": "Uno"}, "d", 3)

    (read,) = publish(client, [{"path": {"key": "p1"}}], method="GET", entity="products")
    assert read.response == {"id": entity_id, "version": 3, "key": "p1"}
    (head,) = publish(client, [{"path": {"key": "p1"}}], method="HEAD", entity="products")
    assert head.response == {"exists": True}

    (deleted,) = publish(
        client, [{"path": {"id": entity_id}, "query": {"version": 3}}], method="DELETE", entity="products"
    )
    assert deleted.status == SUCCEEDED
    assert ct.entities("products") == []
    assert ("DELETE", f"products/{entity_id}") in api(ct)
    delete = next(r for r in ct.requests if r.method == "DELETE")
    assert delete.query == {"version": ["3"]} and delete.body == b""


def test_custom_objects_are_upserted_and_a_lost_response_is_harmless(ct, client):
    ct.inject("drop_after", method="POST", path_prefix=f"/{PK}/custom-objects")
    (result,) = publish(
        client, [{"container": "c", "key": "k", "value": {"n": 1}}], method="POST", entity="custom-objects"
    )
    assert result.status == SUCCEEDED
    assert [(e["container"], e["key"], e["value"]) for e in ct.entities("custom-objects")] == [("c", "k", {"n": 1})]


def test_a_raw_endpoint_post_with_actions_is_an_update(ct, client):
    entity_id = ct.add("categories", {"key": "c"})["id"]
    (result,) = publish(
        client,
        [{"path": {"id": entity_id}, "payload": {"version": 1, "actions": [{"action": "setKey", "key": "c2"}]}}],
        method="POST",
        endpoint="categories/{id}",
    )
    assert result.status == SUCCEEDED and ct.get_entity("categories", entity_id)["key"] == "c2"


# -- conflicts ----------------------------------------------------------------------------------


class EditedConcurrently:
    """Wraps the real client: another writer changes the entity right after the publisher reads it,
    or right before it writes, ``times`` times: real 409s from the server."""

    def __init__(self, client: CommercetoolsClient, *, after_read: int = 0, before_write: int = 0) -> None:
        self.client = client
        self.after_read = after_read
        self.before_write = before_write

    def edit(self, path: str) -> None:
        current = self.client.request("GET", path)
        action = {"action": "setDescription", "description": f"edited elsewhere at v{current['version']}"}
        self.client.request("POST", path, payload={"version": current["version"], "actions": [action]}, idempotent=True)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if method == "POST" and self.before_write:
            self.before_write -= 1
            self.edit(path)
        body = self.client.request(method, path, **kwargs)
        if method == "GET" and self.after_read:
            self.after_read -= 1
            self.edit(path)
        return body


RENAME = {"actions": [{"action": "changeName", "name": {"en": "new"}}]}


def test_a_conflict_fails_the_item_readably_by_default(ct, client):
    ct.add("products", {"key": "a", "version": 2})
    (result,) = publish(
        client, [{"path": {"key": "a"}, "payload": {"version": 1, **RENAME}}], method="POST", entity="products"
    )
    assert result.status == FAILED
    assert result.error["type"] == "ConcurrentModificationError"
    assert (result.error["status"], result.error["codes"]) == (409, ["ConcurrentModification"])
    assert "Expected: 1 - Actual: 2" in result.error["message"]
    assert "on_conflict='retry'" in result.error["message"]
    assert result.item == {"path": {"key": "a"}, "payload": {"version": 1, **RENAME}}
    assert result.error["correlation_id"]
    assert api(ct) == [("POST", "products/key=a")]


def test_retry_resends_with_the_current_version_from_the_409(ct, client, caplog):
    ct.add("products", {"key": "a"})
    racing = EditedConcurrently(client, before_write=1)  # v1 -> v2 just before our write of v1
    (result,) = publish(
        racing,
        [{"path": {"key": "a"}, "payload": {"version": 1, **RENAME}}],
        method="POST",
        entity="products",
        on_conflict="retry",
    )
    assert (result.status, result.conflict_retries, result.response["version"]) == (SUCCEEDED, 1, 3)
    (stored,) = ct.entities("products")
    staged = stored["masterData"]["staged"]
    assert staged["name"] == {"en": "new"} and staged["description"] == "edited elsewhere at v1"
    writes = [r for r in ct.requests if r.method == "POST" and r.path.endswith("key=a")]
    assert [w.json()["version"] for w in writes] == [1, 1, 2]  # the other writer, ours (409), ours again
    assert [w.status for w in writes] == [200, 409, 200]
    assert "re-sending with version 2" in caplog.text and "conflict retry 1 of 3" in caplog.text


def test_retry_gives_up_after_max_conflict_retries(ct, client):
    ct.add("products", {"key": "a"})
    racing = EditedConcurrently(client, before_write=10)
    (result,) = publish(
        racing,
        [{"path": {"key": "a"}, "payload": {"version": 1, **RENAME}}],
        method="POST",
        entity="products",
        on_conflict="retry",
        max_conflict_retries=2,
    )
    assert (result.status, result.conflict_retries) == (FAILED, 2)
    assert result.error["type"] == "ConcurrentModificationError"
    assert "still conflicting after 2 re-sends" in result.note
    assert ct.entities("products")[0].get("name") is None


def test_latest_reads_the_version_and_converges_when_someone_writes_in_between(ct, client):
    ct.add("products", {"key": "a", "version": 7})
    ct.add("products", {"key": "b", "version": 4})
    racing = EditedConcurrently(client, after_read=1)  # a: read v7, someone writes v8, our v7 -> 409
    results = publish(
        racing,
        [{"path": {"key": "a"}, "payload": RENAME}, {"path": {"key": "b"}, "payload": {"version": 4, **RENAME}}],
        method="POST",
        entity="products",
        on_conflict="latest",
    )
    assert [(r.status, r.conflict_retries, r.response["version"]) for r in results] == [
        (SUCCEEDED, 1, 9),
        (SUCCEEDED, 0, 5),
    ]
    a = next(e for e in ct.entities("products") if e["key"] == "a")["masterData"]["staged"]
    assert a["name"] == {"en": "new"} and a["description"] == "edited elsewhere at v7"

    (deleted,) = publish(client, [{"path": {"key": "b"}}], method="DELETE", entity="products", on_conflict="latest")
    assert deleted.status == SUCCEEDED
    assert [e["key"] for e in ct.entities("products")] == ["a"]
    assert next(r for r in ct.requests if r.method == "DELETE").query == {"version": ["5"]}


def test_a_retried_update_whose_first_response_was_lost_is_not_applied_twice(ct, client):
    ct.add("inventory", {"key": "a", "sku": "a", "quantityOnStock": 10, "availableQuantity": 10})
    ct.inject("drop_after", method="POST")  # applied, response lost; the client re-sends it (version-guarded)
    (result,) = publish(
        client,
        [{"path": {"key": "a"}, "payload": {"version": 1, "actions": [{"action": "addQuantity", "quantity": 5}]}}],
        method="POST",
        entity="inventory",
        on_conflict="retry",
    )
    assert result.status == FAILED and result.error["type"] == "OutcomeUnknownError"
    (stored,) = ct.entities("inventory")
    assert (stored["quantityOnStock"], stored["version"]) == (15, 2)  # applied exactly once
    assert [m for m, _ in api(ct)] == ["POST", "POST"]  # no conflict retry after an unknown outcome


# -- lost responses of creates ---------------------------------------------------------------------


def test_a_lost_create_with_a_key_is_found_not_duplicated(ct, client, caplog):
    ct.inject("drop_after", method="POST")
    (result,) = publish(client, [{"key": "k1", "name": {"en": "x"}}], method="POST", entity="products")
    assert (result.status, result.recovered) == (SUCCEEDED, True)
    assert [e["key"] for e in ct.entities("products")] == ["k1"]
    assert result.response["id"] == ct.entities("products")[0]["id"]
    assert api(ct) == [("POST", "products"), ("GET", "products/key=k1")]
    assert "recovered" in caplog.text


def test_a_lost_create_without_a_key_is_reported_as_outcome_unknown(ct, client):
    ct.inject("drop_after", method="POST")
    (result,) = publish(client, [{"name": {"en": "no key"}}], method="POST", entity="products")
    assert result.status == FAILED
    assert result.error["type"] == "OutcomeUnknownError"
    assert "outcome unknown" in result.error["message"]
    assert result.item == {"name": {"en": "no key"}}
    assert len(ct.entities("products")) == 1  # the server applied it once; it was not sent again
    assert api(ct) == [("POST", "products")]


def test_a_create_that_was_not_applied_is_sent_again_after_the_lookup(ct, client):
    ct.inject("500", method="POST")  # the response says nothing about whether it was applied
    (result,) = publish(client, [{"key": "k1"}], method="POST", entity="products")
    assert (result.status, result.recovered) == (SUCCEEDED, False)
    assert "sent again" in result.note
    assert api(ct) == [("POST", "products"), ("GET", "products/key=k1"), ("POST", "products")]
    assert len(ct.entities("products")) == 1


def test_re_sending_a_lost_create_is_bounded(ct, client):
    ct.inject("500", method="POST", times=10)
    (result,) = publish(client, [{"key": "k1"}], method="POST", entity="products")
    assert result.status == FAILED and "outcome unknown" in result.error["message"]
    assert [m for m, _ in api(ct)].count("POST") == 1 + MAX_CREATE_RESENDS
    assert ct.entities("products") == []


def test_a_lost_order_is_looked_up_by_its_order_number_in_its_store(ct, client):
    ct.inject("drop_after", method="POST")
    (result,) = publish(
        client, [{"orderNumber": "o-1", "key": "ok"}], method="POST", entity="orders", path={"store_key": "s"}
    )
    assert result.recovered
    assert api(ct)[1] == ("GET", "in-store/key=s/orders/order-number=o-1")


# -- streaming, order, concurrency, stopping -------------------------------------------------------


def test_results_come_as_they_complete_each_index_once_from_many_threads():
    rng = random.Random(4)
    fake = MemoryClient(delay=lambda: rng.random() / 500)
    results = publish(
        fake, [{"n": i, "key": f"k{i}"} for i in range(200)], method="POST", entity="products", max_workers=8
    )
    assert sorted(r.index for r in results) == list(range(200))
    assert {r.index: r.response["id"] for r in results} == {i: f"id-{i}" for i in range(200)}
    assert len(fake.sent) == 200 and len(fake.threads) > 1


def test_ordered_results_come_in_input_order_from_many_threads():
    rng = random.Random(4)
    fake = MemoryClient(delay=lambda: rng.random() / 500)
    items = [{"n": i, "key": f"k{i}"} for i in range(200)]
    results = publish(fake, items, method="POST", entity="products", max_workers=8, ordered=True)
    assert [r.index for r in results] == list(range(200))
    assert [r.response["id"] for r in results] == [f"id-{i}" for i in range(200)]


class GatedClient(MemoryClient):
    """Item 0 answers only when the test opens the gate; the others answer at once."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def request(self, method: str, path: str, *, query: Any = None, payload: Any = None, idempotent: Any = None) -> Any:
        if payload["n"] == 0:
            assert self.gate.wait(30), "the gate was never opened"
        return super().request(method, path, query=query, payload=payload, idempotent=idempotent)


def test_a_slow_item_does_not_hold_up_the_others():
    fake = GatedClient()
    p = publisher(fake, method="POST", entity="products", max_workers=4)
    seen = []
    for result in p.publish(p.iter_prepared({"n": i} for i in range(50))):
        seen.append(result.index)
        if len(seen) == 49:
            assert 0 not in seen  # every other item finished while item 0 was still waiting
            fake.gate.set()
    assert sorted(seen) == list(range(50)) and seen[-1] == 0


def test_a_stream_of_items_is_consumed_with_bounded_look_ahead():
    produced = 0

    def items() -> Iterator[dict[str, Any]]:
        nonlocal produced
        for i in range(5000):
            produced += 1
            yield {"n": i}

    p = publisher(MemoryClient(), method="POST", entity="products", max_workers=4)
    consumed = set()
    for result in p.publish(p.iter_prepared(items())):
        consumed.add(result.index)
        assert produced - len(consumed) <= 2 * 4  # never more than the window ahead of the results
    assert consumed == set(range(5000))


def test_stop_on_failure_sends_nothing_after_the_first_failure(ct, client):
    ct.add("products", {"key": "a"})
    items = [
        {"path": {"key": "a"}, "payload": {"version": 1, **RENAME}},
        {"path": {"key": "missing"}, "payload": {"version": 1, **RENAME}},
        {"path": {"key": "a"}, "payload": {"version": 2, **RENAME}},
        {"path": {"key": "a"}, "payload": {"version": 3, **RENAME}},
    ]
    results = publish(client, items, method="POST", entity="products")
    assert [r.status for r in results] == [SUCCEEDED, FAILED, NOT_SENT, NOT_SENT]
    assert results[1].error["type"] == "NotFoundError" and results[1].error["status"] == 404
    assert results[3].to_record()["item"] == items[3]
    assert len(api(ct)) == 2

    results = publish(client, items[1:], method="POST", entity="products", stop_on_failure=False)
    assert [r.status for r in results] == [FAILED, SUCCEEDED, SUCCEEDED]


def test_stop_sends_nothing_more_and_reports_the_rest_as_not_sent():
    fake = MemoryClient()
    p = publisher(fake, method="POST", entity="products", max_workers=2, stop_on_failure=False)
    results = []
    for result in p.publish(p.iter_prepared({"n": i} for i in range(100))):
        results.append(result)
        if result.index == 9:
            p.stop()  # what on_kill does
    assert sorted(r.index for r in results) == list(range(100))
    sent = [r for r in results if r.status == SUCCEEDED]
    assert 10 <= len(sent) <= 10 + 2 * 2  # those already in flight finish
    assert all(r.status == NOT_SENT for r in results[len(sent) :])
    assert len(fake.sent) == len(sent)


def test_the_report_counts_everything_and_keeps_bounded_lists():
    report = PublishReport(max_results=3, max_failures=2)
    for i in range(10):
        status = FAILED if i % 2 else SUCCEEDED
        error = {"type": "BadRequestError", "message": f"bad {i}"} if status == FAILED else None
        report.add(ItemResult(i, status, "POST products", error=error, item={"i": i}, conflict_retries=1))
    assert report.counts_summary() == {
        "total": 10,
        "succeeded": 5,
        "failed": 5,
        "not_sent": 0,
        "skipped": 0,
        "outcome_unknown": 0,
        "recovered": 0,
        "conflict_retries": 10,
    }
    assert len(report.results) == 3 and report.results_truncated
    assert "item" not in report.results[1]
    assert [f["item"] for f in report.failures] == [{"i": 1}, {"i": 3}] and report.failures_truncated
    message = report.failure_message(limit=1, where="see the file")
    assert "10 items: 5 succeeded, 5 failed" in message
    assert "items[1]: BadRequestError: bad 1" in message and "and 4 more failed items" in message
    assert message.endswith("see the file")
    assert not report.nothing_applied


def test_a_failed_batch_with_a_lost_response_may_have_been_applied():
    report = PublishReport()
    report.add(ItemResult(0, FAILED, "POST products", error={"type": "NotFoundError"}))
    assert report.nothing_applied
    report.add(ItemResult(1, FAILED, "POST products", error={"type": "OutcomeUnknownError"}))
    assert not report.nothing_applied and report.outcome_unknown == 1


def test_unserialisable_items_are_still_recorded():
    record = ItemResult(0, FAILED, "POST products", item={"when": {1, 2}}).to_record()
    assert record["item"] == {"unserialisable": "{'when': {1, 2}}"}
