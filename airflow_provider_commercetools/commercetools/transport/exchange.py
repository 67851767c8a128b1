"""One request's life over its attempts: what each failure says, and "may this write have been applied".

Both clients keep one :class:`Exchange` per request (across retries and the resend after a 401)
and let it decide the final error. The publisher's lost-create recovery builds on
:meth:`Exchange.may_have_applied` and :func:`outcome_unknown`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.errors import (
    ConcurrentModificationError,
    OutcomeUnknownError,
    RedirectError,
    RequestError,
    ResponseTooLargeError,
    ServerError,
    TransportError,
)
from airflow_provider_commercetools.commercetools.transport.protocol import UNCERTAIN_STATUSES, Request

#: Methods that change nothing: any other request answered oddly may have been applied.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Result:
    """What one round of attempts ended with: a value, or an error."""

    value: Any = None
    error: RequestError | None = None

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


def may_have_applied(error: RequestError) -> bool:
    """Whether a failed write may have reached commercetools and been applied."""
    if isinstance(error, TransportError):
        return error.sent
    if isinstance(error, ResponseTooLargeError):  # answered, but the answer could not be read
        return error.status_code is not None and error.status_code < 300
    return isinstance(error, ServerError) and error.status_code in UNCERTAIN_STATUSES


def outcome_unknown(error: RequestError, what: str) -> OutcomeUnknownError:
    return OutcomeUnknownError(
        f"the write may or may not have been applied ({what})",
        **error.context(),
        hint="It was not re-sent, to avoid applying it twice: check the entity before sending it again",
    )


class Exchange:
    """Follows one request over its attempts and turns its last failure into the error to raise."""

    def __init__(self, request: Request) -> None:
        self.request = request
        #: an earlier attempt may have been applied although its answer was lost
        self.lost_response = False

    def observe(self, error: RequestError) -> None:
        """Called with the failure of every attempt."""
        if (isinstance(error, TransportError) and error.sent) or isinstance(error, ServerError):
            self.lost_response = True

    def conclude(self, error: RequestError) -> RequestError:
        """The error to raise for the request's final failure."""
        if isinstance(error, ConcurrentModificationError) and self.lost_response:
            return outcome_unknown(error, "a retried update met a newer version")
        if isinstance(error, RedirectError) and self.request.method not in READ_METHODS:
            return outcome_unknown(error, f"HTTP {error.status_code}, {error.message}")
        if not self.request.idempotent and may_have_applied(error):
            return outcome_unknown(error, str(error.message))
        return error

    def finish(self, result: Result) -> Any:
        """The value of the request, or the error to raise (chained to the original failure)."""
        if result.error is None:
            return result.value
        final = self.conclude(result.error)
        if final is result.error:
            raise final
        raise final from result.error
