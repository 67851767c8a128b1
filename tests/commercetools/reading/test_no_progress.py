"""A server (or a proxy before it) that ignores the query string answers every page with the first one:
every paged read stops at the second page with a "no progress" error, instead of reading without end.

The hostile server is a loopback on 127.0.0.1 answering every GET with the same full page, whatever
its ``where``, ``sort``, ``limit`` and ``offset``; each test counts its requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import UnexpectedResponseError
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.messages.cursor import Cursor
from airflow_provider_commercetools.commercetools.messages.deletions import iter_deletions
from airflow_provider_commercetools.commercetools.messages.filters import MessageFilter
from airflow_provider_commercetools.commercetools.messages.reader import (
    asummarise_new_messages,
    read_new_messages,
)
from airflow_provider_commercetools.commercetools.reading import iter_entities
from tests.commercetools.clients import AsyncSide, SyncSide
from tests.commercetools.loopback import Handler, Loopback

PAGE = 500
TOTAL = 5_000  # under the offset limit: the offset read starts
NO_PROGRESS = r"no progress: page 2 of '[^']*' is the same page again.*ignores the query string"


def message(number: int) -> dict[str, Any]:
    return {
        "id": f"m{number:07d}",
        "version": 1,
        "createdAt": f"2026-01-01T00:00:{number // 1000:02d}.{number % 1000:03d}Z",
        "type": "ProductDeleted",
        "resource": {"typeId": "product", "id": f"p{number:07d}"},
        "resourceVersion": 3,
        "sequenceNumber": 2,
    }


def same_page(handler: Handler) -> None:
    """Every GET: the same full page, ``total`` far ahead (the query string is not looked at)."""
    handler.json(200, {"limit": PAGE, "offset": 0, "count": PAGE, "total": TOTAL, "results": PAGES})


PAGES = [message(number) for number in range(PAGE)]


@pytest.fixture
def hostile() -> Iterator[Loopback]:
    with Loopback(answer=same_page) as server:
        yield server


@pytest.fixture
def sync(hostile: Loopback) -> Iterator[SyncSide]:
    side = SyncSide(hostile.config())
    yield side
    side.close()


@pytest.mark.parametrize("strategy", ["keyset", "offset"])
def test_the_subscribers_read_stops(hostile: Loopback, sync: SyncSide, strategy: str) -> None:
    with pytest.raises(UnexpectedResponseError, match=NO_PROGRESS):
        list(iter_entities(sync.client, "products", page_size=PAGE, strategy=strategy))
    assert len(hostile.api_lines()) == 2


def test_the_deletions_export_stops(hostile: Loopback, sync: SyncSide) -> None:
    read: list[dict[str, Any]] = []
    with pytest.raises(UnexpectedResponseError, match=NO_PROGRESS):
        read.extend(iter_deletions(sync.request, "products", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"))
    assert len(hostile.api_lines()) == 2
    assert len(read) == PAGE  # the first page's deletions, each once; the error comes before the second page's


def test_the_messages_reader_stops(hostile: Loopback, sync: SyncSide) -> None:
    cursor = Cursor.start("2025-12-31T00:00:00.000Z")
    with pytest.raises(UnexpectedResponseError, match=NO_PROGRESS):
        read_new_messages(sync.request, cursor, MessageFilter.create())
    assert len(hostile.api_lines()) == 2


def test_the_async_messages_reader_stops(hostile: Loopback) -> None:
    side = AsyncSide(hostile.config())
    try:
        cursor = Cursor.start("2025-12-31T00:00:00.000Z")
        with pytest.raises(UnexpectedResponseError, match=NO_PROGRESS):
            side.run(asummarise_new_messages(side.client.request, cursor, MessageFilter.create()))
    finally:
        side.close()
    assert len(hostile.api_lines()) == 2


@pytest.mark.parametrize("at_once", [False, True])
def test_reading_import_operations_stops(hostile: Loopback, sync: SyncSide, at_once: bool) -> None:
    api = ImportApi(sync.client)
    with pytest.raises(UnexpectedResponseError, match=NO_PROGRESS):
        if at_once:
            api.read_operations("container", max_workers=2, page_size=PAGE)
        else:
            list(api.iter_operations("container", page_size=PAGE))
    # one by one: the second page; at once: the planned batch is sent together, then checked page by page
    assert len(hostile.api_lines()) == (2 if not at_once else TOTAL // PAGE)
