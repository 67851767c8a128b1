"""The errors of the commercetools layer: what was attempted, what commercetools answered, what to do.

They subclass Airflow's ``AirflowException`` when Airflow is installed (so tasks fail the usual
way), and plain ``Exception`` otherwise: this one import is all the layer knows of Airflow.
"""

from __future__ import annotations

import copy
from typing import Any

try:  # pragma: no cover - depends on the environment
    from airflow.providers.common.compat.sdk import AirflowException as _Base
except ModuleNotFoundError:  # pragma: no cover - Airflow is not installed
    _Base = Exception  # type: ignore[assignment,misc]


class CommercetoolsError(_Base):  # type: ignore[misc,valid-type]
    """Base of every error this provider raises."""


class ConfigurationError(CommercetoolsError, ValueError):
    """A connection field or operator parameter is missing or invalid; raised before any request."""

    def __init__(self, parameter: str, problem: str, fix: str = "") -> None:
        self.parameter = parameter
        self.problem = problem
        self.fix = fix
        text = f"{parameter}: {problem}"
        if fix:
            text += f" {fix}"
        super().__init__(text)


class RequestError(CommercetoolsError):
    """A request to commercetools failed; carries the request, the answer and the correlation id."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status_code: int | None = None,
        codes: list[str] | None = None,
        errors: list[dict[str, Any]] | None = None,
        correlation_id: str | None = None,
        hint: str = "",
    ) -> None:
        self.message = message
        self.method = method
        self.path = path
        self.status_code = status_code  # type: ignore[assignment]  # AirflowException's is HTTPStatus
        self.codes = codes or []
        self.errors = errors or []
        self.correlation_id = correlation_id
        self.hint = hint
        super().__init__(self._text())

    def _text(self) -> str:
        parts = []
        if self.method or self.path:
            parts.append(f"{self.method} {self.path}".strip())
        if self.status_code is not None:
            answer = f"HTTP {self.status_code}"
            if self.codes:
                answer += f" {', '.join(self.codes)}"
            parts.append(answer)
        text = " -> ".join(parts)
        text = f"{text}: {self.message}" if text else self.message
        if self.correlation_id:
            text += f" (correlation id {self.correlation_id})"
        if self.hint:
            text += f". {self.hint}"
        return text

    def context(self) -> dict[str, Any]:
        """The request and answer of this error, to build another error about the same request."""
        return {
            "method": self.method,
            "path": self.path,
            "status_code": self.status_code,
            "codes": self.codes,
            "errors": self.errors,
            "correlation_id": self.correlation_id,
        }

    def with_hint(self, hint: str) -> RequestError:
        """A copy of this error with another "what to do next" sentence."""
        new = copy.copy(self)
        new.hint = hint
        Exception.__init__(new, new._text())
        return new

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the keyword-only attributes when the error crosses a process boundary.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[RequestError], state: dict[str, Any]) -> RequestError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._text())
    return error


class BadRequestError(RequestError):
    """400: commercetools rejected the request (invalid input, predicate, field...)."""


class AuthenticationError(RequestError):
    """401: the credentials or the access token were rejected."""


class ForbiddenError(RequestError):
    """403: the API client lacks a scope."""


class NotFoundError(RequestError):
    """404: the resource does not exist."""


class ConcurrentModificationError(RequestError):
    """409: the version sent is not the current one; ``current_version`` says which is."""

    def __init__(self, message: str, *, current_version: int | None = None, **kwargs: Any) -> None:
        self.current_version = current_version
        super().__init__(message, **kwargs)


class RateLimitedError(RequestError):
    """429: too many requests; ``retry_after`` is the server's advice in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(RequestError):
    """5xx: commercetools (or a proxy in front of it) failed."""


class UnexpectedResponseError(RequestError):
    """The response could not be understood (not JSON, or not the expected shape)."""


class RedirectError(UnexpectedResponseError):
    """A 3xx answer: never followed (the token would go along); ``location`` is where it pointed."""

    def __init__(self, message: str, *, location: str = "", **kwargs: Any) -> None:
        self.location = location
        super().__init__(message, **kwargs)


class ResponseTooLargeError(UnexpectedResponseError):
    """The answer's body (decompressed) is larger than the connection's ``max_response_mb``.

    ``limit``: the bound in bytes; ``received``: the raw bytes read before reading stopped.
    """

    def __init__(self, message: str, *, limit: int, received: int = 0, **kwargs: Any) -> None:
        self.limit = limit
        self.received = received
        super().__init__(message, **kwargs)


class TransportError(RequestError):
    """The request did not complete: connection refused, TLS failure, timeout, dropped connection.

    ``sent`` is False only when the request certainly never reached the server; ``retryable`` is
    False for failures that a retry cannot mend (TLS errors, invalid URLs).
    """

    def __init__(self, message: str, *, sent: bool, retryable: bool = True, **kwargs: Any) -> None:
        self.sent = sent
        self.retryable = retryable
        super().__init__(message, **kwargs)


class OutcomeUnknownError(RequestError):
    """A write may or may not have been applied: its response was lost and it was not re-sent."""


class RetriesExhaustedError(RequestError):
    """Every attempt allowed by the retry policy failed; ``last_error`` is the final failure."""

    def __init__(self, message: str, *, attempts: int, last_error: RequestError, **kwargs: Any) -> None:
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(message, **kwargs)


class PaginationLimitError(RequestError):
    """Offset paging reached commercetools' offset limit of 10,000."""


ERRORS_BY_STATUS: dict[int, type[RequestError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConcurrentModificationError,
    429: RateLimitedError,
}

HINTS_BY_STATUS: dict[int, str] = {
    400: "Fix the request: commercetools' message above names the problem",
    401: "Check the client id and secret (Merchant Center > Settings > Developer settings > API clients)",
    403: "Give the API client the missing scope, or ask for it in the connection's 'scopes'",
    404: "Check the entity name, id or key, and the project key",
    409: "Re-read the entity and send its current version, or set on_conflict='retry'",
}
