"""The Messages as strategies of the paging engine: keyset paging on ``(createdAt, id)``, no I/O here.

:class:`MessagesPaging` walks the messages matching some predicates; :class:`NewMessagesPaging`
keeps only those a cursor has not delivered yet (up to a maximum); :class:`NewMessageProbe` answers
whether one exists. The synchronous reader and the async triggers drive the same strategies with
:func:`~airflow_provider_commercetools.commercetools.reading.drive_pages` and
:func:`~airflow_provider_commercetools.commercetools.reading.adrive_pages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_commercetools.commercetools.checks import check_count
from airflow_provider_commercetools.commercetools.messages.cursor import Cursor, CursorBuilder
from airflow_provider_commercetools.commercetools.messages.filters import MessageFilter
from airflow_provider_commercetools.commercetools.reading import (
    KeysetStrategy,
    PageRequest,
    PagingStrategy,
    quote_string,
)

MESSAGES_PATH = "messages"
MAX_PAGE_SIZE = 500
#: The keyset of the Messages: many can share one ``createdAt``, the id breaks the tie.
MESSAGE_KEYS = ("createdAt", "id")

Messages = list[dict[str, Any]]


class MessagesPaging(KeysetStrategy[Messages]):
    """The messages matching ``where`` in ``(createdAt, id)`` order, a page of them at a time.

    :param after: the ``(createdAt, id)`` to continue after (None: from the first).
    """

    def __init__(
        self, where: Sequence[str], page_size: int = MAX_PAGE_SIZE, *, after: tuple[str, str] | None = None
    ) -> None:
        check_count("page_size", page_size, 1, MAX_PAGE_SIZE)
        super().__init__(MESSAGES_PATH, {}, where, keys=MESSAGE_KEYS, after=after)
        self.page_size = page_size
        self.finished = False

    def next_request(self) -> PageRequest | None:
        return None if self.finished else self.keyset_request(self.page_size)

    def read_page(self, body: Any, texts: list[str] | None) -> Messages:
        results = body.get("results") or []
        if len(results) < self.page_size:
            self.finished = True
        else:
            self.continue_after(results[-1])
        return list(results)


def page_query(where: Sequence[str], after: tuple[str, str] | None, page_size: int = MAX_PAGE_SIZE) -> dict[str, Any]:
    """The query of one page in ``(createdAt, id)`` order, after the ``(createdAt, id)`` of the last one."""
    return MessagesPaging(where, page_size, after=after).keyset_request(page_size).query


def cursor_where(cursor: Cursor, message_filter: MessageFilter, overlap: float) -> list[str]:
    """The messages of the filter from the overlap before the cursor's last ``createdAt`` on."""
    return [*message_filter.predicates(), f"createdAt >= {quote_string(cursor.lower_bound(overlap))}"]


def newer_query(cursor: Cursor, message_filter: MessageFilter) -> dict[str, Any] | None:
    """The query of one message newer than everything delivered (None before the first delivery)."""
    if cursor.last_created_at is None:
        return None
    where = [*message_filter.predicates(), f"createdAt > {quote_string(cursor.last_created_at)}"]
    return page_query(where, None, 1)


def window_where(cursor: Cursor, message_filter: MessageFilter, overlap: float) -> list[str]:
    """The overlap window up to the last ``createdAt`` delivered: where late messages turn up."""
    where = cursor_where(cursor, message_filter, overlap)
    if cursor.last_created_at is not None:
        where.append(f"createdAt <= {quote_string(cursor.last_created_at)}")
    return where


class NewMessagesPaging(MessagesPaging):
    """The messages after ``builder``'s cursor not delivered yet, each added to ``builder``.

    Stops after ``max_messages`` (``builder.more`` then says more are waiting: the next read, with
    the next cursor, gets them).
    """

    def __init__(
        self,
        builder: CursorBuilder,
        message_filter: MessageFilter,
        *,
        max_messages: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        super().__init__(cursor_where(builder.cursor, message_filter, builder.overlap), page_size)
        self.builder = builder
        self.max_messages = max_messages

    def read_page(self, body: Any, texts: list[str] | None) -> Messages:
        new = []
        for message in super().read_page(body, texts):
            if not self.builder.is_new(message):
                continue
            if self.max_messages is not None and self.builder.count >= self.max_messages:
                self.builder.more = True
                self.finished = True
                break
            self.builder.add(message)
            new.append(message)
        return new


class NewMessageProbe(PagingStrategy[bool]):
    """Whether a message not delivered yet exists after ``cursor``; each page read says whether it was found.

    First one request for a message newer than the last delivered (the usual wake-up); else the
    overlap window is read for a late one, only as far as the first one not delivered.
    """

    def __init__(self, cursor: Cursor, message_filter: MessageFilter, overlap: float) -> None:
        newer = newer_query(cursor, message_filter)
        self.newer = None if newer is None else PageRequest(MESSAGES_PATH, newer)
        self.builder = CursorBuilder(cursor, overlap)
        page_size = min(MAX_PAGE_SIZE, len(self.builder.delivered) + 1)
        self.window = MessagesPaging(window_where(cursor, message_filter, overlap), page_size)
        self.found = False

    def next_request(self) -> PageRequest | None:
        if self.found:
            return None
        return self.newer or self.window.next_request()

    def read_page(self, body: Any, texts: list[str] | None) -> bool:
        if self.newer is not None:
            self.newer = None
            self.found = bool(body.get("results"))
        else:
            self.found = any(self.builder.is_new(m) for m in self.window.read_page(body, texts))
        return self.found
