"""The paging engine: strategies plan requests and read pages, the two drivers are the only loops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import PaginationLimitError
from airflow_provider_commercetools.commercetools.reading import (
    KeysetPaging,
    OffsetPaging,
    PageRequest,
    PagingStrategy,
    adrive_pages,
    async_request_sender,
    drive_pages,
    keyset_predicate,
    request_sender,
)


class Countdown(PagingStrategy[int]):
    """Pages numbered 1..n; several requests planned at once when ``batch`` is set."""

    def __init__(self, pages: int, batch: int = 1) -> None:
        self.left, self.batch, self.read = pages, batch, 0

    def next_requests(self) -> list[PageRequest]:
        planned = [PageRequest("things", {"page": self.read + i + 1}) for i in range(min(self.batch, self.left))]
        self.left -= len(planned)
        return planned

    def read_page(self, body: Any, texts: list[str] | None) -> int:
        self.read += 1
        return int(body["page"])


def echo(request: PageRequest) -> tuple[Any, None]:
    return dict(request.query), None


def test_keyset_predicate_on_one_key_and_on_several():
    assert keyset_predicate(("id",), ("a",)) == 'id > "a"'
    assert keyset_predicate(("id",), ("a",), "desc") == 'id < "a"'
    assert keyset_predicate(("createdAt", "id"), ("2026-12-01T00:00:00.000Z", "x")) == (
        '(createdAt > "2026-12-01T00:00:00.000Z" or (createdAt = "2026-12-01T00:00:00.000Z" and id > "x"))'
    )


def test_drive_pages_sends_each_planned_request_and_yields_what_the_strategy_reads():
    assert list(drive_pages(echo, Countdown(3))) == [1, 2, 3]


def test_drive_pages_sends_a_batch_with_send_many_and_single_requests_one_by_one():
    batches: list[int] = []

    def send_many(requests: Any) -> list[tuple[Any, None]]:
        batches.append(len(requests))
        return [echo(r) for r in requests]

    assert list(drive_pages(echo, Countdown(5, batch=2), send_many=send_many)) == [1, 2, 3, 4, 5]
    assert batches == [2, 2]  # the last, single request went through send


def test_the_async_driver_reads_the_same_pages():
    async def send(request: PageRequest) -> tuple[Any, None]:
        return echo(request)

    async def read() -> list[int]:
        return [page async for page in adrive_pages(send, Countdown(5, batch=2))]

    assert asyncio.run(read()) == [1, 2, 3, 4, 5]


def test_request_senders_call_get_with_the_query():
    calls: list[tuple[str, str, Any]] = []

    def request(method: str, path: str, *, query: Any = None) -> Any:
        calls.append((method, path, query))
        return {"results": []}

    async def arequest(method: str, path: str, *, query: Any = None) -> Any:
        return request(method, path, query=query)

    page = PageRequest("messages", {"limit": 1})
    assert request_sender(request)(page) == ({"results": []}, None)
    assert asyncio.run(async_request_sender(arequest)(page)) == ({"results": []}, None)
    assert calls == [("GET", "messages", {"limit": 1})] * 2


def test_keyset_strategy_plans_without_io_and_stops_at_a_short_page():
    paging = KeysetPaging("products", {"expand": ["x"]}, ['a = "1"'], [], 2, None)
    first = paging.next_request()
    assert first == PageRequest(
        "products", {"expand": ["x"], "where": ['a = "1"'], "sort": "id asc", "limit": 2, "withTotal": False}
    )
    paging.read_page({"results": [{"id": "a"}, {"id": "b"}]}, None)
    second = paging.next_request()
    assert second is not None and second.query["where"] == ['a = "1"', 'id > "b"']
    page = paging.read_page({"results": [{"id": "c"}]}, None)
    assert (page.number, page.entities_before, page.count) == (2, 2, 1)
    assert paging.next_request() is None


def test_offset_strategy_refuses_an_offset_over_the_limit_before_planning_it():
    paging = OffsetPaging("products", {}, [], [("key", "asc")], 500, 10_500)  # bounded: no total asked
    for _ in range(21):  # offsets 0 .. 10,000
        request = paging.next_request()
        assert request is not None and request.query["offset"] <= 10_000
        paging.read_page({"results": [{"id": str(i)} for i in range(500)]}, None)
    assert paging.next_request() is None  # max_items reached: 21 pages of 500
    unbounded = OffsetPaging("products", {}, [], [("key", "asc")], 500, None)
    unbounded.next_request()
    with pytest.raises(PaginationLimitError):
        unbounded.read_page({"results": [{"id": "a"}] * 500, "total": 20_000}, None)
