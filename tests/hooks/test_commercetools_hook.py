"""CommercetoolsHook against the fake commercetools server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from urllib.parse import parse_qs

import pytest

from airflow_provider_commercetools import __version__
from airflow_provider_commercetools.commercetools.errors import (
    AuthenticationError,
    BadRequestError,
    ConcurrentModificationError,
    ConfigurationError,
    ForbiddenError,
    NotFoundError,
    OutcomeUnknownError,
    RetriesExhaustedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json

CONN_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)


def hook(**kwargs) -> CommercetoolsHook:
    return CommercetoolsHook(retry_policy=kwargs.pop("retry_policy", FAST), **kwargs)


def api_requests(server: FakeCommercetools) -> list:
    return [r for r in server.requests if not r.path.startswith("/oauth")]


# -- token grant -------------------------------------------------------------------------------


def test_token_grant_uses_basic_auth_form_and_scope(commercetools_connection):
    server = commercetools_connection
    hook().get("products")
    grant = next(r for r in server.requests if r.path == "/oauth/token")
    assert grant.method == "POST"
    user, _, password = base64.b64decode(grant.headers["authorization"].split()[1]).decode().partition(":")
    assert (user, password) == (server.client_id, server.client_secret)
    form = parse_qs(grant.body.decode())
    assert form == {"grant_type": ["client_credentials"], "scope": [f"manage_project:{server.project_key}"]}


def test_token_is_reused_for_many_requests(commercetools_connection):
    h = hook()
    for _ in range(5):
        h.get("products")
    assert commercetools_connection.token_grants == 1


def test_concurrent_threads_cause_one_grant(commercetools_connection):
    h = hook()
    barrier = threading.Barrier(16)
    errors = []

    def work():
        barrier.wait()
        try:
            h.get("products")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    assert commercetools_connection.token_grants == 1
    assert commercetools_connection.count_requests("GET", f"/{commercetools_connection.project_key}/products") == 16


def test_token_renewed_before_expiry(monkeypatch):
    with FakeCommercetools(token_lifetime=1) as server:
        monkeypatch.setenv(CONN_ENV, connection_json(server))
        h = hook()
        h.get("products")
        time.sleep(1.0)
        h.get("products")
        assert server.token_grants == 2
        # every API request carried a valid token: no 401 was answered
        assert all(r.status == 200 for r in api_requests(server))


def test_revoked_token_is_regranted_once(commercetools_connection):
    server = commercetools_connection
    h = hook()
    h.get("products")
    server.revoke_tokens()
    assert h.get("products")["results"] == []
    assert server.token_grants == 2
    assert [r.status for r in api_requests(server)] == [200, 401, 200]


def test_second_401_fails_clearly(commercetools_connection, mocker):
    h = hook()
    mocker.patch.object(h.client.auth, "access_token", return_value="not-a-token")
    with pytest.raises(AuthenticationError) as error:
        h.get("products")
    assert error.value.status_code == 401
    assert "invalid_token" in str(error.value)
    assert "freshly granted token" in str(error.value)
    assert commercetools_connection.count_requests("GET") == 2


def test_wrong_secret_is_a_readable_401(commercetools_server, monkeypatch):
    wrong = "wrong-secret-value"
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, password=wrong))
    with pytest.raises(AuthenticationError) as error:
        hook().get("products")
    text = str(error.value)
    assert "POST /oauth/token -> HTTP 401 invalid_client" in text
    assert "client id or secret" in text
    assert wrong not in text and commercetools_server.client_secret not in text


def test_insufficient_scope_is_named(monkeypatch):
    with FakeCommercetools(scopes=["view_products:test-project"]) as server:
        monkeypatch.setenv(CONN_ENV, connection_json(server, scopes="view_products:test-project"))
        h = hook()
        assert h.get("products")["results"] == []
        with pytest.raises(ForbiddenError) as error:
            h.get("categories")
        assert error.value.status_code == 403
        assert "insufficient_scope" in str(error.value)
        assert "view_categories" in str(error.value)


def test_scope_the_client_lacks_fails_at_grant(monkeypatch):
    with FakeCommercetools(scopes=["view_products:test-project"]) as server:
        monkeypatch.setenv(CONN_ENV, connection_json(server))  # asks for manage_project
        with pytest.raises(BadRequestError, match="invalid_scope"):
            hook().get("products")


# -- requests ----------------------------------------------------------------------------------


def test_user_agent_and_correlation_id(commercetools_connection):
    hook().get("products")
    request = api_requests(commercetools_connection)[0]
    assert request.headers["user-agent"].startswith(f"airflow-provider-commercetools/{__version__} Python/")
    assert "apache-airflow/" in request.headers["user-agent"]
    assert request.headers["x-correlation-id"].startswith("airflow-")


def test_crud_helpers(commercetools_connection):
    h = hook()
    created = h.create("categories", {"key": "shoes", "name": {"en": "Shoes"}})
    assert created["version"] == 1
    by_key = h.get("categories", {"key": "shoes"})
    assert by_key["id"] == created["id"]
    updated = h.update("categories", {"id": created["id"]}, 1, [{"action": "changeName", "name": {"en": "Boots"}}])
    assert updated["name"] == {"en": "Boots"} and updated["version"] == 2
    page = h.get("categories", query={"where": ['key="shoes"'], "withTotal": False})
    assert [e["id"] for e in page["results"]] == [created["id"]]
    assert h.request("HEAD", "categories", path={"key": "shoes"}) is True
    h.delete("categories", {"key": "shoes"}, version=2)
    assert commercetools_connection.entities("categories") == []


def test_not_found_is_readable(commercetools_connection):
    with pytest.raises(NotFoundError) as error:
        hook().get("products", {"id": "nope"})
    text = str(error.value)
    assert text.startswith("GET /test-project/products/nope -> HTTP 404 ResourceNotFound:")
    assert "correlation id" in text and "Check the entity name" in text


def test_conflict_carries_current_version(commercetools_connection):
    h = hook()
    created = h.create("categories", {"key": "c"})
    h.update("categories", {"id": created["id"]}, 1, [{"action": "setKey", "key": "d"}])
    with pytest.raises(ConcurrentModificationError) as error:
        h.update("categories", {"id": created["id"]}, 1, [{"action": "setKey", "key": "e"}])
    assert error.value.current_version == 2
    assert "on_conflict='retry'" in str(error.value)


def test_bad_request_quotes_commercetools(commercetools_connection):
    with pytest.raises(BadRequestError) as error:
        hook().get("products", query={"where": "id = = 1"})
    assert "Malformed parameter: where" in str(error.value)
    assert error.value.codes == ["InvalidInput"]


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["502", "503", "504", "drop_before", "html_502"])
def test_reads_are_retried(commercetools_connection, fault, caplog):
    server = commercetools_connection
    server.inject(fault, times=2, method="GET")
    with caplog.at_level(logging.WARNING):
        assert hook().get("products")["results"] == []
    assert server.count_requests("GET") == 3
    assert len([r for r in caplog.records if "retrying in" in r.getMessage()]) == 2


def test_429_honours_retry_after(commercetools_connection):
    server = commercetools_connection
    server.inject("429", times=1, method="GET", retry_after=0.3)
    started = time.monotonic()
    hook(retry_policy=RetryPolicy(initial_backoff=0.001, max_backoff=0.001)).get("products")
    assert time.monotonic() - started >= 0.3
    assert server.count_requests("GET") == 2


def test_read_timeout_is_retried(monkeypatch):
    with FakeCommercetools() as server:
        monkeypatch.setenv(CONN_ENV, connection_json(server, timeout=0.3))
        server.inject("slow", times=1, method="GET", delay=0.8)
        assert hook().get("products")["results"] == []
        assert server.count_requests("GET") == 2


def test_retries_exhausted(commercetools_connection):
    commercetools_connection.inject("503", times=10, method="GET")
    with pytest.raises(RetriesExhaustedError) as error:
        hook().get("products")
    assert error.value.attempts == 3
    assert isinstance(error.value.last_error, ServerError)
    assert "gave up after 3 attempts" in str(error.value)


@pytest.mark.parametrize("fault", ["502", "drop_after", "drop_before"])
def test_create_is_not_resent_after_an_uncertain_failure(commercetools_connection, fault):
    server = commercetools_connection
    server.inject(fault, times=1, method="POST", path_prefix=f"/{server.project_key}/categories")
    with pytest.raises(OutcomeUnknownError) as error:
        hook().create("categories", {"key": "once"})
    assert server.count_requests("POST", f"/{server.project_key}/categories") == 1
    assert "may or may not have been applied" in str(error.value)
    assert len(server.entities("categories")) == (1 if fault == "drop_after" else 0)


def test_create_is_retried_after_429(commercetools_connection):
    server = commercetools_connection
    server.inject("429", times=1, method="POST", retry_after=0.01)
    hook().create("categories", {"key": "k"})
    assert len(server.entities("categories")) == 1


def test_update_resent_after_lost_response_reports_unknown_outcome(commercetools_connection):
    server = commercetools_connection
    h = hook()
    created = h.create("categories", {"key": "k"})
    server.inject("drop_after", times=1, method="POST")
    with pytest.raises(OutcomeUnknownError, match="a retried update met a newer version"):
        h.update("categories", {"id": created["id"]}, 1, [{"action": "setKey", "key": "k2"}])
    assert server.get_entity("categories", created["id"])["version"] == 2  # applied once


def test_connect_failure_is_retried_then_named(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv(
        CONN_ENV,
        f'{{"conn_type": "commercetools", "host": "{url}", "login": "a", "password": "b", '
        f'"extra": {{"project_key": "p", "auth_url": "{url}"}}}}',
    )
    with pytest.raises(RetriesExhaustedError) as error:
        hook().get("products")
    assert isinstance(error.value.last_error, TransportError)
    assert not error.value.last_error.sent
    assert "cannot connect" in str(error.value)


def test_non_json_200_is_named(commercetools_connection):
    commercetools_connection.inject("garbage_200", method="GET")
    with pytest.raises(UnexpectedResponseError, match="not JSON"):
        hook().get("products")


# -- logging and secrets -----------------------------------------------------------------------


def test_log_requests_one_line_per_request_without_secrets(monkeypatch, caplog):
    with FakeCommercetools() as server:
        monkeypatch.setenv(CONN_ENV, connection_json(server, log_requests=True))
        server.inject("503", times=1, method="GET")
        h = hook()
        with caplog.at_level(logging.INFO):
            h.get("products", query={"limit": 5})
            with pytest.raises(NotFoundError) as error:
                h.get("products", {"id": "missing"})
        lines = [m for m in caplog.messages if m.startswith("commercetools GET") and " ms (attempt " in m]
        assert len(lines) == 3
        assert "/test-project/products?limit=5 -> 503" in lines[0] and "(attempt 1, correlation id airflow-" in lines[0]
        assert "-> 200" in lines[1] and "(attempt 2," in lines[1] and " ms " in lines[1]
        assert "-> 404" in lines[2]
        token = h.client.auth.access_token()
        everything = caplog.text + str(error.value)
        assert server.client_secret not in everything
        assert token not in everything


def test_secret_and_token_are_registered_with_the_masker(commercetools_connection, mocker):
    masked = mocker.patch("airflow_provider_commercetools.hooks.commercetools.mask_secret")
    h = hook()
    h.get("products")
    values = [c.args[0] for c in masked.call_args_list]
    assert commercetools_connection.client_secret in values
    assert h.client.auth.access_token() in values


# -- connection --------------------------------------------------------------------------------


def test_missing_project_key_fails_at_first_use_not_at_construction(commercetools_server, monkeypatch):
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, project_key=None))
    h = CommercetoolsHook()  # no error yet
    with pytest.raises(ConfigurationError) as error:
        h.get("products")
    assert error.value.parameter == "project_key"
    assert commercetools_server.requests == []


def test_uri_connection(commercetools_server, monkeypatch):
    from urllib.parse import quote

    host = commercetools_server.url.removeprefix("http://")
    uri = (
        f"commercetools://{commercetools_server.client_id}:{commercetools_server.client_secret}@{host}/http"
        f"?project_key={commercetools_server.project_key}&auth_url={quote(commercetools_server.url, safe='')}"
    )
    monkeypatch.setenv(CONN_ENV, uri)
    ok, message = CommercetoolsHook().test_connection()
    assert ok, message


def test_region_connection_builds_cloud_urls(monkeypatch):
    monkeypatch.setenv(
        CONN_ENV,
        '{"conn_type": "commercetools", "login": "a", "password": "b", '
        '"extra": {"project_key": "p", "region": "us-central1.gcp"}}',
    )
    config = CommercetoolsHook().config
    assert config.api_url == "https://api.us-central1.gcp.commercetools.com"
    assert config.auth_url == "https://auth.us-central1.gcp.commercetools.com"


def test_test_connection_success(commercetools_connection):
    ok, message = CommercetoolsHook().test_connection()
    assert ok
    assert "test-project" in message and "scopes: manage_project:test-project" in message


def test_test_connection_wrong_secret(commercetools_server, monkeypatch):
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, password="nope-nope"))
    ok, message = CommercetoolsHook().test_connection()
    assert not ok
    assert "401" in message and "client id or secret" in message and "nope-nope" not in message


def test_proxy_from_the_environment_is_used(commercetools_connection, monkeypatch):
    """The environment is read once per client (not per request), and proxies in it still apply."""
    with FakeCommercetools() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        hook().get("products")  # the fake answers proxied requests as if they were its own
        assert [(r.method, r.path) for r in proxy.requests] == [
            ("POST", "/oauth/token"),
            ("GET", f"/{commercetools_connection.project_key}/products"),
        ]
        assert commercetools_connection.requests == []


def test_no_proxy_is_honoured(commercetools_connection, monkeypatch):
    with FakeCommercetools() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert hook().get("products")["results"] == []
        assert proxy.requests == []


# -- the Import API host and the async client --------------------------------------------------


def test_import_client_shares_the_token_and_goes_to_the_import_url(commercetools_server, monkeypatch):
    with FakeCommercetools() as imports:
        monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, import_url=imports.url))
        h = hook()
        assert h.import_client.base_url == imports.url
        assert h.import_client.auth is h.client.auth
        h.get("products")
        # the import fake grants its own tokens: the shared one is rejected there, which proves it was sent
        with pytest.raises(AuthenticationError):
            h.import_client.request("GET", "import-containers")
        assert commercetools_server.token_grants == 2 and imports.token_grants == 0
        assert [r.path for r in imports.requests] == [f"/{imports.project_key}/import-containers"] * 2


def test_import_client_without_an_import_url_names_the_extra(commercetools_connection):
    with pytest.raises(ConfigurationError) as error:
        hook().import_client  # noqa: B018
    assert error.value.parameter == "import_url"
    assert commercetools_connection.requests == []


def test_async_client_factory(commercetools_server, monkeypatch):
    import asyncio

    from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient

    with FakeCommercetools() as imports:
        monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, import_url=imports.url))
        h = hook()
        first, second, on_import = h.async_client(), h.async_client(), h.async_client(base="import")
        assert isinstance(first, AsyncCommercetoolsClient) and first is not second
        assert (first.base_url, on_import.base_url) == (commercetools_server.url, imports.url)

        async def run() -> object:
            async with first, second, on_import:
                return await first.request("GET", "products")

        assert asyncio.run(run())["results"] == []
        assert commercetools_server.token_grants == 1
        with pytest.raises(ConfigurationError, match="'api' or 'import'"):
            h.async_client(base="history")  # type: ignore[arg-type]


def test_the_basic_credentials_are_registered_with_the_masker(commercetools_connection, mocker):
    masked = mocker.patch("airflow_provider_commercetools.hooks.commercetools.mask_secret")
    hook().get("products")
    server = commercetools_connection
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    assert basic in [c.args[0] for c in masked.call_args_list]


def test_allow_insecure_http_extra(monkeypatch):
    conn = (
        '{"conn_type": "commercetools", "host": "http://ct.example.com", "login": "a", "password": "b", '
        '"extra": {"project_key": "p", "auth_url": "http://auth.example.com"%s}}'
    )
    monkeypatch.setenv(CONN_ENV, conn % "")
    with pytest.raises(ConfigurationError, match="clear text") as error:
        CommercetoolsHook().config  # noqa: B018
    assert error.value.parameter == "api_url"
    monkeypatch.setenv(CONN_ENV, conn % ', "allow_insecure_http": "true"')
    assert CommercetoolsHook().config.api_url == "http://ct.example.com"
