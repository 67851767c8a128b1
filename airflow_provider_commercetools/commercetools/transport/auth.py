"""OAuth2 client-credentials tokens: one grant shared by every thread (or coroutine), renewed before it
expires; and the bearer step that both clients use: send with the token, on a 401 renew once and resend.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.errors import AuthenticationError, RequestError, RetriesExhaustedError
from airflow_provider_commercetools.commercetools.transport.exchange import Result
from airflow_provider_commercetools.commercetools.transport.protocol import TOKEN_PATH, Request

Grant = Callable[[], tuple[str, float, str]]
AsyncGrant = Callable[[], Awaitable[tuple[str, float, str]]]


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
#: The lifetime assumed when a grant says ``expires_in`` <= 0 (or nothing usable): without it every
#: request would grant a new token; a token that did expire is answered 401 and re-granted once.
MIN_LIFETIME_SECONDS = 60.0


class TokenProvider:
    """Caches the token; concurrent callers wait for a single grant instead of each making one.

    Callers that waited for a grant that failed get its error, without a grant of their own: when the
    credentials are refused, a batch sending from many threads makes one grant, not one per thread.

    :param grant: performs the grant and returns ``(access_token, expires_in, scope)``
        (for :meth:`access_token`, threads wait on a lock).
    :param async_grant: the same as a coroutine (for :meth:`async_access_token`, coroutines wait on
        an asyncio lock).
    :param on_token: called with every new access token (the hook registers it with the
        secrets masker before anything can log it).
    """

    def __init__(
        self,
        grant: Grant | None = None,
        *,
        async_grant: AsyncGrant | None = None,
        on_token: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._grant = grant
        self._async_grant = async_grant
        self._on_token = on_token
        self._clock = clock
        self._lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None
        self._token: Token | None = None
        self.grant_count = 0
        #: grants that failed so far, and the last failure (None once a grant succeeds)
        self.failed_grants = 0
        self._failure: BaseException | None = None

    @property
    def scope(self) -> str:
        """The scopes granted with the current token ("" before the first grant)."""
        return self._token.scope if self._token else ""

    def _usable(self) -> Token | None:
        token = self._token
        return token if token is not None and self._clock() < token.expires_at else None

    def access_token(self) -> str:
        """Return a usable token, granting a new one when there is none or it is about to expire."""
        token = self._usable()  # the token is replaced whole: read without the lock, as most calls find one
        if token is not None:
            return token.access_token
        failed_before = self.failed_grants
        with self._lock:
            token = self._usable()
            if token is None:
                if self._grant is None:
                    raise RuntimeError("this TokenProvider grants tokens only in coroutines")
                self._raise_if_failed_since(failed_before)
                try:
                    token = self._store(*self._grant())
                except BaseException as error:
                    self._failed(error)
                    raise
            return token.access_token

    async def async_access_token(self) -> str:
        """:meth:`access_token` for coroutines: concurrent ones wait for a single grant."""
        if self._async_lock is None:
            self._async_lock = asyncio.Lock()
        failed_before = self.failed_grants
        async with self._async_lock:
            token = self._usable()
            if token is None:
                if self._async_grant is None:
                    raise RuntimeError("this TokenProvider grants tokens only in threads")
                self._raise_if_failed_since(failed_before)
                try:
                    token = self._store(*(await self._async_grant()))
                except BaseException as error:
                    self._failed(error)
                    raise
            return token.access_token

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, Exception):  # not a cancellation or an interrupt
            self.failed_grants += 1
            self._failure = error

    def _raise_if_failed_since(self, failed_before: int) -> None:
        """The caller waited while a grant failed: it gets that failure (a copy) instead of granting again."""
        failure = self._failure
        if failure is not None and self.failed_grants != failed_before:
            raise copy.copy(failure).with_traceback(None)

    def invalidate(self, access_token: str) -> None:
        """Forget ``access_token`` (rejected by the API); a newer token granted meanwhile is kept."""
        with self._lock:
            if self._token is not None and self._token.access_token == access_token:
                self._token = None

    def _store(self, access_token: str, expires_in: float, scope: str) -> Token:
        if self._on_token:
            self._on_token(access_token)
        lifetime = float(expires_in)
        if not math.isfinite(lifetime) or lifetime <= 0:
            lifetime = MIN_LIFETIME_SECONDS
        margin = min(lifetime * RENEW_SHARE, RENEW_MAX_SECONDS)
        self._token = Token(access_token, self._clock() + lifetime - margin, scope)
        self._failure = None
        self.grant_count += 1
        return self._token


def is_token_failure(error: BaseException) -> bool:
    """Whether a request failed for want of a usable token: the grant failed (refused, unreachable,
    answered oddly), or the API refused the token and a freshly granted one too (401 twice).

    Such a failure says nothing about the item sent: every other item would fail the same way.
    """
    if isinstance(error, RetriesExhaustedError):
        error = error.last_error
    if isinstance(error, AuthenticationError):
        return True
    return isinstance(error, RequestError) and error.path.endswith(TOKEN_PATH)


class TokenWanted:
    """Yielded by :meth:`BearerAuth.auth_flow` when it needs a usable access token (send it the token)."""


TOKEN_WANTED = TokenWanted()
Flow = Generator["Request | TokenWanted", "str | Result", Result]


class BearerAuth:
    """401 -> new token -> resend once, as one generator in the shape of httpx's ``Auth.auth_flow``.

    The flow yields :data:`TOKEN_WANTED` (the client sends it a token: a thread waits on the
    provider's lock, a coroutine on its asyncio lock), then the request with the token (the client
    sends it, with its retries, and sends the :class:`Result` back). On a 401 it forgets the token,
    asks for a new one and yields the request again, once. It returns the final result.
    """

    def __init__(self, tokens: TokenProvider, logger: logging.Logger | Any) -> None:
        self.tokens = tokens
        self.log = logger

    def auth_flow(self, request: Request) -> Flow:
        token = yield TOKEN_WANTED
        assert isinstance(token, str)
        result = yield request.with_header("Authorization", f"Bearer {token}")
        assert isinstance(result, Result)
        if not isinstance(result.error, AuthenticationError):
            return result
        self.tokens.invalidate(token)
        self.log.info("commercetools %s: access token rejected (401); granting a new one", request.describe)
        token = yield TOKEN_WANTED
        assert isinstance(token, str)
        result = yield request.with_header("Authorization", f"Bearer {token}")
        assert isinstance(result, Result)
        if isinstance(result.error, AuthenticationError):
            self.tokens.invalidate(token)
            result = Result(
                error=result.error.with_hint(
                    "The API rejected a freshly granted token too: the API client may have been "
                    "deleted, or the project key or API URL may be wrong"
                )
            )
        return result
