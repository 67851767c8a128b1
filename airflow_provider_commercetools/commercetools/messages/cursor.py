"""Where a reader of Messages stands: the :class:`Cursor` kept between reads, and the builder of the next one.

Messages can become visible in queries a little after their ``createdAt``, and many can share one
``createdAt``. So a read after a cursor goes back an *overlap* before the last ``createdAt`` seen and
drops the messages already delivered: the cursor keeps the ids it delivered within the overlap.
A :class:`CursorStore` keeps cursors by name between runs and advances them compare-and-set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError
from airflow_provider_commercetools.commercetools.reading import format_timestamp, to_utc_datetime
from airflow_provider_commercetools.commercetools.transport.server_clock import DATE_RESOLUTION

#: How far before the last ``createdAt`` seen each read goes back (seconds), by default. It must be
#: longer than the longest delay before a message becomes visible in queries.
DEFAULT_OVERLAP_SECONDS = 300
CURSOR_VERSION = 1


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
        if _is_now(start_from):
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


def _is_now(start_from: Any) -> bool:
    return isinstance(start_from, str) and start_from.strip().lower() == "now"


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


def check_overlap(overlap: Any) -> float:
    if isinstance(overlap, bool) or not isinstance(overlap, int | float) or not 0 <= overlap <= 86_400:
        raise ConfigurationError(
            "overlap", f"{short(overlap)} is not a number of seconds between 0 and 86400.", "E.g. 300."
        )
    return float(overlap)


class CursorAheadError(CommercetoolsError):
    """A cursor is ahead of commercetools' clock: reading after it would silently find nothing."""


def check_cursor_clock(cursor: Cursor, server_now: dt.datetime, reset: str) -> None:
    """Fail when ``since`` or ``last_created_at`` is ahead of the server's time (``Date``, whole seconds).

    Messages' ``createdAt`` is stamped on commercetools' clock, so a cursor ahead of it (made on a
    worker whose clock runs ahead, e.g. with ``start_from="now"``) reads nothing until the server
    catches up and then skips every Message created in between. ``reset`` says how to start again.
    """
    latest = server_now + DATE_RESOLUTION  # Date truncates to the second
    for name, value in (("since", cursor.since), ("last_created_at", cursor.last_created_at)):
        if value is not None and _parse(value) > latest:
            raise CursorAheadError(
                f"The Messages cursor's {name} {value} is ahead of commercetools' clock (server time "
                f"{format_timestamp(server_now)}, from its Date header). Messages are stamped on that clock: "
                "reading after this cursor finds nothing until the server reaches it, and then misses every "
                f"Message created in between. Nothing was read. {reset}"
            )


class CursorMovedError(CommercetoolsError):
    """The stored cursor changed since the sensor read it: another run committed; not overwritten."""


class CursorStore:
    """Cursors kept by name as JSON text (the sensor keeps them in Airflow Variables), advanced compare-and-set.

    :param get: the text stored under a name (None or empty: nothing stored).
    :param put: store a text under a name.
    :param kind: what holds a cursor, for messages (``Variable``).
    """

    def __init__(self, get: Callable[[str], Any], put: Callable[[str, str], Any], kind: str = "Variable") -> None:
        self.get, self.put, self.kind = get, put, kind

    def load(self, name: str) -> Cursor | None:
        """The cursor stored under ``name`` (None when there is none)."""
        raw = self.get(name)
        return None if raw in (None, "") else Cursor.from_json(f"{self.kind} {name!r}", raw)

    def store(self, name: str, cursor: Cursor) -> None:
        self.put(name, json.dumps(cursor.to_json(), separators=(",", ":")))

    def start(self, name: str, start_from: Any, now: Callable[[], dt.datetime] | None = None) -> tuple[Cursor, bool]:
        """The cursor stored under ``name``, else a new one from ``start_from`` stored at once (so its "now" is kept).

        ``now`` gives the time ``"now"`` means (commercetools' clock: the worker's may be skewed); the
        flag says whether the cursor is new.
        """
        stored = self.load(name)
        if stored is not None:
            return stored, False
        start = Cursor.start(start_from, now=now() if now is not None and _is_now(start_from) else None)
        self.store(name, start)
        return start, True

    def commit(self, name: str, previous: Any, new: Any) -> bool:
        """Store ``new`` under ``name`` if it still holds ``previous``; True if it was stored.

        Already holding ``new`` (a re-run of the commit) is fine; anything else means another run moved
        the cursor: :class:`CursorMovedError`, nothing overwritten.
        """
        current = self.load(name)
        wanted, before = Cursor.from_json("cursor", new), Cursor.from_json("previous_cursor", previous)
        if current == wanted:
            return False
        if current is not None and current != before:
            raise CursorMovedError(
                f"{self.kind} {name!r} changed since the sensor read it (now last createdAt "
                f"{current.last_created_at}, the sensor read from {before.last_created_at}): another run "
                "committed meanwhile. Not overwriting it; run the DAG with max_active_runs=1."
            )
        self.store(name, wanted)
        return True
