"""Lost answers that the server applied late, earlier attempts' records, and whole responses (no Airflow).

Requests go over real HTTP to the fake commercetools server, except where a test needs a scripted
answer sequence.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import BadRequestError, ConfigurationError, NotFoundError
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.commercetools.writing import (
    FAILED,
    MAX_CREATE_RESENDS,
    SUCCEEDED,
    EarlierAttempts,
    ItemResult,
    PublishDefaults,
    Publisher,
    fingerprint,
)
from airflow_provider_commercetools.testing import FakeCommercetools

PK = "test-project"
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
TIMEOUT = 1.5


pytestmark = pytest.mark.client_config(retry=FAST, timeout=TIMEOUT)


def publish(client: Any, items: list[Any], *, entity: str = "products", **kwargs: Any) -> list[ItemResult]:
    p = Publisher(client, PublishDefaults.create(method="POST", entity=entity), **kwargs)
    return list(p.publish(p.prepare_all(items)))


def api(ct: FakeCommercetools) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix(f"/{PK}/")) for r in ct.requests if not r.path.startswith("/oauth")]


# -- a create that the server applies after the client stopped waiting (issue 16, item 9) -------------


def test_a_lost_create_applied_late_is_found_by_a_last_look_up_after_the_timeout(ct, client):
    # Every send is dropped unanswered; the first is applied 0.8 s later, after every quick look-up.
    ct.inject("apply_late", method="POST", times=1 + MAX_CREATE_RESENDS, delay=0.8)
    (result,) = publish(client, [{"key": "late", "name": {"en": "x"}}])
    assert (result.status, result.recovered) == (SUCCEEDED, True), result
    assert "the server applied it late" in result.note
    assert [e["key"] for e in ct.entities("products")] == ["late"]
    assert result.response["id"] == ct.entities("products")[0]["id"]
    calls = api(ct)
    assert calls.count(("POST", "products")) == 1 + MAX_CREATE_RESENDS
    assert calls[-1] == ("GET", "products/key=late") and calls.count(("GET", "products/key=late")) == 4


def test_a_create_never_applied_is_outcome_unknown_after_the_last_look_up(ct, client):
    ct.inject("drop_before", method="POST", times=1 + MAX_CREATE_RESENDS)  # dropped; the client cannot know
    (result,) = publish(client, [{"key": "never"}], late_apply_wait=0.05)
    assert result.status == FAILED and result.error["type"] == "OutcomeUnknownError", result
    assert "also not after waiting 0.05 s" in result.error["message"]
    assert ct.entities("products") == []


# -- earlier attempts of the same task -------------------------------------------------------------


def earlier_sent(*items: Any) -> EarlierAttempts:
    earlier = EarlierAttempts(["results.jsonl.partial-x"])
    for index, item in enumerate(items):
        earlier.add({"index": index, "sent": fingerprint(item)})
    return earlier


def test_an_in_flight_create_of_an_earlier_attempt_is_looked_up_not_sent_again(ct, client):
    ct.add("products", {"key": "k0"})  # the earlier attempt's create was applied
    items = [{"key": "k0"}, {"key": "k1"}]
    results = publish(client, items, earlier=earlier_sent(*items))
    assert {r.index: (r.status, r.recovered) for r in results} == {0: (SUCCEEDED, True), 1: (SUCCEEDED, False)}
    assert "earlier attempt" in next(r.note for r in results if r.index == 0)
    assert sorted(e["key"] for e in ct.entities("products")) == ["k0", "k1"]
    assert api(ct).count(("POST", "products")) == 1


class ScriptedClient:
    """The look-up finds nothing, then the create answers DuplicateField: the earlier send was applied late."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.calls.append((method, path))
        lookups = self.calls.count(("GET", "products/key=k"))
        if method == "GET" and lookups == 1:
            raise NotFoundError("not found", method=method, path=path, status_code=404, codes=["ResourceNotFound"])
        if method == "GET":
            return {"id": "the-id", "version": 1, "key": "k"}
        raise BadRequestError("duplicate key", method=method, path=path, status_code=400, codes=["DuplicateField"])


def test_duplicate_field_for_a_create_that_an_earlier_attempt_sent_is_already_applied():
    fake = ScriptedClient()
    (result,) = publish(fake, [{"key": "k"}], earlier=earlier_sent({"key": "k"}))
    assert (result.status, result.recovered, result.response["id"]) == (SUCCEEDED, True, "the-id")
    assert fake.calls == [("GET", "products/key=k"), ("POST", "products"), ("GET", "products/key=k")]


def test_duplicate_field_for_a_create_nobody_sent_before_is_a_failure():
    fake = ScriptedClient()
    (result,) = publish(fake, [{"key": "k"}])
    assert result.status == FAILED and result.error["codes"] == ["DuplicateField"]


def test_succeeded_records_of_an_earlier_attempt_are_carried_over():
    earlier = earlier_sent({"key": "k0"})
    earlier.add({"index": 0, "status": "succeeded", "request": "POST products", "response": {"id": "i0"}})
    (result,) = publish(NoRequests(), [{"key": "k0"}], earlier=earlier)
    assert (result.status, result.response) == (SUCCEEDED, {"id": "i0"})
    assert "earlier attempt" in result.note


def test_other_items_than_the_earlier_attempt_sent_are_refused():
    earlier = earlier_sent({"key": "k0"})
    with pytest.raises(ConfigurationError, match=r"^items: items\[0\] is not the item that an interrupted"):
        earlier.check_all([{"key": "other"}])


class NoRequests:
    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"unexpected request {args}")


# -- keep_response -----------------------------------------------------------------------------------


def test_keep_response_keeps_the_whole_answer(ct, client):
    (summary,) = publish(client, [{"key": "a", "name": {"en": "A"}}])
    assert set(summary.response) == {"id", "version", "key"}
    (whole,) = publish(client, [{"key": "b", "name": {"en": "B"}}], keep_response=True)
    assert whole.response["masterData"]["staged"]["name"] == {"en": "B"} and whole.response["createdAt"]
    (stored,) = [e for e in ct.entities("products") if e["key"] == "b"]
    assert whole.to_record()["response"] == stored
