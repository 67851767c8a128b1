"""The fake commercetools server with what the reliability suite adds, and the figures of a faulty run.

:class:`FaultyCommercetools` is :class:`FakeCommercetools` plus: the access tokens it issued (to
search Airflow's files for them), token revocation after given numbers of API requests (the token
revoked in the middle of a run, at a reproducible point), and an outage (one fault on every
matching request for a while) starting after a given number of API requests.

:func:`fault_figures` reads the server's request log: the faults served per kind, and how many of
the faulted requests the client sent again (the same request carries the same ``X-Correlation-ID``
on every attempt, so a re-send is a later request with the same correlation id).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_commercetools.testing import FakeCommercetools, RecordedRequest

#: What the fault suite injects at random, as the issue lists it (the token revocation comes on top).
FAULT_KINDS = ("429", "502", "503", "504", "drop_before", "drop_after", "slow")
REVOKED = "401 (token revoked)"
#: Row labels of the docs table.
KIND_LABELS = {
    "429": "429 with Retry-After",
    "502": "502",
    "503": "503",
    "504": "504",
    "drop_before": "connection dropped before the request was handled",
    "drop_after": "connection dropped after the request was applied",
    "slow": "response slower than the timeout",
    REVOKED: "token revoked mid-run (401 invalid_token)",
}


class FaultyCommercetools(FakeCommercetools):
    """:class:`FakeCommercetools` that records issued tokens, revokes them and starts outages on cue."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.issued_tokens: list[str] = []
        self.api_requests = 0
        self.revocations = 0
        self._revoke_at: set[int] = set()
        self._outage: tuple[int, dict[str, Any]] | None = None
        self.on_request(self._count_api_request)
        self.on_token(self.issued_tokens.append)

    def revoke_tokens_after(self, *counts: int) -> None:
        """Revoke every token when the API request number ``count + 1`` arrives (it then gets a 401)."""
        with self.lock:
            self._revoke_at = {self.api_requests + n + 1 for n in counts}

    def outage_after(self, count: int, fault: str, times: int, **match: Any) -> None:
        """After ``count`` more API requests, serve ``fault`` to the next ``times`` matching requests."""
        with self.lock:
            self._outage = (self.api_requests + count + 1, {"fault": fault, "times": times, **match})

    def _count_api_request(self, method: str, path: str) -> None:
        if not path.startswith("/oauth"):
            with self.lock:
                self.api_requests += 1
                if self.api_requests in self._revoke_at:
                    self.revoke_tokens()
                    self.revocations += 1
                if self._outage is not None and self.api_requests == self._outage[0]:
                    self.inject(self._outage[1].pop("fault"), **self._outage[1])
                    self._outage = None


def cause(request: RecordedRequest) -> str | None:
    """The fault a request met: an injected kind, a revoked token, or None."""
    if request.fault:
        return request.fault
    if request.status == 401:
        return REVOKED
    return None


@dataclass
class FaultFigures:
    """What the server saw during one run; the counters are keyed by ``(method, fault)``."""

    api_requests: int = 0
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: faulted requests that the client sent again (same correlation id)
    resent: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: requests sent again that met no fault (e.g. a read timeout under load)
    resent_unfaulted: int = 0
    token_grants: int = 0

    @property
    def retries(self) -> int:
        return sum(self.resent.values()) + self.resent_unfaulted

    def kinds(self) -> set[str]:
        return {kind for _, kind in self.injected}

    def count(self, counter: Counter[tuple[str, str]], kind: str, method: str | None = None) -> int:
        return sum(n for (m, k), n in counter.items() if k == kind and method in (None, m))


def fault_figures(server: FakeCommercetools, since: int = 0) -> FaultFigures:
    """The figures of the requests recorded from index ``since`` of ``server.requests`` on."""
    figures = FaultFigures()
    by_correlation_id: dict[str, list[RecordedRequest]] = defaultdict(list)
    for request in server.requests[since:]:
        if request.path.startswith("/oauth"):
            figures.token_grants += request.status == 200
            continue
        figures.api_requests += 1
        kind = cause(request)
        if kind:
            figures.injected[request.method, kind] += 1
        by_correlation_id[request.headers.get("x-correlation-id", "")].append(request)
    for attempts in by_correlation_id.values():
        for request in attempts[:-1]:  # each of these was followed by a re-send
            kind = cause(request)
            if kind:
                figures.resent[request.method, kind] += 1
            else:
                figures.resent_unfaulted += 1
    return figures
