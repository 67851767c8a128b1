"""When a window on commercetools' timestamps may be read: its end plus a settle delay, on the server's clock.

commercetools stamps ``lastModifiedAt`` (and a Message's ``createdAt``) on distributed API nodes and
its queries are eventually consistent, so a write stamped just before a window's end can show in
query results only after it. A window ``[start, end)`` is therefore read only once the *server's*
clock (the ``Date`` of its answers, see ``transport.server_clock``) is past ``end + settle``: a write
that shows within ``settle`` of its stamp is in its window's read, and consecutive windows stay
disjoint. The worker's clock plays no part (it may be skewed). No Airflow here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError
from airflow_provider_commercetools.commercetools.reading.predicates import format_timestamp, to_utc_datetime

#: The default settle delay: commercetools-project-sync, commercetools' own sync tool, keeps its
#: watermark 2 minutes before the sync started "since CTP timestamps are created on distributed APIs";
#: Estuary's source stays 5 minutes behind, our Messages reader overlaps 300 s (see docs/subscriber.md).
DEFAULT_SETTLE = dt.timedelta(minutes=2)
MAX_SETTLE = dt.timedelta(days=1)
#: The default longest wait slept in the worker slot (seconds): a scheduled run waits about ``settle``
#: (120 s by default), which a deferral (a triggerer round trip, a new worker slot) would not save.
DEFAULT_LONGEST_SLEEP = 300.0


class WindowNotSettledError(CommercetoolsError):
    """A window's end plus its settle delay is not yet past on the server's clock; nothing was read."""


def _check_seconds(name: str, value: Any, hint: str) -> dt.timedelta:
    """Seconds (a number, or a rendered template's digits) or a timedelta, from 0 to one day."""
    seconds: Any = value
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            seconds = None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 86_400:
        raise ConfigurationError(
            name, f"{short(value)} is not a number of seconds (or a timedelta) from 0 to 86400.", hint
        )
    return dt.timedelta(seconds=seconds)


def check_settle(value: Any) -> dt.timedelta:
    """``settle``: seconds (a number, or a rendered template's digits) or a timedelta, 0 to one day."""
    return _check_seconds(
        "settle",
        value,
        f"E.g. {int(DEFAULT_SETTLE.total_seconds())} (the default): how long after a window's end its "
        "writes may still become visible.",
    )


def check_window_overlap(value: Any) -> dt.timedelta:
    """``overlap``: how far before a window's start it is read again (seconds or a timedelta, 0 to one day)."""
    return _check_seconds(
        "overlap",
        value,
        "E.g. 600 to read each window again from 10 minutes before its start (0, the default: disjoint windows).",
    )


def overlapped_start(start: Any, overlap: dt.timedelta) -> Any:
    """A window's start moved ``overlap`` earlier (a missing start stays missing)."""
    if start is None or not overlap:
        return start
    return to_utc_datetime("modified_since", start) - overlap


def check_longest_sleep(value: Any) -> float:
    """``longest_sleep``: the longest wait a task sleeps in its worker slot, 0 (never sleep) to one day."""
    return _check_seconds(
        "longest_sleep",
        value,
        f"E.g. {DEFAULT_LONGEST_SLEEP:g} (the default), or 0 to never hold a worker slot while a window settles.",
    ).total_seconds()


@dataclass(frozen=True)
class SettleWait:
    """How long until the window ending at ``end`` may be read, judged at the server time ``server_now``."""

    end: dt.datetime
    settle: dt.timedelta
    server_now: dt.datetime

    @property
    def ready_at(self) -> dt.datetime:
        """The server time from which the window may be read."""
        return self.end + self.settle

    @property
    def seconds(self) -> float:
        """Seconds to wait (0: read now)."""
        return max(0.0, (self.ready_at - self.server_now).total_seconds())

    @property
    def future(self) -> bool:
        """Whether the window's end is ahead of the server's clock (a manual run, a skewed worker)."""
        return self.end > self.server_now

    def describe(self) -> str:
        """One line: the window's end, the server's time, when it may be read."""
        ahead = "is ahead of" if self.future else "is not yet settled on"
        return (
            f"modified_until {format_timestamp(self.end)} {ahead} commercetools' clock (server time "
            f"{format_timestamp(self.server_now)}, from its Date header); with settle "
            f"{self.settle.total_seconds():g} s the window can be read from {format_timestamp(self.ready_at)} "
            f"server time, in {self.seconds:.0f} s"
        )

    def error(self, longest_sleep: float) -> WindowNotSettledError:
        """The refusal of a wait longer than a task may sleep, saying when to run."""
        return WindowNotSettledError(
            f"{self.describe()}. Nothing was read: reading now could miss writes that commercetools has "
            f"stamped in the window but not yet shown. A task sleeps at most {longest_sleep:g} s: run it "
            "again after that time, or set deferrable=True to wait in the triggerer (or raise longest_sleep)."
        )
