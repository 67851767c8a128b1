"""The same behaviour from the requests client and the async (httpx) client, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import logging
import socket
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import pytest

from airflow_provider_commercetools.commercetools.errors import (
    AuthenticationError,
    ConcurrentModificationError,
    NotFoundError,
    OutcomeUnknownError,
    RetriesExhaustedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.commercetools.clients import SIDES, AsyncSide, SyncSide, config_for

Side = SyncSide | AsyncSide


@pytest.fixture(params=sorted(SIDES))
def make(request, commercetools_server) -> Iterator[Callable[..., Side]]:
    made: list[Side] = []

    def build(server: FakeCommercetools = commercetools_server, *, on_secret=None, **config) -> Side:
        side = SIDES[request.param](config_for(server, **config), on_secret=on_secret)
        made.append(side)
        return side

    yield build
    for side in made:
        side.close()


def api_requests(server: FakeCommercetools) -> list:
    return [r for r in server.requests if not r.path.startswith("/oauth")]


def test_grant_uses_basic_auth_form_and_scope(make, commercetools_server):
    server = commercetools_server
    assert make().request("GET", "products")["results"] == []
    grant = next(r for r in server.requests if r.path == "/oauth/token")
    user, _, password = base64.b64decode(grant.headers["authorization"].split()[1]).decode().partition(":")
    assert (user, password) == (server.client_id, server.client_secret)
    assert parse_qs(grant.body.decode()) == {
        "grant_type": ["client_credentials"],
        "scope": [f"manage_project:{server.project_key}"],
    }
    request = api_requests(server)[0]
    assert request.headers["x-correlation-id"].startswith("airflow-")
    assert request.headers["user-agent"].startswith("airflow-provider-commercetools/")


def test_concurrent_requests_share_one_grant(make, commercetools_server):
    results = make().concurrently(12, "GET", "products")
    assert all(isinstance(r, dict) for r in results), results
    assert commercetools_server.token_grants == 1
    assert commercetools_server.count_requests("GET", f"/{commercetools_server.project_key}/products") == 12


def test_revoked_token_is_regranted_once(make, commercetools_server):
    side = make()
    side.request("GET", "products")
    commercetools_server.revoke_tokens()
    assert side.request("GET", "products")["results"] == []
    assert commercetools_server.token_grants == 2
    assert [r.status for r in api_requests(commercetools_server)] == [200, 401, 200]


def test_second_401_fails_clearly(make, commercetools_server, monkeypatch):
    side = make()
    if side.kind == "sync":
        monkeypatch.setattr(side.auth, "access_token", lambda: "not-a-token")
    else:

        async def fake() -> str:
            return "not-a-token"

        monkeypatch.setattr(side.auth, "async_access_token", fake)
    with pytest.raises(AuthenticationError, match="freshly granted token"):
        side.request("GET", "products")
    assert commercetools_server.count_requests("GET") == 2


def test_wrong_secret_is_a_readable_401(make, commercetools_server):
    side = make(client_secret="wrong-secret-value")
    with pytest.raises(AuthenticationError) as error:
        side.request("GET", "products")
    assert "POST /oauth/token -> HTTP 401 invalid_client" in str(error.value)
    assert "client id or secret" in str(error.value)
    assert "wrong-secret-value" not in str(error.value)


def test_crud_typed_errors_and_head(make, commercetools_server):
    side = make()
    created = side.request("POST", "categories", payload={"key": "shoes"})
    assert side.request("HEAD", "categories/key=shoes") is True
    with pytest.raises(NotFoundError) as missing:
        side.request("GET", "categories/nope")
    assert str(missing.value).startswith("GET /test-project/categories/nope -> HTTP 404 ResourceNotFound:")
    side.request("POST", f"categories/{created['id']}", payload={"version": 1, "actions": []}, idempotent=True)
    with pytest.raises(ConcurrentModificationError) as conflict:
        side.request("POST", f"categories/{created['id']}", payload={"version": 1, "actions": []})
    assert conflict.value.current_version == 2
    page = side.request("GET", "categories", query={"where": ['key="shoes"'], "withTotal": False})
    assert [e["key"] for e in page["results"]] == ["shoes"]
    assert side.request("DELETE", "categories/key=shoes", query={"version": 2})["key"] == "shoes"


@pytest.mark.parametrize("fault", ["502", "503", "drop_before", "html_502"])
def test_reads_are_retried_and_logged(make, commercetools_server, fault, caplog):
    commercetools_server.inject(fault, times=2, method="GET")
    with caplog.at_level(logging.WARNING):
        assert make().request("GET", "products")["results"] == []
    assert commercetools_server.count_requests("GET") == 3
    assert len([r for r in caplog.records if "retrying in" in r.getMessage()]) == 2


def test_retries_exhausted(make, commercetools_server):
    commercetools_server.inject("503", times=10, method="GET")
    with pytest.raises(RetriesExhaustedError) as error:
        make().request("GET", "products")
    assert error.value.attempts == 3 and isinstance(error.value.last_error, ServerError)


def test_429_is_retried_for_a_create(make, commercetools_server):
    commercetools_server.inject("429", times=1, method="POST", retry_after=0.01)
    make().request("POST", "categories", payload={"key": "k"})
    assert len(commercetools_server.entities("categories")) == 1


@pytest.mark.parametrize("fault", ["502", "drop_after", "drop_before"])
def test_create_is_not_resent_after_an_uncertain_failure(make, commercetools_server, fault):
    server = commercetools_server
    server.inject(fault, times=1, method="POST", path_prefix=f"/{server.project_key}/categories")
    with pytest.raises(OutcomeUnknownError, match="may or may not have been applied"):
        make().request("POST", "categories", payload={"key": "once"})
    assert server.count_requests("POST", f"/{server.project_key}/categories") == 1


def test_update_resent_after_lost_response_reports_unknown_outcome(make, commercetools_server):
    side = make()
    created = side.request("POST", "categories", payload={"key": "k"})
    commercetools_server.inject("drop_after", times=1, method="POST")
    with pytest.raises(OutcomeUnknownError, match="a retried update met a newer version"):
        side.request(
            "POST",
            f"categories/{created['id']}",
            payload={"version": 1, "actions": [{"action": "setKey", "key": "k2"}]},
            idempotent=True,
        )
    assert commercetools_server.get_entity("categories", created["id"])["version"] == 2


def test_read_timeout_is_retried(make, commercetools_server):
    commercetools_server.inject("slow", times=1, method="GET", delay=0.8)
    assert make(timeout=0.3).request("GET", "products")["results"] == []
    assert commercetools_server.count_requests("GET") == 2


def test_non_json_200_is_named(make, commercetools_server):
    commercetools_server.inject("garbage_200", method="GET")
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        make().request("GET", "products")


def test_connect_failure_is_retried_then_named(make):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(RetriesExhaustedError) as error:
        make(api_url=url, auth_url=url).request("GET", "products")
    assert isinstance(error.value.last_error, TransportError) and not error.value.last_error.sent
    assert "cannot connect" in str(error.value)


def test_log_line_and_secrets_registered(make, commercetools_server, caplog):
    masked: list[str] = []
    side = make(on_secret=masked.append, log_requests=True)
    with caplog.at_level(logging.INFO):
        side.request("GET", "products", query={"limit": 5})
    (line,) = [m for m in caplog.messages if m.startswith("commercetools GET") and " ms (attempt " in m]
    assert "/test-project/products?limit=5 -> 200" in line and "(attempt 1, correlation id airflow-" in line
    basic = base64.b64encode(f"{commercetools_server.client_id}:{commercetools_server.client_secret}".encode())
    assert commercetools_server.client_secret in masked and basic.decode() in masked
    token = side.request("GET", "products") and side.auth._token.access_token
    assert token in masked and token not in caplog.text


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_base_url_replaces_the_api_url(commercetools_server, kind):
    with FakeCommercetools() as other:  # the "import host": grants its own tokens, so auth goes there too
        side = SIDES[kind](config_for(commercetools_server, auth_url=other.url), base_url=other.url + "/")
        try:
            assert side.request("GET", "products")["results"] == []
        finally:
            side.close()
        assert [r.path for r in other.requests] == ["/oauth/token", f"/{other.project_key}/products"]
        assert commercetools_server.requests == []


def test_async_client_is_an_async_context_manager(commercetools_server):
    async def run() -> tuple[object, bool]:
        async with AsyncCommercetoolsClient(config_for(commercetools_server)) as client:
            project = await client.request("GET", "")
            inner = client.http
        return project, inner.is_closed

    project, closed = asyncio.run(run())
    assert isinstance(project, dict) and project["key"] == commercetools_server.project_key
    assert closed


def test_retry_policy_sleeps_the_same_in_both(monkeypatch):
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.01)
    calls: list[int] = []

    def failing(n: int) -> None:
        calls.append(n)
        raise ServerError("x", status_code=503)

    async def afailing(n: int) -> None:
        failing(n)

    with pytest.raises(RetriesExhaustedError):
        policy.call(failing, idempotent=True, describe="GET /x", logger=logging.getLogger("t"))
    with pytest.raises(RetriesExhaustedError):
        asyncio.run(policy.acall(afailing, idempotent=True, describe="GET /x", logger=logging.getLogger("t")))
    assert calls == [1, 2, 3, 1, 2, 3]


def test_the_collector_stays_on_and_long_lived_objects_are_frozen(commercetools_server):
    import gc

    from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient

    CommercetoolsClient(config_for(commercetools_server)).close()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
