"""Hostile answers on 127.0.0.1: a huge page, a gzip bomb, a huge string in ``results``.

Both clients stop reading at the connection's ``max_response_mb`` (plus one read), with a typed
error naming the request and the limit, not retried.

The server counts the bytes it got out before the client went away; the error carries the bytes the
client read. No timing or memory measurements: the bound is asserted on bytes.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator

import pytest

from airflow_provider_commercetools.commercetools.errors import OutcomeUnknownError, ResponseTooLargeError
from airflow_provider_commercetools.commercetools.transport.body import READ_CHUNK
from airflow_provider_commercetools.commercetools.transport.config import DEFAULT_MAX_RESPONSE_MB, ClientConfig
from tests.commercetools.clients import SIDES
from tests.commercetools.loopback import Handler, Loopback

MB = 1024 * 1024
LIMIT_MB = 1
#: what a hostile server is ready to send; the client must stop long before
HUGE = 256 * MB


class Streamer:
    """Answers with a body produced block by block, and counts what got out before the client hung up."""

    def __init__(self, head: bytes, block: bytes, blocks: int, *, gzip: bool = False, length: int | None = None):
        self.head, self.block, self.blocks, self.gzip, self.length = head, block, blocks, gzip, length
        self.sent = 0
        self.done = threading.Event()

    @property
    def total(self) -> int:
        return len(self.head) + len(self.block) * self.blocks

    def __call__(self, h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if self.gzip:
            h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(self.length if self.length is not None else self.total))
        h.end_headers()
        try:
            for data in (self.head, *([self.block] * self.blocks)):
                h.wfile.write(data)
                self.sent += len(data)
        except OSError:
            pass  # the client went away: what it did not read was never sent
        finally:
            h.close_connection = True
            self.done.set()


def gzip_bomb(blocks: int) -> Streamer:
    """A gzip body of ``blocks`` times 8 MB of zeros (about 8 KB each compressed: 2 GB inflate from 2 MB)."""
    zeros = bytes(8 * MB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert block == deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)  # each block stands alone
    return Streamer(first, block, blocks, gzip=True)


@pytest.fixture
def loop() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


def request_too_large(loop: Loopback, kind: str, streamer: Streamer) -> ResponseTooLargeError:
    loop.answer = streamer
    side = SIDES[kind](loop.config(max_response_mb=LIMIT_MB))
    try:
        with pytest.raises(ResponseTooLargeError) as caught:
            side.request("GET", "products")
    finally:
        side.close()
    assert streamer.done.wait(20)
    assert len(loop.api_lines()) == 1  # not retried: the same answer would come again
    return caught.value


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_huge_page_stops_at_the_limit(loop, kind):
    streamer = Streamer(b'{"results":[', b'{"id":"' + b"x" * (MB - 10) + b'"},', HUGE // MB)
    error = request_too_large(loop, kind, streamer)
    assert error.received <= LIMIT_MB * MB + READ_CHUNK
    assert streamer.sent < streamer.total // 8  # it stopped reading; the rest never left the server
    text = str(error)
    assert text.startswith("GET /p1/products -> HTTP 200: the answer is larger than the 1 MB limit")
    assert "max_response_mb" in text and error.limit == MB


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_huge_string_in_results_stops_at_the_limit(loop, kind):
    streamer = Streamer(b'{"limit":20,"count":1,"results":[{"id":"a","name":"', b"y" * MB, HUGE // MB)
    error = request_too_large(loop, kind, streamer)
    assert error.received <= LIMIT_MB * MB + READ_CHUNK
    assert streamer.sent < streamer.total // 8


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_gzip_bomb_is_inflated_only_up_to_the_limit(loop, kind):
    streamer = gzip_bomb(256)  # 2 GB of zeros in about 2 MB
    error = request_too_large(loop, kind, streamer)
    assert error.received <= READ_CHUNK  # one read of compressed bytes already inflates past the limit
    assert "after decompressing" in str(error)


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_body_announced_over_the_limit_is_not_read(loop, kind):
    streamer = Streamer(b"", b"z" * MB, 4, length=HUGE)
    error = request_too_large(loop, kind, streamer)
    assert error.received == 0
    assert "Content-Length 268435456" in str(error)


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_gzip_page_under_the_limit_arrives_whole(loop, kind):
    """The same reading, for a page that fits: several raw reads, inflated as they come."""
    body = b'{"results":[' + b",".join(b'{"id":"%d","n":"%s"}' % (i, b"v" * 900) for i in range(3000)) + b"]}"
    data = zlib.compress(body, 9, wbits=16 + zlib.MAX_WBITS)
    loop.answer = Streamer(data, b"", 0, gzip=True)
    side = SIDES[kind](loop.config(max_response_mb=8))
    try:
        page = side.request("GET", "products")
    finally:
        side.close()
    assert len(page["results"]) == 3000 and page["results"][-1]["id"] == "2999"


@pytest.mark.parametrize(
    ("value", "expected"), [(None, DEFAULT_MAX_RESPONSE_MB), ("", DEFAULT_MAX_RESPONSE_MB), ("0.5", 0.5), (64, 64.0)]
)
def test_max_response_mb_is_a_connection_setting(value, expected):
    config = ClientConfig.create(
        project_key="p1", client_id="c", client_secret="s", region="europe-west1.gcp", max_response_mb=value
    )
    assert config.max_response_mb == expected
    assert config.max_response_bytes == int(expected * MB)


@pytest.mark.parametrize("value", ["0", "-1", "lots", True, "nan"])
def test_a_bad_max_response_mb_is_refused_naming_it(value):
    with pytest.raises(ValueError, match=r"^max_response_mb: .* is not a positive number of megabytes"):
        ClientConfig.create(
            project_key="p1", client_id="c", client_secret="s", region="europe-west1.gcp", max_response_mb=value
        )


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_create_whose_answer_is_too_large_has_an_unknown_outcome(loop, kind):
    """The write was answered 200, so it was applied; its answer could not be read: not re-sent, outcome unknown."""
    loop.answer = Streamer(b'{"id":"', b"x" * MB, 8)
    side = SIDES[kind](loop.config(max_response_mb=LIMIT_MB))
    try:
        with pytest.raises(OutcomeUnknownError) as caught:
            side.request("POST", "products", payload={"key": "k"})
    finally:
        side.close()
    assert isinstance(caught.value.__cause__, ResponseTooLargeError)
    assert len(loop.api_lines()) == 1


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_gzip_body_of_several_members_arrives_whole(loop, kind):
    """gzip allows members one after the other (RFC 1952); each is inflated, the limit counts them all."""
    parts = [b'{"results":[', b'{"id":"a"},{"id":"b"}', b"]}"]
    data = b"".join(zlib.compress(part, 9, wbits=16 + zlib.MAX_WBITS) for part in parts)
    loop.answer = Streamer(data, b"", 0, gzip=True)
    side = SIDES[kind](loop.config())
    try:
        assert side.request("GET", "products") == {"results": [{"id": "a"}, {"id": "b"}]}
    finally:
        side.close()


@pytest.mark.parametrize("kind", sorted(SIDES))
@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_a_deflate_body_zlib_wrapped_or_raw_arrives_whole(loop, kind, wbits):
    body = b'{"results":[' + b",".join(b'{"id":"%d"}' % i for i in range(1000)) + b"]}"
    deflate = zlib.compressobj(9, zlib.DEFLATED, wbits)
    data = deflate.compress(body) + deflate.flush()

    def answer(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", "deflate")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    loop.answer = answer
    side = SIDES[kind](loop.config())
    try:
        assert len(side.request("GET", "products")["results"]) == 1000
    finally:
        side.close()
