"""One failing token stops the batch: after the token failed twice in a row, nothing more is sent, and every
remaining item is ``not_sent`` with the reason; the publisher and the Import API alike.

Against the fake over real HTTP; grants and requests are counted from its request log. The fake
refuses grants when the client's secret is wrong (401 ``invalid_client``), and an API that refuses
every token is the fake revoking each token as it grants it (its ``on_token`` and ``revoke_tokens``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.importer import Importer
from airflow_provider_commercetools.commercetools.imports.resources import get_resource_type
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.commercetools.writing import FAILED, NOT_SENT, PublishDefaults, Publisher
from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi

FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
WRONG_SECRET = "not-the-secret-7f3a"
ITEMS = 200


@pytest.fixture
def ct() -> Iterator[FakeCommercetools]:
    with FakeCommercetools() as server:
        yield server


def client_for(ct: FakeCommercetools, *, secret: str | None = None, api_url: str | None = None) -> CommercetoolsClient:
    config = ClientConfig.create(
        project_key=ct.project_key,
        client_id=ct.client_id,
        client_secret=secret or ct.client_secret,
        api_url=api_url or ct.url,
        auth_url=ct.url,
        retry=FAST,
    )
    return CommercetoolsClient(config)


def grants_and_requests(ct: FakeCommercetools) -> tuple[int, int]:
    grants = sum(1 for r in ct.requests if r.path == "/oauth/token")
    return grants, len(ct.requests) - grants


def refuse_every_token(ct: FakeCommercetools) -> None:
    """Every token is revoked as soon as it is granted: the API answers 401 invalid_token to all."""
    ct.on_token(lambda token: ct.revoke_tokens())


def publish(client: CommercetoolsClient, **options: Any) -> list[Any]:
    defaults = PublishDefaults.create(method="POST", entity="customers")
    publisher = Publisher(client, defaults, **options)
    items = [{"email": f"c{i}@example.com", "password": f"pw-{i}", "key": f"c{i}"} for i in range(ITEMS)]
    return list(publisher.publish(publisher.prepare_all(items)))


def check_stopped(results: list[Any], failed: int) -> None:
    by_status = [r.status for r in results]
    assert len(results) == ITEMS and by_status.count(FAILED) == failed
    assert by_status.count(NOT_SENT) == ITEMS - failed
    for result in results:
        if result.status == NOT_SENT:
            assert result.note.startswith("not sent: the access token failed")
            assert "Fix the connection" in result.note and WRONG_SECRET not in result.note


@pytest.mark.parametrize("stop_on_failure", [False, True], ids=["on_error=continue or skip", "on_error=fail"])
def test_refused_grants_stop_the_publisher_after_two(ct, stop_on_failure):
    results = publish(client_for(ct, secret=WRONG_SECRET), stop_on_failure=stop_on_failure)
    grants, api_requests = grants_and_requests(ct)
    failed = 1 if stop_on_failure else 2
    assert (grants, api_requests) == (failed, 0)  # before: one refused grant per item, 200
    check_stopped(results, failed)
    note = next(r.note for r in results if r.status == NOT_SENT)
    assert "POST /oauth/token -> HTTP 401 invalid_client" in note


def test_an_api_refusing_every_token_stops_the_publisher_after_two_items(ct):
    refuse_every_token(ct)
    results = publish(client_for(ct), stop_on_failure=False)
    grants, api_requests = grants_and_requests(ct)
    # each of the two items: sent with a token, refused, a new token, refused again
    assert (grants, api_requests) == (4, 4)  # before: 101 grants and 400 requests for 200 items
    check_stopped(results, 2)
    assert "HTTP 401 invalid_token" in next(r.note for r in results if r.status == NOT_SENT)


def test_concurrent_items_share_one_refused_grant(ct):
    results = publish(client_for(ct, secret=WRONG_SECRET), stop_on_failure=False, max_workers=8)
    grants, api_requests = grants_and_requests(ct)
    assert api_requests == 0
    assert grants <= 3  # threads that waited for a refused grant get its error, not a grant of their own
    assert [r.status for r in results].count(NOT_SENT) >= ITEMS - 16  # at most the items already handed out


def test_one_failed_grant_alone_does_not_stop_the_batch(ct):
    """A grant that fails once (three 503s: its retries used up) fails one item; the next grant works."""
    ct.inject("503", times=FAST.max_attempts, path_prefix="/oauth/token")
    results = publish(client_for(ct), stop_on_failure=False)
    statuses = [r.status for r in results]
    assert statuses.count(FAILED) == 1 and statuses.count("succeeded") == ITEMS - 1
    assert results[0].error["message"].startswith("POST /oauth/token")


def test_refused_grants_stop_the_import_api_after_two_requests(ct):
    imports = FakeImportApi(ct)
    client = client_for(ct, secret=WRONG_SECRET, api_url=imports.url)
    importer = Importer(ImportApi(client), get_resource_type("customer"), "refused", max_workers=1)
    items = [
        {"key": f"c{i}", "email": f"c{i}@example.com", "password": f"pw-{i}", "addresses": []} for i in range(ITEMS)
    ]
    prepared, decided = importer.prepare(items, strict=True)
    records = importer.send(prepared)
    grants, api_requests = grants_and_requests(ct)
    assert decided == [] and (grants, api_requests) == (2, 0)  # before: one refused grant per request of 20, 10
    assert [r.status for r in records].count(FAILED) == 40  # the two requests of 20
    unsent = [r for r in records if r.status == NOT_SENT]
    assert len(unsent) == ITEMS - 40
    assert all(r.note.startswith("not sent: the access token failed 2 times in a row") for r in unsent)
