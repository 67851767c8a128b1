"""The Messages layer (commercetools/messages.py) over real HTTP against the fake, and its pure parts.

Message shapes follow commercetools/commercetools-api-reference, ``api-specs/api/types/message/Message.raml``
and ``api-specs/api/resources/messages.raml``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.messages.cursor import CursorMovedError, CursorStore
from airflow_provider_commercetools.commercetools.messages.deletions import (
    check_deletions,
    deletion_message_type,
    iter_deletions,
)
from airflow_provider_commercetools.commercetools.messages.reader import (
    Cursor,
    MessageFilter,
    MessagesDisabledError,
    check_messages_enabled,
    has_new_messages,
    page_query,
    read_new_messages,
)
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.messages_support import create, delete, random_changes, update

ALL = MessageFilter()


pytestmark = [
    pytest.mark.ct_scopes("manage_project:test-project", "view_messages:test-project"),
    pytest.mark.client_config(scopes="view_messages:test-project"),
]


@pytest.fixture
def messages(ct: FakeCommercetools) -> FakeMessages:
    return FakeMessages(ct)


def test_filter_predicates_and_page_query():
    f = MessageFilter.create(["OrderCreated", "OrderDeleted"], "order", "resourceVersion > 1")
    assert f.predicates() == [
        'type in ("OrderCreated", "OrderDeleted")',
        'resource(typeId in ("order"))',
        "(resourceVersion > 1)",
    ]
    query = page_query(f.predicates(), ("2026-12-01T00:00:00.000Z", "abc"), 10)
    assert query["sort"] == ["createdAt asc", "id asc"] and query["limit"] == 10
    assert query["where"][-1] == (
        '(createdAt > "2026-12-01T00:00:00.000Z" or (createdAt = "2026-12-01T00:00:00.000Z" and id > "abc"))'
    )
    with pytest.raises(ConfigurationError, match="message_types"):
        MessageFilter.create([""])
    with pytest.raises(ConfigurationError, match="tojson"):  # a list rendered by plain Jinja
        MessageFilter.create("['OrderCreated']")
    with pytest.raises(ConfigurationError, match="resource_types"):
        MessageFilter.create(resource_types=["Order"])
    assert MessageFilter.create('["OrderCreated"]', "order, product").predicates()[:2] == [
        'type in ("OrderCreated")',
        'resource(typeId in ("order", "product"))',
    ]


def test_cursor_round_trips_and_rejects_garbage():
    cursor = Cursor("2026-12-01T00:00:00.000Z", "2026-12-01T01:00:00.000Z", {"m1": "2026-12-01T00:59:00.000Z"})
    assert Cursor.from_json("cursor", cursor.to_json()) == cursor
    assert cursor.lower_bound(120) == "2026-12-01T00:58:00.000Z"
    assert Cursor("2026-12-01T00:59:30.000Z", "2026-12-01T01:00:00.000Z").lower_bound(120) == (
        "2026-12-01T00:59:30.000Z"  # never before since
    )
    for bad in ("not json", {"since": 1}, {"since": "2026-12-01T00:00:00Z", "delivered": ["a"]}):
        with pytest.raises(ConfigurationError, match="cursor"):
            Cursor.from_json("cursor", bad)
    start = Cursor.start("now", now=dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc))
    assert start.since == "2026-12-01T10:00:00.000Z" and start.last_created_at is None


def test_cursor_store_starts_once_and_commits_compare_and_set():
    kept: dict[str, str] = {}
    store = CursorStore(kept.get, kept.__setitem__)
    first, new = store.start("c", "2026-12-01T00:00:00Z")
    assert new and store.start("c", "now") == (first, False)  # stored at once: its start is kept
    later = Cursor(first.since, "2026-12-01T01:00:00.000Z", {"m1": "2026-12-01T01:00:00.000Z"})
    assert store.commit("c", first.to_json(), later.to_json()) is True
    assert store.commit("c", first.to_json(), later.to_json()) is False  # a re-run of the commit
    with pytest.raises(CursorMovedError, match="Variable 'c' changed"):
        store.commit("c", first.to_json(), Cursor(first.since, "2026-12-01T02:00:00.000Z").to_json())
    assert store.load("c") == later


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        pytest.param(("", "2026-12-01", "2026-12-02", "out.jsonl"), "entity: is missing", id="entity"),
        pytest.param(("categories", "2026-12-01", "2026-12-02", "out.jsonl"), "no Message", id="no-deletion-type"),
        pytest.param(("products", "None", "2026-12-02", "out.jsonl"), "both bounds", id="template-none"),
        pytest.param(("products", "2026-12-01", "", "out.jsonl"), "both bounds", id="empty"),
    ],
)
def test_check_deletions_refuses_what_cannot_be_read(arguments, error):
    with pytest.raises(ConfigurationError, match=error):
        check_deletions(*arguments)


def test_fake_produces_messages_from_writes_as_the_spec_describes(ct, messages):
    order = create(ct, "orders", {"orderNumber": "A-1", "orderState": "Open"})
    order = update(ct, "orders", order, [{"action": "changeOrderState", "orderState": "Confirmed"}])
    update(ct, "orders", order, [{"action": "setCustomerEmail", "email": "x@example.com"}])  # no Message
    delete(ct, "orders", ct.get_entity("orders", order["id"]))
    category = create(ct, "categories", {"key": "c", "slug": {"en": "c"}})
    delete(ct, "categories", category)  # the API has no CategoryDeleted Message
    got = messages.all()
    assert [m["type"] for m in got] == ["OrderCreated", "OrderStateChanged", "OrderDeleted", "CategoryCreated"]
    assert [m["sequenceNumber"] for m in got[:3]] == [1, 2, 3]
    assert [m["resourceVersion"] for m in got[:3]] == [1, 2, 3]
    assert got[0]["resource"] == {"typeId": "order", "id": order["id"]}
    assert got[0]["resourceUserProvidedIdentifiers"] == {"orderNumber": "A-1"}
    assert got[1]["orderState"] == "Confirmed" and got[1]["oldOrderState"] == "Open"
    assert got[0]["order"]["orderNumber"] == "A-1" and got[2]["order"]["id"] == order["id"]
    assert all(m["version"] == 1 and m["createdAt"] == m["lastModifiedAt"] for m in got)


def test_messages_disabled_stores_none_and_the_check_says_how_to_enable(ct, client):
    messages = FakeMessages(ct, enabled=False)
    create(ct, "orders", {"orderNumber": "A-1"})
    assert messages.all() == []
    assert client.request("GET", "messages")["results"] == []
    with pytest.raises(MessagesDisabledError, match="changeMessagesConfiguration"):
        check_messages_enabled(client.request)
    admin = CommercetoolsClient(
        ClientConfig.create(
            project_key=ct.project_key,
            client_id=ct.client_id,
            client_secret=ct.client_secret,
            api_url=ct.url,
            auth_url=ct.url,
        )
    )
    project = admin.request("GET", "")
    action = {"action": "changeMessagesConfiguration", "messagesConfiguration": {"enabled": True}}
    admin.request("POST", "", payload={"version": project["version"], "actions": [action]}, idempotent=True)
    check_messages_enabled(client.request)  # enabled now: no error
    create(ct, "orders", {"orderNumber": "A-2"})
    assert [m["type"] for m in messages.all()] == ["OrderCreated"]
    admin.close()


def test_read_new_messages_filters_by_type_resource_and_where(ct, messages, client):
    start = Cursor.start("earliest")
    order = create(ct, "orders", {"orderNumber": "A-1", "orderState": "Open"})
    update(ct, "orders", order, [{"action": "changeOrderState", "orderState": "Complete"}])
    create(ct, "products", {"key": "p1", "slug": {"en": "p1"}})
    create(ct, "customers", {"email": "c@example.com", "key": "c1"})

    def types(f: MessageFilter) -> list[str]:
        # the writes may share one millisecond: then they come in id order
        return sorted(m["type"] for m in read_new_messages(client.request, start, f).messages)

    assert types(ALL) == ["CustomerCreated", "OrderCreated", "OrderStateChanged", "ProductCreated"]
    assert types(MessageFilter.create(["OrderCreated", "CustomerCreated"])) == ["CustomerCreated", "OrderCreated"]
    assert types(MessageFilter.create(resource_types=["product", "customer"])) == ["CustomerCreated", "ProductCreated"]
    assert types(MessageFilter.create(where='resourceUserProvidedIdentifiers(key = "c1")')) == ["CustomerCreated"]
    assert not has_new_messages(client.request, start, MessageFilter.create(["ProductDeleted"]))
    assert has_new_messages(client.request, start, MessageFilter.create(["ProductCreated"]))


def test_consecutive_reads_deliver_each_message_once_with_late_and_shared_created_at(ct, messages, client):
    """Many messages share one createdAt across page and read boundaries; some become visible late."""
    cursor = Cursor.start("earliest")
    delivered: list[str] = []

    def read(max_messages: int | None = None) -> None:
        nonlocal cursor
        batch = read_new_messages(client.request, cursor, ALL, overlap=60, max_messages=max_messages, page_size=7)
        delivered.extend(m["id"] for m in batch.messages)
        cursor = batch.cursor

    messages.freeze_clock("2026-12-01T10:00:00.000Z")
    random_changes(ct, 30, seed=1)
    read(max_messages=11)  # stops inside the run of equal createdAt values
    messages.hold(count=10)
    random_changes(ct, 10, seed=2)  # stamped 10:00:00.000 too, but not visible yet
    read()
    messages.freeze_clock("2026-12-01T10:00:30.000Z")
    random_changes(ct, 5, seed=3)
    read()  # the held ones are still invisible; the cursor moves to 10:00:30
    assert cursor.last_created_at == "2026-12-01T10:00:30.000Z"
    assert len(messages.release()) == 10  # visible now, 30 s before the cursor: within the overlap
    random_changes(ct, 5, seed=4)
    read(max_messages=3)
    read()
    read()  # nothing new: delivers nothing
    every = [m["id"] for m in messages.all()]
    assert len(every) >= 50
    assert sorted(delivered) == sorted(every)
    assert len(set(delivered)) == len(delivered)
    assert cursor.last_created_at == "2026-12-01T10:00:30.000Z"


def test_a_message_visible_later_than_the_overlap_is_missed(ct, messages, client):
    """The documented limit: the overlap must exceed the delay before a message becomes visible."""
    messages.freeze_clock("2026-12-01T10:00:00.000Z")
    messages.hold(count=1)
    create(ct, "orders", {"orderNumber": "late"})
    messages.freeze_clock("2026-12-01T10:05:00.000Z")
    create(ct, "orders", {"orderNumber": "on-time"})
    batch = read_new_messages(client.request, Cursor.start("earliest"), ALL, overlap=60)
    assert [m["resourceUserProvidedIdentifiers"]["orderNumber"] for m in batch.messages] == ["on-time"]
    late_id = messages.release()[0]["id"]  # visible 5 minutes late, overlap 1 minute
    assert read_new_messages(client.request, batch.cursor, ALL, overlap=60).messages == []
    assert [m["id"] for m in read_new_messages(client.request, batch.cursor, ALL, overlap=600).messages] == [late_id]


def test_deletions_of_a_window(ct, messages, client):
    messages.freeze_clock("2026-12-01T09:59:59.999Z")
    before = create(ct, "products", {"key": "before"})
    delete(ct, "products", before)
    messages.freeze_clock("2026-12-01T10:00:00.000Z")
    inside = [create(ct, "products", {"key": f"in-{i}"}) for i in range(3)]
    for product in inside:
        delete(ct, "products", product)
    order = create(ct, "orders", {"orderNumber": "o"})
    delete(ct, "orders", order)
    messages.freeze_clock("2026-12-01T11:00:00.000Z")
    after = create(ct, "products", {"key": "after"})
    delete(ct, "products", after)
    records = list(iter_deletions(client.request, "products", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", 2))
    assert sorted(r["id"] for r in records) == sorted(p["id"] for p in inside)
    assert {r["key"] for r in records} == {"in-0", "in-1", "in-2"}
    assert all(r["typeId"] == "product" and r["version"] == 1 and r["type"] == "ProductDeleted" for r in records)
    assert all(r["deletedAt"] == "2026-12-01T10:00:00.000Z" for r in records)
    with pytest.raises(ConfigurationError, match="no Message when categories are deleted"):
        deletion_message_type("categories")
    with pytest.raises(ConfigurationError, match="One of"):
        deletion_message_type("nonsense")


def test_has_new_messages_wakes_on_newer_ones_at_once_and_finds_late_ones_in_the_window(ct, messages, client):
    messages.freeze_clock("2026-12-01T10:00:10.000Z")
    for i in range(5):
        create(ct, "orders", {"orderNumber": f"o-{i}"})
    cursor = read_new_messages(client.request, Cursor.start("earliest"), ALL, overlap=60).cursor
    assert not has_new_messages(client.request, cursor, ALL, 60)
    messages.freeze_clock("2026-12-01T10:00:20.000Z")
    create(ct, "orders", {"orderNumber": "newer"})
    before = ct.count_requests("GET", "/test-project/messages")
    assert has_new_messages(client.request, cursor, ALL, 60)
    assert ct.count_requests("GET", "/test-project/messages") == before + 1  # one request: newer than the last
    cursor = read_new_messages(client.request, cursor, ALL, overlap=60).cursor
    messages.freeze_clock("2026-12-01T10:00:05.000Z")  # late: older than the last delivered
    messages.hold(count=1)
    create(ct, "orders", {"orderNumber": "late"})
    assert not has_new_messages(client.request, cursor, ALL, 60)
    messages.release()
    assert has_new_messages(client.request, cursor, ALL, 60)
    late = read_new_messages(client.request, cursor, ALL, overlap=60).messages
    assert [m["resourceUserProvidedIdentifiers"]["orderNumber"] for m in late] == ["late"]


def test_reads_through_faults_deliver_each_message_once(ct, messages):
    """429, 502/503, dropped connections and 401 on /messages: retried by the client, nothing lost or doubled."""
    from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy

    config = ClientConfig.create(
        project_key=ct.project_key,
        client_id=ct.client_id,
        client_secret=ct.client_secret,
        api_url=ct.url,
        auth_url=ct.url,
        timeout=5,
        retry=RetryPolicy(max_attempts=12, initial_backoff=0.001, max_backoff=0.01),
    )
    faulty = CommercetoolsClient(config)
    random_changes(ct, 3000, seed=7)
    ct.set_random_faults(
        0.3,
        ["429", "502", "503", "drop_before", "drop_after"],
        seed=3,
        path_prefix="/test-project/messages",
        retry_after=0.01,
    )
    cursor, delivered = Cursor.start("earliest"), []
    for _ in range(4):
        batch = read_new_messages(faulty.request, cursor, ALL, overlap=60, max_messages=1000, page_size=200)
        delivered += [m["id"] for m in batch.messages]
        cursor = batch.cursor
        ct.revoke_tokens()
    ct.clear_faults()
    faulty.close()
    assert sum(ct.faults_injected.values()) > 10
    assert len(delivered) == len(set(delivered)) == 3000
    assert set(delivered) == {m["id"] for m in messages.all()}
