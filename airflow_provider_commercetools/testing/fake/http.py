"""The fake's HTTP vocabulary: answers, error bodies as the commercetools API writes them, the request log entry.

Every fake API (the project API, and others that plug in) answers with :class:`Response` or raises
:class:`HttpError`; :func:`answer` turns both (and a bug in the fake) into the answer sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"
READ_METHODS = frozenset({"GET", "HEAD"})


class FakeClock:
    """The fake server's clock: the worker's wall clock plus :attr:`offset` seconds.

    commercetools stamps ``createdAt`` / ``lastModifiedAt`` (and Messages' ``createdAt``) on its own
    clock and sends that clock in every answer's ``Date`` header (RFC 9110 §6.6.1: an origin server
    with a clock must send ``Date`` in 2xx, 3xx and 4xx answers). A worker's clock can differ from it
    (a skewed host); the offset makes the fake's differ too. One clock per process: every timestamp
    of the fake is stamped by module functions. ``FakeCommercetools.clock_offset`` sets it; the fake
    sets it back to 0 when it stops.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        """Seconds since the epoch on the server's clock."""
        return time.time() + self.offset


#: the clock of every fake in this process
CLOCK = FakeClock()


def iso_at(seconds: float) -> str:
    """``seconds`` since the epoch as the API writes timestamps (``2024-01-31T12:00:00.123Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1000):03d}Z"


def now_iso() -> str:
    """The server's current time as the API writes it (``2024-01-31T12:00:00.123Z``)."""
    return iso_at(CLOCK.time())


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the API answers."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def error_body(status: int, code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The API's error answer: ``statusCode``, ``message`` and one error of ``code``."""
    return {"statusCode": status, "message": message, "errors": [{"code": code, "message": message, **extra}]}


def oauth_error_body(status: int, code: str, message: str) -> dict[str, Any]:
    """An auth error answer: the API's error body plus the OAuth ``error`` / ``error_description``."""
    body = error_body(status, code, message)
    body["error"] = code
    body["error_description"] = message
    return body


class HttpError(Exception):
    """Raised inside request handling: becomes the JSON error answer."""

    def __init__(self, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def bad_request(code: str, message: str, **extra: Any) -> HttpError:
    """A 400 with one error of ``code``."""
    return HttpError(400, error_body(400, code, message, **extra))


def invalid_json(detail: str) -> HttpError:
    """The 400 ``InvalidJsonInput`` of a body that is not the JSON expected."""
    message = f"Request body does not contain valid JSON. {detail}"
    return bad_request("InvalidJsonInput", message, detailedErrorMessage=detail)


def not_found(message: str) -> HttpError:
    """A 404 ``ResourceNotFound``."""
    return HttpError(404, error_body(404, "ResourceNotFound", message))


def conflict(entity_id: str, expected: int, actual: int) -> HttpError:
    """The 409 ``ConcurrentModification`` of a write with a stale version."""
    message = f"Object {entity_id} has a different version than expected. Expected: {expected} - Actual: {actual}."
    return HttpError(409, error_body(409, "ConcurrentModification", message, currentVersion=actual))


def method_not_allowed(method: str, path: str) -> HttpError:
    """A 405 ``MethodNotAllowed``."""
    return HttpError(405, error_body(405, "MethodNotAllowed", f"The method {method} is not allowed on {path}."))


def insufficient_scope(message: str) -> HttpError:
    """The 403 ``insufficient_scope`` of a token without the scope a request needs."""
    return HttpError(403, oauth_error_body(403, "insufficient_scope", message))


@dataclass
class RecordedRequest:
    """One request the fake received (recorded before it answered)."""

    method: str
    path: str  # as sent, without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int  # 0 when the connection was dropped without an answer
    fault: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Response:
    """An answer of the fake: status, body, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)


#: ``(method, path, query, headers, body) -> response``: what a listener answers with.
Handle = Callable[[str, str, dict[str, list[str]], dict[str, str], bytes], Response]
#: What an API of the fake implements: an answer, or None for a path it does not serve (404, or the
#: next API mounted at the same address); errors are raised as :class:`HttpError`.
ApiHandle = Callable[[str, str, dict[str, list[str]], dict[str, str], bytes], "Response | None"]


def answer(
    handle: ApiHandle, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
) -> Response:
    """``handle``'s answer; an :class:`HttpError` becomes its error body, a bug in the fake a 500."""
    try:
        response = handle(method, path, query, headers, body)
        if response is None:
            raise not_found(f"The endpoint '{path}' was not found.")
        return response
    except HttpError as exc:
        return Response(exc.status, dumps(exc.body), headers=exc.headers)
    except Exception as exc:  # a bug in the fake: answer like the API would, keep serving
        return Response(500, dumps(error_body(500, "General", f"Fake server error: {exc!r}")))
