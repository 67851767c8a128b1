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

No Airflow here: the sensor and triggers build on these functions; the request plans
(:func:`page_query`, :func:`next_after`) are shared by the synchronous and the async readers.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.checks import check_count, parse_json_string, short
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError, ForbiddenError
from airflow_provider_commercetools.commercetools.reading import (
    as_predicates,
    format_timestamp,
    quote_string,
    to_utc_datetime,
)

log = logging.getLogger("airflow_provider_commercetools")

MESSAGES_PATH = "messages"
#: How far before the last ``createdAt`` seen each read goes back (seconds), by default. It must be
#: longer than the longest delay before a message becomes visible in queries.
DEFAULT_OVERLAP_SECONDS = 300
MAX_PAGE_SIZE = 500
CURSOR_VERSION = 1


class MessagesDisabledError(CommercetoolsError):
    """The project does not store Messages (``messages.enabled`` is false): /messages stays empty."""


# -- filters -----------------------------------------------------------------------------------------


_NAME_PATTERNS = {
    "message_types": (re.compile(r"^[A-Z][A-Za-z0-9]*$"), "Message types look like 'OrderCreated'"),
    "resource_types": (re.compile(r"^[a-z][a-z0-9-]*$"), "resource type ids look like 'order' or 'inventory-entry'"),
}


def _names(parameter: str, value: Any) -> tuple[str, ...]:
    """Names from a list, a JSON list string or a comma-separated string; each checked for its shape."""
    value = parse_json_string(parameter, value)
    if value is None or value == "" or value == [] or value == "None":
        return ()
    items = value.split(",") if isinstance(value, str) else value
    pattern, shape = _NAME_PATTERNS[parameter]
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ConfigurationError(
            parameter, f"{short(value)} is not a name or a list of names.", "E.g. ['OrderCreated', 'OrderDeleted']."
        )
    names = [item.strip() for item in items]
    for name in names:
        if not pattern.match(name):
            raise ConfigurationError(
                parameter,
                f"{name!r} is not a valid name ({shape}).",
                "A template renders a list as Python text: end it with '| tojson', set "
                "render_template_as_native_obj=True on the DAG, or give a comma-separated string.",
            )
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class MessageFilter:
    """Which messages to read: Message types, resource type ids (``order``, ``product``...), ``where``."""

    types: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    where: tuple[str, ...] = ()

    @classmethod
    def create(cls, types: Any = None, resource_types: Any = None, where: Any = None) -> MessageFilter:
        return cls(
            _names("message_types", types),
            _names("resource_types", resource_types),
            tuple(as_predicates("where", where)),
        )

    def predicates(self) -> list[str]:
        parts = []
        if self.types:
            parts.append(f"type in ({', '.join(quote_string(t) for t in self.types)})")
        if self.resource_types:
            ids = ", ".join(quote_string(t) for t in self.resource_types)
            parts.append(f"resource(typeId in ({ids}))")
        return parts + [f"({w})" for w in self.where]

    def to_json(self) -> dict[str, list[str]]:
        return {"types": list(self.types), "resource_types": list(self.resource_types), "where": list(self.where)}


# -- the cursor --------------------------------------------------------------------------------------


def _timestamp(parameter: str, value: Any) -> str:
    return format_timestamp(to_utc_datetime(parameter, value))


def _parse(ts: str) -> dt.datetime:
    return to_utc_datetime("createdAt", ts)


@dataclass(frozen=True)
class Cursor:
    """Where a reader of messages stands: JSON-serialisable, kept between runs.

    :param since: never deliver messages created before this (where reading started).
    :param last_created_at: the latest ``createdAt`` delivered so far (None: nothing delivered yet).
    :param delivered: ``{id: createdAt}`` of the messages delivered with ``createdAt`` within the
        overlap before ``last_created_at``: a read goes back that far and drops them.
    """

    since: str
    last_created_at: str | None = None
    delivered: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, start_from: Any = "now", *, now: dt.datetime | None = None) -> Cursor:
        """A new cursor: ``"now"``, ``"earliest"`` (every message still kept) or a timestamp."""
        if isinstance(start_from, str) and start_from.strip().lower() == "now":
            return cls(format_timestamp(now or dt.datetime.now(dt.timezone.utc)))
        if isinstance(start_from, str) and start_from.strip().lower() == "earliest":
            return cls(EARLIEST)
        return cls(_timestamp("start_from", start_from))

    @classmethod
    def from_json(cls, parameter: str, value: Any) -> Cursor:
        """A cursor from its JSON form (a dict or a JSON string), checked."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise ConfigurationError(parameter, f"{short(value)} is not JSON.", _CURSOR_FIX) from None
        if not isinstance(value, Mapping) or not isinstance(value.get("since"), str):
            raise ConfigurationError(parameter, f"{short(value)} is not a messages cursor.", _CURSOR_FIX)
        delivered = value.get("delivered") or {}
        if not isinstance(delivered, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in delivered.items()
        ):
            raise ConfigurationError(parameter, "its 'delivered' is not {message id: createdAt}.", _CURSOR_FIX)
        last = value.get("last_created_at")
        return cls(
            _timestamp(f"{parameter}['since']", value["since"]),
            None if last is None else _timestamp(f"{parameter}['last_created_at']", last),
            dict(delivered),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "version": CURSOR_VERSION,
            "since": self.since,
            "last_created_at": self.last_created_at,
            "delivered": dict(self.delivered),
        }

    def lower_bound(self, overlap: float) -> str:
        """The ``createdAt`` a read starts at: the overlap before the last one seen, never before ``since``."""
        if self.last_created_at is None:
            return self.since
        back = format_timestamp(_parse(self.last_created_at) - dt.timedelta(seconds=overlap))
        return max(back, self.since)


EARLIEST = "1970-01-01T00:00:00.000Z"
_CURSOR_FIX = (
    'A cursor looks like {"since": "2026-12-01T00:00:00.000Z", "last_created_at": null, "delivered": {}}; '
    "delete the Variable that holds it to start again."
)


class CursorBuilder:
    """Follows the messages delivered in ``(createdAt, id)`` order and builds the next cursor."""

    def __init__(self, cursor: Cursor, overlap: float) -> None:
        self.cursor = cursor
        self.overlap = overlap
        self.last = cursor.last_created_at
        self.delivered: dict[str, str] = dict(cursor.delivered)
        self.count = 0
        #: True when a read stopped at its maximum with more messages waiting
        self.more = False

    def is_new(self, message: Mapping[str, Any]) -> bool:
        return message.get("id") not in self.delivered

    def add(self, message: Mapping[str, Any]) -> None:
        created = format_timestamp(_parse(str(message["createdAt"])))
        self.delivered[str(message["id"])] = created
        self.count += 1
        if self.last is None or created > self.last:
            self.last = created

    def next_cursor(self) -> Cursor:
        if self.last is None:
            return self.cursor
        floor = format_timestamp(_parse(self.last) - dt.timedelta(seconds=self.overlap))
        kept = {i: c for i, c in self.delivered.items() if c >= floor}
        return Cursor(self.cursor.since, self.last, kept)


# -- request plans (shared by the synchronous and the async readers) ----------------------------------


def check_overlap(overlap: Any) -> float:
    if isinstance(overlap, bool) or not isinstance(overlap, int | float) or not 0 <= overlap <= 86_400:
        raise ConfigurationError(
            "overlap", f"{short(overlap)} is not a number of seconds between 0 and 86400.", "E.g. 300."
        )
    return float(overlap)


def page_query(where: Sequence[str], after: tuple[str, str] | None, page_size: int = MAX_PAGE_SIZE) -> dict[str, Any]:
    """The query of one page in ``(createdAt, id)`` order, after the ``(createdAt, id)`` of the last one."""
    predicates = list(where)
    if after is not None:
        created, message_id = (quote_string(v) for v in after)
        predicates.append(f"(createdAt > {created} or (createdAt = {created} and id > {message_id}))")
    return {
        "where": predicates,
        "sort": ["createdAt asc", "id asc"],
        "limit": page_size,
        "withTotal": False,
    }


def next_after(page: Mapping[str, Any], page_size: int) -> tuple[str, str] | None:
    """The keyset position after ``page``, or None when it was the last page."""
    results = page.get("results") or []
    if len(results) < page_size:
        return None
    last = results[-1]
    return str(last["createdAt"]), str(last["id"])


def cursor_where(cursor: Cursor, message_filter: MessageFilter, overlap: float) -> list[str]:
    return [*message_filter.predicates(), f"createdAt >= {quote_string(cursor.lower_bound(overlap))}"]


# -- synchronous reading -----------------------------------------------------------------------------

Request = Callable[..., Any]  # client.request(method, path, *, query=...)


def iter_messages(request: Request, where: Sequence[str], page_size: int = MAX_PAGE_SIZE) -> Iterator[dict[str, Any]]:
    """Every message matching ``where``, in ``(createdAt, id)`` order, page by page."""
    check_count("page_size", page_size, 1, MAX_PAGE_SIZE)
    after: tuple[str, str] | None = None
    while True:
        page = request("GET", MESSAGES_PATH, query=page_query(where, after, page_size))
        yield from page.get("results") or []
        after = next_after(page, page_size)
        if after is None:
            return


@dataclass
class MessageBatch:
    """New messages after a cursor, the cursor after them, and whether more are waiting."""

    messages: list[dict[str, Any]]
    cursor: Cursor
    more: bool


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
    where = cursor_where(builder.cursor, message_filter, builder.overlap)
    for message in iter_messages(request, where, page_size):
        if not builder.is_new(message):
            continue
        if max_messages is not None and builder.count >= max_messages:
            builder.more = True
            return
        builder.add(message)
        yield message


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
    return MessageBatch(messages, builder.next_cursor(), builder.more)


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


def has_new_messages(
    request: Request, cursor: Cursor, message_filter: MessageFilter, overlap: float = DEFAULT_OVERLAP_SECONDS
) -> bool:
    """Whether a message not delivered yet exists after ``cursor``.

    First one request for a message newer than the last delivered (the usual wake-up); else the
    overlap window is read for a late one, only as far as the first one not delivered.
    """
    newer = newer_query(cursor, message_filter)
    if newer is not None and request("GET", MESSAGES_PATH, query=newer).get("results"):
        return True
    builder = CursorBuilder(cursor, overlap)
    page_size = min(MAX_PAGE_SIZE, len(builder.delivered) + 1)
    return any(
        builder.is_new(m) for m in iter_messages(request, window_where(cursor, message_filter, overlap), page_size)
    )


# -- async reading (the triggers) --------------------------------------------------------------------

AsyncRequest = Callable[..., Awaitable[Any]]  # await client.request(method, path, *, query=...)


async def aiter_messages(
    request: AsyncRequest, where: Sequence[str], page_size: int = MAX_PAGE_SIZE
) -> AsyncIterator[dict[str, Any]]:
    """:func:`iter_messages` for coroutines."""
    check_count("page_size", page_size, 1, MAX_PAGE_SIZE)
    after: tuple[str, str] | None = None
    while True:
        page = await request("GET", MESSAGES_PATH, query=page_query(where, after, page_size))
        for message in page.get("results") or []:
            yield message
        after = next_after(page, page_size)
        if after is None:
            return


async def ahas_new_messages(
    request: AsyncRequest, cursor: Cursor, message_filter: MessageFilter, overlap: float = DEFAULT_OVERLAP_SECONDS
) -> bool:
    """:func:`has_new_messages` for coroutines."""
    newer = newer_query(cursor, message_filter)
    if newer is not None and (await request("GET", MESSAGES_PATH, query=newer)).get("results"):
        return True
    builder = CursorBuilder(cursor, overlap)
    page_size = min(MAX_PAGE_SIZE, len(builder.delivered) + 1)
    async for message in aiter_messages(request, window_where(cursor, message_filter, overlap), page_size):
        if builder.is_new(message):
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
    async for message in aiter_messages(request, cursor_where(cursor, message_filter, overlap)):
        if not builder.is_new(message):
            continue
        if max_messages is not None and builder.count >= max_messages:
            builder.more = True
            break
        builder.add(message)
        name = str(message.get("type"))
        summary["types"][name] = summary["types"].get(name, 0) + 1
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


def count_types(messages: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in messages:
        name = str(message.get("type"))
        counts[name] = counts.get(name, 0) + 1
    return counts
