"""The Messages API (``/messages``) as a change feed: filters, a cursor kept between reads (deletions: deletions.py).

commercetools records changes as Messages (``api-specs/api/resources/messages.raml``, base type
``api-specs/api/types/message/Message.raml``): each has an ``id``, a ``type`` (``OrderCreated``,
``ProductDeleted``...), the ``resource`` it is about (a Reference with ``typeId`` and ``id``), the
``resourceVersion``, a ``sequenceNumber`` per resource and ``createdAt``. Reading them requires the
``view_messages`` scope and the Messages Query feature enabled in the project
(``messages.enabled``; messages are kept ``messages.deleteDaysAfterCreation`` days, 15 by default).

Messages can become visible in queries a little after their ``createdAt``, and many can share one
``createdAt``. So a read after a cursor goes back an *overlap* before the last ``createdAt`` seen,
pages with a keyset on ``(createdAt, id)`` and drops the messages already delivered (the cursor
keeps the ids it delivered within the overlap): nothing is missed as long as a message becomes
visible within the overlap, and nothing is delivered twice.

No Airflow here: the sensor and triggers build on these functions. The paging is the engine's
(strategies in :mod:`.paging`), driven by :func:`drive_pages` here and :func:`adrive_pages` for the
triggers' coroutines; the filters are :mod:`.filters`, the cursor :mod:`.cursor`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ForbiddenError
from airflow_provider_commercetools.commercetools.files import write_json_lines_then_move
from airflow_provider_commercetools.commercetools.messages.cursor import (
    DEFAULT_OVERLAP_SECONDS,
    EARLIEST,
    Cursor,
    CursorBuilder,
    check_overlap,
)
from airflow_provider_commercetools.commercetools.messages.filters import MessageFilter
from airflow_provider_commercetools.commercetools.messages.paging import (
    MAX_PAGE_SIZE,
    MESSAGES_PATH,
    MessagesPaging,
    NewMessageProbe,
    NewMessagesPaging,
    cursor_where,
    newer_query,
    page_query,
    window_where,
)
from airflow_provider_commercetools.commercetools.reading import (
    adrive_pages,
    async_request_sender,
    drive_pages,
    request_sender,
)

log = logging.getLogger("airflow_provider_commercetools")

__all__ = [
    "DEFAULT_OVERLAP_SECONDS",
    "EARLIEST",
    "MAX_PAGE_SIZE",
    "MESSAGES_PATH",
    "AsyncRequest",
    "Cursor",
    "CursorBuilder",
    "MessageBatch",
    "MessageFilter",
    "MessagesDisabledError",
    "Request",
    "ahas_new_messages",
    "asummarise_new_messages",
    "check_messages_enabled",
    "check_overlap",
    "count_types",
    "cursor_where",
    "has_new_messages",
    "iter_messages",
    "iter_new_messages",
    "newer_query",
    "page_query",
    "read_new_messages",
    "window_where",
    "write_new_messages",
]

Request = Callable[..., Any]  # client.request(method, path, *, query=...)
AsyncRequest = Callable[..., Awaitable[Any]]  # await client.request(method, path, *, query=...)


class MessagesDisabledError(CommercetoolsError):
    """The project does not store Messages (``messages.enabled`` is false): /messages stays empty."""


@dataclass
class MessageBatch:
    """New messages after a cursor (or only their ``count``, when written to a file), the next cursor, and more."""

    messages: list[dict[str, Any]]
    cursor: Cursor
    more: bool
    count: int = 0
    #: how many of each Message type
    types: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for the log: how many of which types, whether more wait, the next cursor."""
        return "{} new commercetools Messages ({}){}; next cursor: last createdAt {}".format(
            self.count,
            ", ".join(f"{n} {t}" for t, n in sorted(self.types.items())),
            "; more are waiting for the next run" if self.more else "",
            self.cursor.last_created_at,
        )


# -- synchronous reading -----------------------------------------------------------------------------


def iter_messages(request: Request, where: Sequence[str], page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """Every message matching ``where``, in ``(createdAt, id)`` order, page by page."""
    for messages in drive_pages(request_sender(request), MessagesPaging(where, page_size)):
        yield from messages


def iter_new_messages(
    request: Request,
    builder: CursorBuilder,
    message_filter: MessageFilter,
    *,
    max_messages: int | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """The messages after ``builder``'s cursor not delivered yet; each one is added to ``builder``.

    Stops after ``max_messages`` (the rest is read by the next call with the next cursor).
    """
    paging = NewMessagesPaging(builder, message_filter, max_messages=max_messages, page_size=page_size)
    for messages in drive_pages(request_sender(request), paging):
        yield from messages


def read_new_messages(
    request: Request,
    cursor: Cursor,
    message_filter: MessageFilter,
    *,
    overlap: float = DEFAULT_OVERLAP_SECONDS,
    max_messages: int | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> MessageBatch:
    """The new messages after ``cursor`` (at most ``max_messages``) and the next cursor."""
    builder = CursorBuilder(cursor, overlap)
    messages = list(iter_new_messages(request, builder, message_filter, max_messages=max_messages, page_size=page_size))
    return MessageBatch(messages, builder.next_cursor(), builder.more, len(messages), count_types(messages))


def write_new_messages(
    request: Request,
    cursor: Cursor,
    message_filter: MessageFilter,
    output: str,
    *,
    overlap: float = DEFAULT_OVERLAP_SECONDS,
    max_messages: int | None = None,
) -> MessageBatch:
    """Write the new messages after ``cursor`` to ``output`` (JSON Lines); the batch holds only their count.

    The file is written only when a look finds a new message, and not when none is left to write (gone
    between the look and the read, e.g. taken by another run): a batch of count 0 leaves ``output`` as it was.
    """
    builder = CursorBuilder(cursor, overlap)
    types: dict[str, int] = {}
    if has_new_messages(request, cursor, message_filter, overlap):
        # written beside output and moved there when complete (a failed read leaves an earlier file as it was)
        with write_json_lines_then_move("output_path", output, only_if_written=True) as writer:
            for message in iter_new_messages(request, builder, message_filter, max_messages=max_messages):
                writer.write(message)
                count_types([message], types)
    return MessageBatch([], builder.next_cursor(), builder.more, builder.count, types)


def has_new_messages(
    request: Request, cursor: Cursor, message_filter: MessageFilter, overlap: float = DEFAULT_OVERLAP_SECONDS
) -> bool:
    """Whether a message not delivered yet exists after ``cursor`` (see :class:`.paging.NewMessageProbe`)."""
    return any(drive_pages(request_sender(request), NewMessageProbe(cursor, message_filter, overlap)))


# -- async reading (the triggers) --------------------------------------------------------------------


async def ahas_new_messages(
    request: AsyncRequest, cursor: Cursor, message_filter: MessageFilter, overlap: float = DEFAULT_OVERLAP_SECONDS
) -> bool:
    """:func:`has_new_messages` for coroutines."""
    async for found in adrive_pages(async_request_sender(request), NewMessageProbe(cursor, message_filter, overlap)):
        if found:
            return True
    return False


async def asummarise_new_messages(
    request: AsyncRequest,
    cursor: Cursor,
    message_filter: MessageFilter,
    *,
    overlap: float = DEFAULT_OVERLAP_SECONDS,
    max_messages: int | None = None,
) -> tuple[CursorBuilder, dict[str, Any]]:
    """The new messages after ``cursor`` as a builder (next cursor) and a small summary, for coroutines.

    The summary (``count``, ``types``, ``first_created_at``, ``last_created_at``) is what an event
    carries; the messages themselves are read by whoever the event wakes up.
    """
    builder = CursorBuilder(cursor, overlap)
    summary: dict[str, Any] = {"count": 0, "types": {}, "first_created_at": None, "last_created_at": None}
    paging = NewMessagesPaging(builder, message_filter, max_messages=max_messages)
    async for messages in adrive_pages(async_request_sender(request), paging):
        count_types(messages, summary["types"])
        for message in messages:
            summary["first_created_at"] = summary["first_created_at"] or message.get("createdAt")
            summary["last_created_at"] = message.get("createdAt")
    summary["count"] = builder.count
    return builder, summary


def check_messages_enabled(request: Request) -> None:
    """Fail early when the project does not store Messages; skipped if the token may not read the project."""
    try:
        project = request("GET", "")
    except ForbiddenError:
        log.info("commercetools: cannot read the project settings to check that Messages are enabled; going on")
        return
    settings = project.get("messages") if isinstance(project, Mapping) else None
    if isinstance(settings, Mapping) and settings.get("enabled") is False:
        raise MessagesDisabledError(
            f"The project {project.get('key', '')!r} does not store Messages (messages.enabled is false), so "
            "/messages stays empty and nothing could be waited for. Enable them in the Merchant Center's "
            "project settings (with the days to keep them) or with the Update Project "
            'action {"action": "changeMessagesConfiguration", "messagesConfiguration": {"enabled": true, '
            '"deleteDaysAfterCreation": 15}}; only changes made afterwards produce Messages.'
        )


def count_types(messages: Iterable[Mapping[str, Any]], counts: dict[str, int] | None = None) -> dict[str, int]:
    """How many messages of each type (added to ``counts`` when given)."""
    counts = {} if counts is None else counts
    for message in messages:
        name = str(message.get("type"))
        counts[name] = counts.get(name, 0) + 1
    return counts
