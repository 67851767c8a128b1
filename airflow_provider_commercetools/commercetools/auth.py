"""OAuth2 client-credentials tokens: one grant shared by every thread, renewed before it expires."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """A granted access token and when it stops being usable (``time.monotonic`` seconds)."""

    access_token: str
    expires_at: float
    scope: str

    def __repr__(self) -> str:  # never show the token itself
        return f"Token(scope={self.scope!r}, expires_at={self.expires_at:.0f})"


#: Renew when less than this share of the lifetime is left (and at most 5 minutes before).
RENEW_SHARE = 0.1
RENEW_MAX_SECONDS = 300.0


class TokenProvider:
    """Caches the token; concurrent callers wait for a single grant instead of each making one.

    :param grant: performs the grant and returns ``(access_token, expires_in, scope)``.
    :param on_token: called with every new access token (the hook registers it with the
        secrets masker before anything can log it).
    """

    def __init__(
        self,
        grant: Callable[[], tuple[str, float, str]],
        *,
        on_token: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grant = grant
        self._on_token = on_token
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.grant_count = 0

    @property
    def scope(self) -> str:
        """The scopes granted with the current token ("" before the first grant)."""
        return self._token.scope if self._token else ""

    def access_token(self) -> str:
        """Return a usable token, granting a new one when there is none or it is about to expire."""
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at:
                token = self._new_token()
            return token.access_token

    def invalidate(self, access_token: str) -> None:
        """Forget ``access_token`` (rejected by the API); a newer token granted meanwhile is kept."""
        with self._lock:
            if self._token is not None and self._token.access_token == access_token:
                self._token = None

    def _new_token(self) -> Token:
        access_token, expires_in, scope = self._grant()
        if self._on_token:
            self._on_token(access_token)
        lifetime = max(float(expires_in), 0.0)
        margin = min(lifetime * RENEW_SHARE, RENEW_MAX_SECONDS)
        self._token = Token(access_token, self._clock() + lifetime - margin, scope)
        self.grant_count += 1
        return self._token
