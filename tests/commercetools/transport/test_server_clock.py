"""The server's clock from the ``Date`` header, in both clients, against the fake with a clock of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from airflow_provider_commercetools.commercetools.transport.server_clock import ServerClock, parse_http_date
from tests.commercetools.clients import SIDES, AsyncSide, SyncSide, config_for

Side = SyncSide | AsyncSide
HOUR = dt.timedelta(hours=1)


@pytest.fixture(params=sorted(SIDES))
def make(request, commercetools_server) -> Iterator[Callable[[], Side]]:
    made: list[Side] = []

    def build() -> Side:
        side = SIDES[request.param](config_for(commercetools_server))
        made.append(side)
        return side

    yield build
    for side in made:
        side.close()


def test_http_dates_in_every_form_rfc_9110_allows():
    expected = dt.datetime(1994, 11, 6, 8, 49, 37, tzinfo=dt.timezone.utc)
    for text in ("Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"):
        assert parse_http_date(text) == expected
    assert parse_http_date("yesterday") is None and parse_http_date(None) is None


def test_the_clock_adds_the_monotonic_time_since_the_answer():
    now = [100.0]
    clock = ServerClock(monotonic=lambda: now[0])
    assert not clock.known
    with pytest.raises(LookupError):
        clock.earliest()
    clock.observe({"Date": "Sun, 06 Nov 1994 08:49:37 GMT"})
    now[0] = 102.5
    assert clock.earliest() == dt.datetime(1994, 11, 6, 8, 49, 39, 500000, tzinfo=dt.timezone.utc)
    assert clock.latest() - clock.earliest() == dt.timedelta(seconds=1)


def test_server_time_is_the_servers_not_the_workers(make, commercetools_server):
    commercetools_server.clock_offset = 3600  # the server is an hour ahead of this worker
    side = make()
    before = dt.datetime.now(dt.timezone.utc)
    server_now = side.server_time("products")
    after = dt.datetime.now(dt.timezone.utc)
    assert before + HOUR - dt.timedelta(seconds=1) <= server_now <= after + HOUR
    reads = [r for r in commercetools_server.requests if r.path.endswith("/products")]
    assert len(reads) == 1 and reads[0].query == {"limit": ["1"], "withTotal": ["false"]}


def test_server_time_needs_no_request_after_an_answer(make, commercetools_server):
    commercetools_server.clock_offset = -7200
    side = make()
    side.request("GET", "categories")
    sent = len(commercetools_server.requests)
    server_now = side.server_time("products")
    assert len(commercetools_server.requests) == sent
    assert server_now < dt.datetime.now(dt.timezone.utc) - HOUR


def test_fake_timestamps_follow_its_clock(commercetools_server):
    commercetools_server.clock_offset = 86400
    entity = commercetools_server.add("products", {"key": "p"})
    stamped = dt.datetime.fromisoformat(entity["lastModifiedAt"].replace("Z", "+00:00"))
    assert stamped > dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=23)
    commercetools_server.stop()
    assert commercetools_server.clock_offset == 0
