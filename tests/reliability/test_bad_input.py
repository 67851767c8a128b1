"""Bad input: each case is a clear error naming the parameter or the response, never a hang.

Only what tests/hooks, tests/operators and tests/commercetools do not prove already; the table in
docs/reliability.md points to the test of every case.
"""

from __future__ import annotations

import datetime as dt
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_commercetools.commercetools.errors import (
    ConfigurationError,
    RetriesExhaustedError,
    TransportError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    CommercetoolsSubscriberOperator,
)
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json

CONN_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
FAST = {"retry_max_attempts": 2, "retry_initial_backoff": 0.01}


def subscriber(**kwargs: Any) -> CommercetoolsSubscriberOperator:
    kwargs.setdefault("task_id", "read")
    return CommercetoolsSubscriberOperator(**kwargs)


def publisher(**kwargs: Any) -> CommercetoolsPublisherOperator:
    kwargs.setdefault("task_id", "publish")
    kwargs.setdefault("entity", "products")
    return CommercetoolsPublisherOperator(**kwargs)


# -- operator parameters of the wrong type or value -------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"commercetools_conn_id": ""}, r"^commercetools_conn_id: '' is not a connection id", id="conn-id"),
        pytest.param(
            {"commercetools_conn_id": 5}, r"^commercetools_conn_id: 5 is not a connection id", id="conn-id-int"
        ),
        pytest.param({"paginate": "yes"}, r"^paginate: 'yes' is not True or False", id="paginate"),
        pytest.param({"page_size": "100"}, r"^page_size: '100' is not between 1 and 500", id="page-size-str"),
        pytest.param({"max_items": "10"}, r"^max_items: '10' is not a positive integer", id="max-items-str"),
        pytest.param({"max_items": True}, r"^max_items: True is not a positive integer", id="max-items-bool"),
        pytest.param({"max_xcom_items": 1.5}, r"^max_xcom_items: 1.5 is not a positive integer", id="max-xcom-float"),
    ],
)
def test_subscriber_static_arguments_of_the_wrong_type(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        subscriber(**{"entity": "products", **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"entity": 5}, r"^entity: 5 is not a non-empty string", id="entity-int"),
        pytest.param(
            {"entity": None, "endpoint": ["products"]}, r"^endpoint: \['products'\] is not a non-empty", id="endpoint"
        ),
        pytest.param({"path": ["id", "x"]}, r"^path: must be a dict, got list", id="path-list"),
        pytest.param({"output_path": 5}, r"^output_path: 5 is not a path", id="output-int"),
        pytest.param(
            {"modified_until": 1_700_000_000}, r"^modified_until: int 1700000000 is not a timestamp", id="until"
        ),
        pytest.param({"partition": "two"}, r"^partition: 'two' is not a partition", id="partition-str"),
        pytest.param(
            {"partition": {"index": "0", "count": 2}}, r"^partition: .* is not a partition", id="partition-str-index"
        ),
    ],
)
def test_subscriber_rendered_arguments_of_the_wrong_type_fail_before_any_request(
    commercetools_connection, kwargs, match
):
    operator = subscriber(entity="products")
    for name, value in kwargs.items():  # what the templates rendered to
        setattr(operator, name, value)
    with pytest.raises(ConfigurationError, match=match):
        operator.execute({})
    assert commercetools_connection.requests == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"max_workers": "4"}, r"^max_workers: '4' is not an integer >= 1", id="workers-str"),
        pytest.param(
            {"max_conflict_retries": True}, r"^max_conflict_retries: True is not an integer >= 0", id="retries-bool"
        ),
        pytest.param({"on_error": 1}, r"^on_error: 1 is not one of 'fail', 'continue', 'skip'", id="on-error-int"),
        pytest.param({"on_conflict": None}, r"^on_conflict: None is not one of", id="on-conflict-none"),
        pytest.param(
            {"commercetools_conn_id": None}, r"^commercetools_conn_id: None is not a connection id", id="conn-none"
        ),
    ],
)
def test_publisher_static_arguments_of_the_wrong_type(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        publisher(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"method": 5}, r"^method: unknown method 5", id="method-int"),
        pytest.param({"entity": None, "endpoint": 5}, r"^endpoint: 5 is not a non-empty string", id="endpoint-int"),
        pytest.param({"payload": 5}, r"^payload: must be a dict or a list, got int 5", id="payload-int"),
        pytest.param(
            {"query": {"expand": {"a": 1}}}, r"^query\['expand'\]: .* is not a query value", id="query-dict-value"
        ),
        pytest.param({"output_path": 5, "payload": {"key": "a"}}, r"^output_path: 5 is not a path", id="output-int"),
        pytest.param({"items": [{"key": "a"}, None]}, r"^items\[1\]: must be a dict, got NoneType", id="item-none"),
    ],
)
def test_publisher_rendered_arguments_of_the_wrong_type_fail_before_any_request(
    commercetools_connection, kwargs, match
):
    operator = publisher()
    for name, value in kwargs.items():
        setattr(operator, name, value)
    with pytest.raises(ConfigurationError, match=match):
        operator.execute({})
    assert commercetools_connection.requests == []


# -- templates that render to the wrong type (rendered by Airflow's Jinja environment) ----------------------


def render(operator: Any, params: dict[str, Any]) -> Any:
    operator.render_template_fields({"params": params})
    return operator


@pytest.mark.parametrize("native", [True, False], ids=["native", "jinja-text"])
def test_templates_rendering_to_the_wrong_type_are_named(commercetools_connection, native):
    params = {"path": ["not", "a", "dict"], "query": {"where": 'key = "a"'}, "size": "ten"}
    with DAG("bad_templates", schedule=None, start_date=dt.datetime(2026, 1, 1), render_template_as_native_obj=native):
        read = subscriber(entity="products", query="{{ params.query }}", path="{{ params.path }}")
        write = publisher(payload="{{ params.size }}")
        window = subscriber(task_id="window", entity="products", modified_since="{{ params.size }}")

    with pytest.raises(ConfigurationError) as caught:
        render(read, params).execute({})
    if native:
        assert str(caught.value).startswith("path: must be a dict, got list ['not', 'a', 'dict']")
    else:  # the dict rendered as Python text: the error says how to render JSON
        assert str(caught.value).startswith("query: rendered to a string that is not valid JSON")
        assert "'| tojson'" in str(caught.value) and "render_template_as_native_obj=True" in str(caught.value)
    with pytest.raises(ConfigurationError, match=r"^payload: must be a dict or a list, got str 'ten'"):
        render(write, params).execute({})
    with pytest.raises(ConfigurationError, match=r"^modified_since: 'ten' is not an ISO 8601 date or timestamp"):
        render(window, params).execute({})
    assert commercetools_connection.requests == []


# -- the connection --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remove", "match"),
    [
        pytest.param(
            "login", r"^client_id: is missing. Put the API client's client_id in the connection's Login", id="login"
        ),
        pytest.param(
            "password",
            r"^client_secret: is missing. Put the API client's secret in the connection's Password",
            id="password",
        ),
        pytest.param(
            "host", r"^api_url: is missing. Set the connection's Host to the API URL, or set 'region'", id="host"
        ),
        pytest.param(
            "auth_url", r"^auth_url: is missing. Set the connection extra 'auth_url', or set 'region'", id="auth-url"
        ),
    ],
)
def test_a_connection_missing_a_required_field_is_named_before_any_request(
    commercetools_server, monkeypatch, remove, match
):
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, **{remove: None}))
    with pytest.raises(ConfigurationError, match=match):
        subscriber(entity="products").execute({})
    assert commercetools_server.requests == []


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"retry_max_attempts": "0"}, r"^retry_max_attempts: '0' is not a whole number of attempts, at least 1"),
        ({"retry_max_attempts": "many"}, r"^retry_max_attempts: 'many' is not a whole number of attempts"),
        ({"retry_max_seconds": -1}, r"^retry_max_seconds: -1 is not a positive number of seconds"),
        ({"retry_initial_backoff": "soon"}, r"^retry_initial_backoff: 'soon' is not a number of seconds, 0 or more"),
        ({"timeout": "0"}, r"^timeout: '0' is not a positive number of seconds"),
        ({"log_requests": "sometimes"}, r"^log_requests: 'sometimes' is not a boolean"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_connection_extra_of_the_wrong_value_is_named_before_any_request(
    commercetools_server, monkeypatch, extra, match
):
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, **extra))
    with pytest.raises(ConfigurationError, match=match):
        subscriber(entity="products").execute({})
    assert commercetools_server.requests == []


def test_the_retry_extras_make_the_retry_policy(commercetools_server, monkeypatch):
    monkeypatch.setenv(
        CONN_ENV,
        connection_json(commercetools_server, retry_max_attempts="3", retry_max_seconds=9, retry_initial_backoff=0),
    )
    assert CommercetoolsHook().config.retry == RetryPolicy(max_attempts=3, max_seconds=9.0, initial_backoff=0.0)
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, retry_initial_backoff="0.01"))
    assert CommercetoolsHook().config.retry == RetryPolicy(initial_backoff=0.01)


def test_an_unknown_connection_id_is_named(commercetools_server):
    with pytest.raises(Exception, match="commercetools_nope") as caught:
        subscriber(entity="products", commercetools_conn_id="commercetools_nope").execute({})
    assert type(caught.value).__name__ == "AirflowNotFoundException"
    assert commercetools_server.requests == []


# -- the network and the answers -------------------------------------------------------------------------


def test_a_tls_error_names_the_server_and_is_not_retried(commercetools_server, monkeypatch):
    https = commercetools_server.url.replace("http://", "https://")  # TLS to a plain-HTTP port
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, host=https, auth_url=https, **FAST))
    with pytest.raises(TransportError) as caught:
        subscriber(entity="products").execute({})
    text = str(caught.value)
    assert text.startswith(f"POST /oauth/token: TLS error with {https}: ")
    assert "Check the scheme (https:// or http://) and host of the connection's API URL (Host) and auth URL" in text
    assert not caught.value.retryable


def test_an_html_502_page_from_a_proxy_is_named_after_the_retries(commercetools_server, monkeypatch):
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, **FAST))
    commercetools_server.inject("html_502", times=20, method="GET")
    with pytest.raises(RetriesExhaustedError) as caught:
        subscriber(entity="products").execute({})
    text = str(caught.value)
    assert text.startswith("GET /test-project/products -> HTTP 502: gave up after 2 attempts")
    assert "Bad Gateway (text/html; charset=utf-8, 50 bytes: '502 Bad Gateway')" in text


class WrongShapes(FakeCommercetools):
    """Answers 200 with JSON of the wrong shape: a list for a page, or a token without access_token."""

    broken_token = False

    def __init__(self) -> None:
        super().__init__()
        self.mount(self._wrong_shape)

    def _wrong_shape(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        from airflow_provider_commercetools.testing.fake.http import Response

        if path == "/oauth/token" and self.broken_token:
            return Response(200, b'{"token": "where is it?"}')
        if path.endswith("/products"):
            return Response(200, b'[{"id": "a"}, {"id": "b"}]')
        return None


@pytest.fixture
def wrong_shapes(monkeypatch) -> Iterator[WrongShapes]:
    with WrongShapes() as server:
        monkeypatch.setenv(CONN_ENV, connection_json(server, **FAST))
        yield server


def test_a_list_where_a_page_is_expected_is_named(wrong_shapes):
    with pytest.raises(UnexpectedResponseError) as caught:
        subscriber(entity="products").execute({})
    assert str(caught.value).startswith(
        "GET products: the answer is not a page of results (got list [{'id': 'a'}, {'id': 'b'}])"
    )
    assert "read it without pagination" in str(caught.value)


def test_a_token_answer_without_an_access_token_is_named(wrong_shapes):
    wrong_shapes.broken_token = True
    with pytest.raises(UnexpectedResponseError) as caught:
        subscriber(entity="products").execute({})
    assert str(caught.value).startswith(f"POST {wrong_shapes.url}/oauth/token -> HTTP 200: the token response has no")
    assert "auth URL: it should be https://auth.<region>.commercetools.com" in str(caught.value)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for connection in held:
            connection.close()


@pytest.mark.parametrize("silent", ["auth_url", "host"])
def test_a_server_that_never_answers_fails_within_the_timeout(commercetools_server, silent_server, monkeypatch, silent):
    monkeypatch.setenv(CONN_ENV, connection_json(commercetools_server, timeout=0.3, **{silent: silent_server}, **FAST))

    def hung(*_: Any) -> None:
        raise AssertionError("the request hung")

    # A generous bound, only so that a hang fails the test instead of blocking the suite.
    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        with pytest.raises(RetriesExhaustedError) as caught:
            subscriber(entity="products").execute({})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    error = caught.value
    what = "POST /oauth/token" if silent == "auth_url" else "GET /test-project/products"
    assert str(error).startswith(f"{what}: gave up after 2 attempts; last error: no response from {silent_server} ")
    assert "within the 0.3 s timeout" in str(error)
