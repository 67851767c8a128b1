"""Hardening of the request path (issue 16: 1, 2, 4, 6, 7, 8), both clients, against a loopback
server that records the exact request line."""

from __future__ import annotations

import base64
import logging
import random
import string
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest

from airflow_provider_commercetools.commercetools.entities import resolve_path
from airflow_provider_commercetools.commercetools.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    OutcomeUnknownError,
    RedirectError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from tests.commercetools.clients import SIDES, AsyncSide, SyncSide
from tests.commercetools.loopback import TOKEN, Loopback

Side = SyncSide | AsyncSide


@pytest.fixture
def loop() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


@pytest.fixture(params=sorted(SIDES))
def side(request, loop) -> Iterator[Side]:
    made = SIDES[request.param](loop.config())
    yield made
    made.close()


def _segments(line: str) -> list[str]:
    target = line.split(" ")[1]
    return urlsplit(target).path.split("/")[1:]


def assert_stays_below(loop: Loopback, prefix: list[str]) -> None:
    for line in loop.api_lines():
        segments = _segments(line)
        assert segments[: len(prefix)] == prefix, line
        for segment in segments:
            assert unquote(segment) not in ("", ".", ".."), line


# -- 1. dot segments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "entity", "path", "endpoint"),
    [
        ("POST", "products", {"id": ".."}, None),
        ("DELETE", "products", {"id": ".."}, None),
        ("POST", "products", {"key": "."}, None),
        ("GET", "custom-objects", {"container": "..", "key": ".."}, None),
        ("GET", None, {"name": ".."}, "products/{name}"),
        ("GET", None, {}, "../other-project/products"),
        ("GET", None, {}, "products/./x"),
        ("GET", None, {}, "products//x"),
        ("GET", None, {}, "products/%2e%2E/x"),
        ("GET", "products", {"store_key": ".."}, None),
    ],
    ids=["update", "delete", "key-dot", "custom-object", "placeholder", "endpoint", "dot", "empty", "encoded", "store"],
)
def test_paths_that_would_leave_the_entity_are_refused(side, loop, method, entity, path, endpoint):
    with pytest.raises(ConfigurationError) as error:
        target = resolve_path(entity, path, endpoint=endpoint)  # the hook's and publisher's way
        side.request(method, target.path, payload={"version": 1, "actions": []} if method == "POST" else None)
    assert error.value.parameter.startswith(("path", "endpoint"))
    with pytest.raises(ConfigurationError):  # the core refuses it too, whoever built the path
        raw = endpoint or f"products/{'/'.join(str(v) for v in path.values())}"
        side.request(method, raw.format(**path) if endpoint else raw)
    assert loop.seen == []


@pytest.mark.parametrize("key", ["p/../other", "p/x", "a b", "x" * 37, "ü", "..", ""])
def test_project_key_follows_commercetools_key_rules(loop, key):
    with pytest.raises(ConfigurationError) as error:
        loop.config(project_key=key)
    assert error.value.parameter == "project_key"


def test_fuzzed_paths_stay_below_the_project(side, loop):
    rng = random.Random(16)
    alphabet = [".", "..", "/", "%", "%2e", "%2E", "%2f", "?", "#", " ", "\n", "a", "Z", "=", "ü", "\\", "{", "}"]
    refused = 0
    for _ in range(120):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5)))
        raw = "/".join(rng.choice(["products", value, "key=" + value, "."]) for _ in range(rng.randint(1, 3)))
        for build in (lambda v=value: resolve_path("products", {"id": v}).path, lambda r=raw: r):
            try:
                path = build()
                side.request("GET", path)
            except ConfigurationError:
                refused += 1
    assert refused and loop.api_lines()  # both outcomes happened
    assert_stays_below(loop, ["p1"])
    for line in loop.api_lines():
        assert "\n" not in line and " " not in line.split(" ", 1)[1].rsplit(" ", 1)[0]


def test_fuzzed_entity_values_stay_below_the_entity(side, loop):
    rng = random.Random(1616)
    alphabet = [".", "/", "%", "%2e", "?", "#", " ", "\t", "a", "ü", ":", "=", "&"]
    for _ in range(80):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
        try:
            side.request("GET", resolve_path("products", {"id": value}).path)
        except ConfigurationError:
            continue
    assert loop.api_lines()
    for line in loop.api_lines():
        segments = _segments(line)
        assert segments[:2] == ["p1", "products"] and len(segments) == 3, line


# -- 2. redirects --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "status"), [("POST", 302), ("DELETE", 307), ("POST", 301)])
def test_a_redirected_write_has_an_unknown_outcome(side, loop, method, status):
    loop.answer = lambda h: h.json(status, {}, {"Location": "https://elsewhere.example/p1/"})
    with pytest.raises(OutcomeUnknownError) as error:
        side.request(method, "products/abc", query={"version": 1}, payload={"version": 1, "actions": []})
    text = str(error.value)
    assert f"HTTP {status}" in text and "https://elsewhere.example/p1/" in text
    assert len(loop.api_lines()) == 1  # neither followed nor re-sent


def test_a_redirected_read_names_the_location(side, loop):
    loop.answer = lambda h: h.json(301, {}, {"Location": "/moved"})
    with pytest.raises(RedirectError) as error:
        side.request("GET", "products")
    assert error.value.location == "/moved" and error.value.status_code == 301
    assert len(loop.api_lines()) == 1


def test_a_redirected_token_grant_says_302(side, loop):
    loop.grant = lambda h: h.json(302, {}, {"Location": "https://login.example/"})
    with pytest.raises(RedirectError) as error:
        side.request("GET", "products")
    assert "POST /oauth/token -> HTTP 302" in str(error.value)
    assert "https://login.example/" in str(error.value) and "HTTP 200" not in str(error.value)


# -- 4 and 8. credentials quoted back ------------------------------------------------------------


def test_an_echoed_basic_credential_is_masked_and_stripped(loop):
    def echo(h) -> None:
        h.json(401, {"error": "invalid_client", "message": f"rejected: {h.headers['Authorization']}", "seen": "x"})

    loop.grant = echo
    for kind in sorted(SIDES):
        masked: list[str] = []
        made = SIDES[kind](loop.config(), on_secret=masked.append)
        try:
            with pytest.raises(AuthenticationError) as error:
                made.request("GET", "products")
        finally:
            made.close()
        basic = base64.b64encode(b"loop-client:loop-secret-value").decode()
        assert basic in masked
        assert basic not in str(error.value) and basic not in repr(error.value.errors)
        assert "Basic [redacted]" in str(error.value)


@pytest.mark.parametrize(
    "body",
    [
        {"message": f"your header was Bearer {TOKEN}"},
        {"message": "bad", "errors": [{"code": "InvalidInput", "message": f"authorization: Bearer {TOKEN}"}]},
        {"message": "bad", "errors": [{"code": "InvalidInput", "detail": {"access_token": TOKEN}}]},
    ],
    ids=["message", "errors", "named"],
)
def test_an_echoed_bearer_token_is_stripped(side, loop, body):
    loop.answer = lambda h: h.json(400, body)
    with pytest.raises(BadRequestError) as error:
        side.request("GET", "products")
    assert TOKEN not in str(error.value) and TOKEN not in repr(error.value.errors)


def test_an_echoed_token_in_a_non_json_body_is_stripped(side, loop):
    def html(h) -> None:
        data = f"<html>Authorization: Bearer {TOKEN}</html>".encode()
        h.send_response(502)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    loop.answer = html
    with pytest.raises(Exception) as error:
        side.request("POST", "products", payload={})
    assert TOKEN not in str(error.value)


# -- 6. clear text -------------------------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["api_url", "auth_url", "import_url"])
def test_http_to_another_machine_is_refused(parameter):
    fields = {"api_url": "https://api.example.com", "auth_url": "https://auth.example.com"}
    fields[parameter] = "http://api.example.com"
    base = {"project_key": "p1", "client_id": "c", "client_secret": "s"}
    with pytest.raises(ConfigurationError) as error:
        ClientConfig.create(**base, **fields)
    assert error.value.parameter == parameter and "clear text" in str(error.value)
    config = ClientConfig.create(**base, **fields, allow_insecure_http="true")
    assert getattr(config, parameter) == "http://api.example.com"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", "http://127.0.0.9"])
def test_http_to_this_machine_keeps_working(url):
    config = ClientConfig.create(project_key="p1", client_id="c", client_secret="s", api_url=url, auth_url=url)
    assert config.api_url == url


@pytest.mark.parametrize(
    "url",
    ["https://api.example.com/?x=1", "https://api.example.com/#p", "https://user:pw@api.example.com", "https://a b"],
)
def test_urls_with_a_query_fragment_or_credentials_are_refused(url):
    with pytest.raises(ConfigurationError) as error:
        ClientConfig.create(project_key="p1", client_id="c", client_secret="s", api_url=url, auth_url=url)
    assert error.value.parameter == "api_url"
    assert "user:pw" not in str(error.value)


def test_a_base_url_override_is_checked_too(loop):
    with pytest.raises(ConfigurationError) as error:
        SyncSide(loop.config(), base_url="http://import.example.com")
    assert error.value.parameter == "base_url"


# -- 7. tokens and log lines ---------------------------------------------------------------------


@pytest.mark.parametrize("expires_in", [0, -5, "nan"])
def test_a_token_without_lifetime_is_not_granted_per_request(side, loop, expires_in):
    loop.grant = lambda h: h.json(200, {"access_token": TOKEN, "expires_in": expires_in})
    for _ in range(4):
        side.request("GET", "products")
    assert loop.grants() == 1


@pytest.mark.parametrize("token", ["", "   ", "two words", None])
def test_an_unusable_access_token_is_a_typed_error(side, loop, token):
    loop.grant = lambda h: h.json(200, {"access_token": token, "expires_in": 3600})
    with pytest.raises(UnexpectedResponseError, match="no access_token"):
        side.request("GET", "products")
    assert loop.api_lines() == []


def test_an_endpoint_with_a_newline_cannot_forge_log_lines(loop, caplog):
    for kind in sorted(SIDES):
        made = SIDES[kind](loop.config(log_requests=True))
        try:
            with caplog.at_level(logging.INFO):
                made.request("GET", "products\nERROR forged line\r\nx")
        finally:
            made.close()
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("commercetools GET")]
    assert len(logged) == 2
    assert all("\n" not in m and "\r" not in m and "%0AERROR" in m for m in logged)
    assert all("%0AERROR%20forged%20line%0D%0Ax" in line for line in loop.api_lines())


def test_a_server_message_with_a_newline_stays_one_line(side, loop):
    loop.answer = lambda h: h.json(400, {"message": "bad\nINFO forged"})
    with pytest.raises(BadRequestError) as error:
        side.request("GET", "products")
    assert "\n" not in str(error.value) and "bad\\nINFO forged" in str(error.value)


def test_terminal_escapes_and_line_separators_from_the_server_are_escaped(side, loop):
    """ESC and CSI (C0 and C1 controls) and U+2028 in a message, an error code and a content type."""
    hostile = "red\x1b[31m CSI\x9b31m NEL\x85 LS\u2028 end"
    body = {"message": hostile, "errors": [{"code": "Evil\x1b]0;title\x07", "message": hostile}]}
    loop.answer = lambda h: h.json(400, body)
    with pytest.raises(BadRequestError) as error:
        side.request("GET", "products")
    text = str(error.value)
    assert not any(c in text for c in "\x1b\x9b\x85\u2028\x07\n")
    assert "red\\x1b[31m CSI\\x9b31m NEL\\x85 LS\\u2028 end" in text and "Evil\\x1b]0;title\\x07" in text


# -- 8. placeholders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint", ["products/{0}", "products/{id.__class__}", "products/{id!r}", "products/{id:>10}", "products/{}"]
)
def test_placeholders_are_plain_names_only(endpoint):
    with pytest.raises(ConfigurationError) as error:
        resolve_path(endpoint=endpoint, path={"id": "abc"})
    assert error.value.parameter == "endpoint" and "plain name" in str(error.value)


def test_plain_placeholders_and_literal_braces():
    assert resolve_path(endpoint="custom-objects/{c}/{k}", path={"c": "a/b", "k": "x"}).path == "custom-objects/a%2Fb/x"
    assert resolve_path(endpoint="graphql{{x}}", path={}).path == "graphql{x}"
    with pytest.raises(ConfigurationError, match="needs the path parameter 'k'"):
        resolve_path(endpoint="custom-objects/{c}/{k}", path={"c": "a"})


def test_method_and_correlation_id_cannot_inject(side, loop):
    with pytest.raises(ConfigurationError) as error:
        side.request("GET /x HTTP/1.1\r\n", "products")
    assert error.value.parameter == "method"
    with pytest.raises(ConfigurationError) as error:
        side.request("GET", "products", correlation_id="a\r\nX-Evil: 1")
    assert error.value.parameter == "correlation_id"
    assert loop.seen == []


def test_printable_ascii_only_in_what_was_sent(side, loop):
    side.request("GET", resolve_path("products", {"key": "ü é\t" + string.punctuation}).path)
    (line,) = loop.api_lines()
    assert line.isascii() and line.isprintable()


# -- the requests client builds its PreparedRequest itself (issue 23: CPU per write) ---------------


@pytest.mark.parametrize(
    ("method", "path", "query", "payload"),
    [
        ("GET", "products", {"where": 'key in ("a b", "ä+&=%41")', "limit": 500, "sort": ["id asc", "key desc"]}, None),
        ("GET", "products/key=a%2Fb c", {"expand": ["productType"], "withTotal": False}, None),
        ("POST", "categories", None, {"key": "k", "name": {"de": "Ä ö"}}),
        ("POST", "carts/replicate", {"dataErasure": True}, None),
        ("DELETE", "products/key=x", {"version": 3}, None),
        ("HEAD", "products/key=x%41", None, None),
    ],
)
def test_the_prepared_request_is_what_requests_would_prepare(loop, method, path, query, payload):
    """``_prepare`` replaces ``Session.prepare_request``: the same URL, headers and body for every
    kind of request the client sends (query encoding, quoted paths, bodies, no body)."""
    import requests

    from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient

    client = CommercetoolsClient(loop.config())
    try:
        client.session.cookies.set("lb", "one", domain="127.0.0.1")  # a session cookie is sent as requests sends it
        request = client._build(
            method, path, query=query, payload=payload, idempotent=None, correlation_id=None, decode=None
        )
        ours = client._prepare(request)
        theirs = client.session.prepare_request(
            requests.Request(
                request.method,
                request.url,
                headers=dict(request.headers),
                data=request.body or {},
                params=request.params,
            )
        )
        assert ours.url == theirs.url
        assert dict(ours.headers) == dict(theirs.headers)
        assert ours.body == theirs.body
        assert ours.method == theirs.method
    finally:
        client.close()


def test_a_sessions_response_hooks_see_every_answer(loop):
    """The client sends through the session's adapter, not ``Session.send``, and still calls the
    session's response hooks (a request log on a session passed in)."""
    from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient

    client = CommercetoolsClient(loop.config())
    seen: list[tuple[int, str]] = []
    client.session.hooks["response"].append(lambda answer, **_: seen.append((answer.status_code, answer.request.url)))
    try:
        client.request("GET", "categories", query={"limit": 1})
    finally:
        client.close()
    assert [status for status, _ in seen] == [200, 200]  # the token grant, then the read
    assert seen[1][1].endswith("/categories?limit=1")
