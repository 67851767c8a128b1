"""How the clients read an answer's body: gzip, chunked, cut short, and the connection kept for the next request.

The sync client streams the body and reads it in one go (``client.read_body``) instead of requests'
10 KB reads; these tests pin down that nothing else changed with it, over real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest

from airflow_provider_commercetools.commercetools.errors import NotFoundError, RetriesExhaustedError, TransportError
from airflow_provider_commercetools.commercetools.reading.pages import decode_page_ids
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from tests.commercetools.clients import SIDES
from tests.commercetools.loopback import Handler, Loopback

PAGE = {"limit": 500, "count": 300, "results": [{"id": f"{i:04d}", "name": {"en": "x" * 200}} for i in range(300)]}


@pytest.fixture
def loop() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


def _gzip(h: Handler) -> None:
    data = gzip.compress(json.dumps(PAGE).encode())
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Encoding", "gzip")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def _chunked(h: Handler) -> None:
    data = json.dumps(PAGE).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for start in range(0, len(data), 7000):
        chunk = data[start : start + 7000]
        h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    h.wfile.write(b"0\r\n\r\n")


@pytest.mark.parametrize("kind", sorted(SIDES))
@pytest.mark.parametrize("answer", [_gzip, _chunked], ids=["gzip", "chunked"])
def test_a_gzip_or_chunked_page_arrives_whole(loop, kind, answer):
    loop.answer = answer
    side = SIDES[kind](loop.config())
    try:
        assert side.request("GET", "products") == PAGE
    finally:
        side.close()


@pytest.mark.parametrize("answer", [_gzip, _chunked], ids=["gzip", "chunked"])
def test_a_page_read_with_its_texts_is_decoded_from_the_whole_body(loop, answer):
    loop.answer = answer
    side = SIDES["sync"](loop.config())
    try:
        body, texts = side.request("GET", "products", decode=decode_page_ids)
    finally:
        side.close()
    assert [r["id"] for r in body["results"]] == [r["id"] for r in PAGE["results"]]
    assert texts is not None and [json.loads(t) for t in texts] == PAGE["results"]


def _cut_short(h: Handler) -> None:
    """Promise 100,000 bytes, send 1,000, close the connection."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b'{"results":[' + b" " * 988)
    h.wfile.flush()
    h.close_connection = True
    h.connection.close()


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_body_cut_short_is_a_transport_error_and_a_read_is_retried(loop, kind):
    loop.answer = _cut_short
    side = SIDES[kind](loop.config(retry=RetryPolicy(max_attempts=2, initial_backoff=0.01)))
    try:
        with pytest.raises(RetriesExhaustedError) as error:
            side.request("GET", "products")
    finally:
        side.close()
    assert isinstance(error.value.last_error, TransportError)
    assert len(loop.api_lines()) == 2


def test_the_connection_is_kept_for_the_next_request(loop):
    """A streamed body read to its end hands the connection back to the pool, also after an error answer."""
    ports: list[int] = []

    def answer(h: Handler) -> None:
        ports.append(h.client_address[1])
        if "unknown" in h.path:
            h.json(404, {"statusCode": 404, "message": "not found", "errors": [{"code": "ResourceNotFound"}]})
        else:
            h.json(200, PAGE)

    loop.answer = answer
    side = SIDES["sync"](loop.config())
    try:
        for _ in range(3):
            assert side.request("GET", "products") == PAGE
        with pytest.raises(NotFoundError):
            side.request("GET", "products/unknown")
        assert side.request("GET", "products") == PAGE
    finally:
        side.close()
    assert len(ports) == 5 and len(set(ports)) == 1, ports
