"""The one retry policy: what is retryable, how long to wait, when to give up, and logging each retry."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import tenacity

from airflow_provider_commercetools.commercetools.errors import (
    RateLimitedError,
    RequestError,
    RetriesExhaustedError,
    ServerError,
    TransportError,
)

T = TypeVar("T")

#: Statuses that mean "not processed, try again later" (gateway and capacity errors).
RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, honouring Retry-After, bounded in attempts and in time.

    A request that is not idempotent (a create) is retried only when it certainly never reached
    the server (a connect failure, or a 429 that rejected it), never after its response was lost.
    """

    max_attempts: int = 6
    max_seconds: float = 300.0
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_seconds <= 0 or self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("max_seconds must be positive and backoffs not negative")

    def is_retryable(self, error: BaseException, idempotent: bool) -> bool:
        """Decide whether a failed attempt may be sent again."""
        if isinstance(error, RateLimitedError):
            return True
        if isinstance(error, TransportError):
            return error.retryable and (idempotent or not error.sent)
        if isinstance(error, ServerError):
            return idempotent and error.status_code in RETRYABLE_STATUSES
        return False

    def backoff(self, attempt: int, error: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_backoff, self.initial_backoff * (2 ** (attempt - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def call(
        self,
        send: Callable[[int], T],
        *,
        idempotent: bool,
        describe: str,
        logger: logging.Logger | Any,
    ) -> T:
        """Run ``send(attempt_number)`` until it succeeds, fails for good, or the policy gives up.

        The first attempt is made directly: most requests succeed at once, and tenacity's machinery (built per
        request) costs a few percent of a write's CPU. Once it failed with a retryable error, tenacity takes
        over with that failure as its attempt 1, timed from before it.
        """
        started = time.monotonic()
        try:
            return send(1)
        except Exception as error:
            if not self.is_retryable(error, idempotent):
                raise
            first = error
        retrying = tenacity.Retrying(**self._options(idempotent, describe, logger, started))
        attempt = 0

        def once() -> T:
            nonlocal attempt
            attempt += 1
            if attempt == 1:
                raise first
            return send(attempt)

        try:
            return retrying(once)
        except tenacity.RetryError as exhausted:
            raise self._exhausted(exhausted) from exhausted.last_attempt.exception()

    async def acall(
        self,
        send: Callable[[int], Awaitable[T]],
        *,
        idempotent: bool,
        describe: str,
        logger: logging.Logger | Any,
    ) -> T:
        """:meth:`call` for coroutines: the same decisions and waits, sleeping with ``asyncio.sleep``."""
        retrying = tenacity.AsyncRetrying(**self._options(idempotent, describe, logger))
        attempt = 0

        async def once() -> T:
            nonlocal attempt
            attempt += 1
            return await send(attempt)

        try:
            return await retrying(once)
        except tenacity.RetryError as exhausted:
            raise self._exhausted(exhausted) from exhausted.last_attempt.exception()

    def _options(
        self, idempotent: bool, describe: str, logger: logging.Logger | Any, started: float | None = None
    ) -> dict[str, Any]:
        """tenacity's settings; ``started``: the ``time.monotonic()`` the first attempt began (default: now)."""
        planned: dict[int, float] = {}
        begun = time.monotonic() if started is None else started

        def elapsed() -> float:
            return time.monotonic() - begun

        def wait(state: tenacity.RetryCallState) -> float:
            # one jittered value per attempt, whether tenacity asks ``stop`` or ``wait`` first
            if state.attempt_number not in planned:
                error = state.outcome.exception() if state.outcome else None
                planned[state.attempt_number] = self.backoff(state.attempt_number, error)
            return planned[state.attempt_number]

        class OutOfTime(tenacity.stop.stop_base):
            """Give up now rather than wait past max_seconds."""

            def __call__(self, state: tenacity.RetryCallState) -> bool:
                return elapsed() + wait(state) >= policy.max_seconds

        class OutOfAttemptsOrTime(tenacity.stop.stop_base):
            """``stop_after_attempt`` and ``stop_after_delay``, the delay counted from ``started``."""

            def __call__(self, state: tenacity.RetryCallState) -> bool:
                return state.attempt_number >= policy.max_attempts or elapsed() >= policy.max_seconds

        policy = self

        def log_retry(state: tenacity.RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            sleep = state.next_action.sleep if state.next_action else 0.0
            logger.warning(
                "commercetools %s failed on attempt %d of %d: %s; retrying in %.2f s",
                describe,
                state.attempt_number,
                self.max_attempts,
                error,
                sleep,
            )

        return {
            "stop": tenacity.stop_any(OutOfAttemptsOrTime(), OutOfTime()),
            "wait": wait,
            "retry": tenacity.retry_if_exception(lambda e: self.is_retryable(e, idempotent)),
            "before_sleep": log_retry,
            "reraise": False,
        }

    def _exhausted(self, exhausted: tenacity.RetryError) -> RetriesExhaustedError:
        last = exhausted.last_attempt.exception()
        attempts = exhausted.last_attempt.attempt_number
        assert isinstance(last, RequestError)
        return RetriesExhaustedError(
            f"gave up after {attempts} attempts; last error: {last.message}",
            attempts=attempts,
            last_error=last,
            **last.context(),
            hint="commercetools or the network kept failing; the task can be retried later",
        )
