"""Issue 16.5: each attempt is bounded as a whole (connecting, name resolution, headers, body), and
the retries by ``retry_max_seconds``; proven by what the server got out before the client left."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from airflow_provider_commercetools.commercetools.errors import (
    OutcomeUnknownError,
    RetriesExhaustedError,
    TransportError,
)
from airflow_provider_commercetools.commercetools.transport import async_client, client, deadline
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from tests.commercetools.clients import SIDES
from tests.commercetools.loopback import Loopback


@pytest.fixture
def loop() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


@pytest.fixture
def short_connect(monkeypatch):
    """A connect allowance of 0.2 s, so that an attempt is bounded at timeout + 0.2 s in these tests."""
    monkeypatch.setattr(client, "CONNECT_TIMEOUT", 0.2)
    monkeypatch.setattr(async_client, "CONNECT_TIMEOUT", 0.2)


def _last(error: BaseException) -> BaseException:
    return error.last_error if isinstance(error, RetriesExhaustedError) else error


@pytest.mark.parametrize("kind", sorted(SIDES))
@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-line-and-headers"])
def test_a_trickled_answer_ends_each_attempt(loop, short_connect, kind, headers_too):
    loop.answer = lambda h: h.trickle(total=100, every=0.05, headers_too=headers_too)  # 5 s when not cut
    side = SIDES[kind](loop.config(timeout=0.3, retry=RetryPolicy(max_attempts=2, initial_backoff=0.01)))
    try:
        with pytest.raises(RetriesExhaustedError) as error:
            side.request("GET", "products")
    finally:
        side.close()
    assert error.value.attempts == 2
    last = _last(error.value)
    assert isinstance(last, TransportError) and "no complete answer" in str(last)
    assert len(loop.api_lines()) == 2
    assert all(cut and sent < 100 for sent, cut in _settled(loop, 2)), loop.trickles


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_the_retries_stop_at_retry_max_seconds(loop, kind):
    # without the bound, each attempt would take 5 s (the timeout counts single reads only)
    loop.answer = lambda h: h.trickle(total=100, every=0.05)
    policy = RetryPolicy(max_attempts=6, max_seconds=0.8, initial_backoff=0.01)
    side = SIDES[kind](loop.config(timeout=60, retry=policy))
    try:
        with pytest.raises(RetriesExhaustedError) as error:
            side.request("GET", "products")
    finally:
        side.close()
    assert error.value.attempts < 6  # stopped by time, not by the attempt count
    assert "no complete answer" in str(error.value)
    assert all(cut and sent < 100 for sent, cut in _settled(loop, error.value.attempts)), loop.trickles


@pytest.mark.parametrize("kind", sorted(SIDES))
def test_a_trickled_answer_to_a_create_has_an_unknown_outcome(loop, short_connect, kind):
    loop.answer = lambda h: h.trickle(total=100, every=0.05)
    side = SIDES[kind](loop.config(timeout=0.3))
    try:
        with pytest.raises(OutcomeUnknownError, match="no complete answer"):
            side.request("POST", "products", payload={"key": "k"})
    finally:
        side.close()
    assert len(loop.api_lines()) == 1  # not re-sent


@pytest.fixture
def slow_dns(monkeypatch) -> Iterator[str]:
    """``slow-dns.example`` takes 5 s to resolve (other names resolve as usual)."""
    release = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in ("slow-dns.example", b"slow-dns.example"):  # anyio passes bytes
            release.wait(5)
            raise socket.gaierror("released")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(deadline, "RESOLVE_SECONDS", 0.2)
    yield "https://slow-dns.example"
    release.set()


def test_name_resolution_is_bounded(slow_dns, loop):
    side = SIDES["sync"](loop.config(api_url=slow_dns, auth_url=slow_dns, retry=RetryPolicy(max_attempts=1)))
    try:
        with pytest.raises(RetriesExhaustedError) as error:
            side.request("GET", "products")
    finally:
        side.close()
    last = _last(error.value)
    assert isinstance(last, TransportError) and not last.sent and "cannot connect" in str(last)
    assert "took longer than 0.2 s" in str(last)


def test_name_resolution_is_bounded_in_the_async_client(slow_dns, loop, short_connect):
    side = SIDES["async"](
        loop.config(api_url=slow_dns, auth_url=slow_dns, timeout=0.2, retry=RetryPolicy(max_attempts=1))
    )
    try:
        with pytest.raises(RetriesExhaustedError) as error:
            side.request("GET", "products")
    finally:
        side.close()
    # httpx counts resolution in its connect timeout; the attempt's bound would end it otherwise
    assert isinstance(_last(error.value), TransportError)
    assert "connect timeout" in str(error.value) or "no complete answer" in str(error.value)


def test_resolve_returns_the_addresses():
    assert "127.0.0.1" in deadline.resolve("localhost", 80) or "::1" in deadline.resolve("localhost", 80)


def _settled(loop: Loopback, count: int) -> list[tuple[int, bool]]:
    """The trickles once ``count`` handlers have finished (each ends within a few writes of a cut)."""
    done = threading.Event()
    for _ in range(100):
        if len(loop.trickles) >= count:
            break
        done.wait(0.1)
    return loop.trickles


def test_the_watchdog_wakes_for_a_deadline_earlier_than_those_it_waits_for():
    """The watchdog is woken only when a new deadline comes first (what an attempt of the same
    length never does): one due sooner than everything pending must still run on time."""
    import time

    dog = deadline.Watchdog()
    fired: list[str] = []
    late = dog.watch(time.monotonic() + 30.0, lambda: fired.append("late"))
    time.sleep(0.05)  # the watchdog thread now sleeps until the late deadline
    done = threading.Event()
    started = time.monotonic()
    dog.watch(started + 0.1, lambda: (fired.append("soon"), done.set()))
    assert done.wait(5.0), "the earlier deadline did not run while the watchdog slept for the later one"
    assert time.monotonic() - started < 2.0
    dog.cancel(late)
    assert fired == ["soon"]


def test_a_deadline_after_the_pending_ones_runs_without_waking_the_watchdog_early():
    import time

    dog = deadline.Watchdog()
    done = threading.Event()
    now = time.monotonic()
    dog.watch(now + 0.05, lambda: None)
    dog.watch(now + 0.2, done.set)  # after the first: pushed without a wake-up
    assert done.wait(5.0)
