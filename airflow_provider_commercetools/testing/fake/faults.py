"""Injected faults of the fake: the kinds, queued and random faults, and the answers they give instead."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from airflow_provider_commercetools.testing.fake.http import Response, dumps, error_body

FAULT_KINDS: frozenset[str] = frozenset(
    {"429", "500", "502", "503", "504", "html_502", "drop_before", "drop_after", "slow", "garbage_200"}
)
_STATUS_FAULTS = {
    "429": (429, "TooManyRequests", "Too many requests. Please retry later."),
    "500": (500, "General", "Internal Server Error: the request could not be processed."),
    "502": (502, "General", "Bad Gateway: the service is scaling, please retry."),
    "503": (503, "OverCapacity", "Service Unavailable: the service is over capacity, please retry."),
    "504": (504, "GatewayTimeout", "Gateway Timeout: the request took too long, please retry."),
}
_HTML_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
#: faults only for :meth:`Faults.inject`: ``apply_late`` drops the connection unanswered and applies
#: the request ``delay`` seconds later (a server that finishes a write after the client gave up)
INJECT_ONLY = frozenset({"apply_late"})
#: faults answered instead of the request (which is then not handled)
ANSWERING_FAULTS = frozenset({*_STATUS_FAULTS, "html_502", "garbage_200"})

#: ``(method, path)``: told of every request as it arrives, before its fault is chosen
RequestListener = Callable[[str, str], None]


@dataclass
class InjectedFault:
    """A queued fault: ``kind`` for the next ``times`` requests that match ``method`` and ``path_prefix``."""

    kind: str
    times: int
    method: str | None
    path_prefix: str | None
    retry_after: float | None
    delay: float


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    method: str | None
    path_prefix: str | None
    retry_after: float | None
    delay: float


def _fault_matches(method: str, path: str, want_method: str | None, prefix: str | None) -> bool:
    if want_method is not None and want_method.upper() != method:
        return False
    if path.startswith("/oauth") and not (prefix is not None and prefix.startswith("/oauth")):
        return False
    return prefix is None or path.startswith(prefix)


class Faults:
    """Queued and random faults, and how many of each kind were served (:attr:`injected`)."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._queued: list[InjectedFault] = []
        self._random: _RandomFaults | None = None
        self._request_listeners: list[RequestListener] = []
        self.injected: dict[str, int] = {}

    def on_request(self, listener: RequestListener) -> None:
        """Call ``listener`` with ``(method, path)`` for every request, before its fault is chosen."""
        with self._lock:
            self._request_listeners.append(listener)

    def inject(
        self,
        fault: str,
        *,
        times: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests (queued faults apply in order)."""
        if fault not in FAULT_KINDS | INJECT_ONLY:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(sorted(FAULT_KINDS | INJECT_ONLY))}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._queued.append(InjectedFault(fault, times, method, path_prefix, retry_after, delay))

    def set_random(
        self,
        rate: float,
        kinds: Sequence[str],
        seed: int = 0,
        *,
        method: str | None = None,
        path_prefix: str | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Fault each matching request with probability ``rate`` (a kind drawn from ``kinds``).

        Deterministic given ``seed`` and the order of requests. ``rate`` 0 disables.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        unknown = [k for k in kinds if k not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(sorted(FAULT_KINDS))}")
        with self._lock:
            if rate == 0 or not kinds:
                self._random = None
            else:
                self._random = _RandomFaults(
                    rate, tuple(kinds), random.Random(seed), method, path_prefix, retry_after, delay
                )

    def clear(self) -> None:
        """Drop queued faults and disable random faults."""
        with self._lock:
            self._queued.clear()
            self._random = None

    def take(self, method: str, path: str) -> InjectedFault | None:
        """The fault for this request, if any (a queued one first, then a random draw)."""
        for listener in self._request_listeners:
            listener(method, path)
        with self._lock:
            for i, f in enumerate(self._queued):
                if _fault_matches(method, path, f.method, f.path_prefix):
                    f.times -= 1
                    if f.times <= 0:
                        del self._queued[i]
                    return f
            rnd = self._random
            if (
                rnd is not None
                and _fault_matches(method, path, rnd.method, rnd.path_prefix)
                and rnd.rng.random() < rnd.rate
            ):
                kind = rnd.kinds[rnd.rng.randrange(len(rnd.kinds))]
                return InjectedFault(kind, 1, None, None, rnd.retry_after, rnd.delay)
        return None

    def count(self, kind: str) -> None:
        """Count one served fault of ``kind``."""
        with self._lock:
            self.injected[kind] = self.injected.get(kind, 0) + 1


def fault_response(fault: InjectedFault) -> Response:
    """The answer an answering fault (:data:`ANSWERING_FAULTS`) gives instead of the request's."""
    if fault.kind == "html_502":
        return Response(502, _HTML_502, "text/html; charset=utf-8")
    if fault.kind == "garbage_200":
        return Response(200, b"not json", "application/json")
    status, code, message = _STATUS_FAULTS[fault.kind]
    headers: dict[str, str] = {}
    if fault.kind == "429":
        after = 1.0 if fault.retry_after is None else float(fault.retry_after)
        headers["Retry-After"] = str(int(after)) if after == int(after) else repr(after)
    return Response(status, dumps(error_body(status, code, message)), headers=headers)
