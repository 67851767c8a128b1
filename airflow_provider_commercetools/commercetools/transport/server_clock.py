"""The server's clock, read from the ``Date`` header of its answers: no request of its own.

RFC 9110 §6.6.1 (formerly RFC 7231 §7.1.1.2): an origin server with a clock *must* send ``Date``
in its 2xx, 3xx and 4xx answers, as an IMF-fixdate of whole seconds (``Mon, 07 Dec 2026 18:00:00 GMT``).
commercetools stamps ``lastModifiedAt`` and Messages' ``createdAt`` on its own clock, so a window
on those fields is judged against this clock, never the worker's (which may be skewed). Both clients
feed every answer (errors too) to :meth:`ServerClock.observe`; the time since the latest ``Date``
is added from the worker's monotonic clock, which a skewed wall clock does not affect.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

#: ``Date`` has whole seconds: the server's time was in ``[Date, Date + 1 s)`` when it answered.
DATE_RESOLUTION = dt.timedelta(seconds=1)


def parse_http_date(value: str | None) -> dt.datetime | None:
    """An HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms) as a UTC datetime; None if unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # RFC 9110: HTTP-dates are always GMT
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


class ServerClock:
    """The latest ``Date`` a client saw, and the worker's monotonic time when it arrived.

    Every answer is noted, so noting is a header look-up and nothing more; the date is parsed only when
    the server's time is asked for (a few times per task, not once per request).
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        #: ``(Date as received, monotonic time received)``: replaced whole, so threads read it safely
        self._reading: tuple[str, float] | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Note the ``Date`` of an answer (ignored when missing)."""
        value = headers.get("Date") or headers.get("date")
        if value:
            self._reading = (value, self._monotonic())

    def _parsed(self) -> tuple[dt.datetime, float] | None:
        reading = self._reading
        if reading is None:
            return None
        date = parse_http_date(reading[0])
        return None if date is None else (date, reading[1])

    @property
    def known(self) -> bool:
        """Whether an answer with a readable ``Date`` has been seen (the latest one)."""
        return self._parsed() is not None

    def earliest(self) -> dt.datetime:
        """The earliest the server's time can be now: the latest ``Date`` plus the time since it arrived."""
        parsed = self._parsed()
        if parsed is None:
            raise LookupError("no answer with a readable Date header seen yet")
        date, received = parsed
        return date + dt.timedelta(seconds=max(0.0, self._monotonic() - received))

    def latest(self) -> dt.datetime:
        """The latest the server's time can be now (``Date`` truncates to the second)."""
        return self.earliest() + DATE_RESOLUTION
