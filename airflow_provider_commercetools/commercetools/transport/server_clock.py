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
    """The latest ``Date`` a client saw, and the worker's monotonic time when it arrived."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        #: ``(server date, monotonic time received)``: replaced whole, so threads read it safely
        self._reading: tuple[dt.datetime, float] | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Note the ``Date`` of an answer (ignored when missing or unreadable)."""
        date = parse_http_date(headers.get("Date") or headers.get("date"))
        if date is not None:
            self._reading = (date, self._monotonic())

    @property
    def known(self) -> bool:
        """Whether an answer with a ``Date`` has been seen."""
        return self._reading is not None

    def earliest(self) -> dt.datetime:
        """The earliest the server's time can be now: the latest ``Date`` plus the time since it arrived."""
        if self._reading is None:
            raise LookupError("no answer with a Date header seen yet")
        date, received = self._reading
        return date + dt.timedelta(seconds=max(0.0, self._monotonic() - received))

    def latest(self) -> dt.datetime:
        """The latest the server's time can be now (``Date`` truncates to the second)."""
        return self.earliest() + DATE_RESOLUTION
