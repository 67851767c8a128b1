"""The transport-independent core of a request: build it, read its answer, name its failures.

Both clients (``client.py`` on requests, ``async_client.py`` on httpx) wrap these functions; they
only move bytes. Nothing here does I/O.
"""

from __future__ import annotations

import json
import logging
import platform
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

import msgspec

from airflow_provider_commercetools import __version__
from airflow_provider_commercetools.commercetools.errors import (
    ERRORS_BY_STATUS,
    HINTS_BY_STATUS,
    ConcurrentModificationError,
    RateLimitedError,
    RedirectError,
    RequestError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.transport.safety import (
    VISIBLE,
    check_correlation_id,
    check_method,
    check_path,
    check_project_key,
    one_line,
    redact,
    redact_value,
    short,
)

USER_AGENT = f"airflow-provider-commercetools/{__version__} Python/{platform.python_version()}"
_JSON = msgspec.json.Decoder()
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
#: Statuses after which a write may have been applied although it failed.
UNCERTAIN_STATUSES = frozenset({500, 502, 503, 504})
TOKEN_PATH = "/oauth/token"

QueryValue = str | int | float | bool | list[Any] | tuple[Any, ...] | None
Query = Mapping[str, QueryValue]


def encode_query(query: Query | None) -> list[tuple[str, str]]:
    """Turn a query dict into ordered pairs: lists repeat the parameter, booleans are true/false."""
    pairs: list[tuple[str, str]] = []
    for name, value in (query or {}).items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, bool):
                pairs.append((name, "true" if item else "false"))
            else:
                pairs.append((name, str(item)))
    return pairs


def loads(content: bytes) -> Any:
    """Decode a JSON body (msgspec: the values of ``json.loads``, in a fraction of its CPU time).

    :raises ValueError: the body is not JSON.
    """
    try:
        return _JSON.decode(content)
    except msgspec.DecodeError as error:
        raise ValueError(f"the JSON document is malformed: {error}") from None


@dataclass(frozen=True)
class Request:
    """One request, ready to send: what every transport needs and what errors and logs name.

    ``path`` is the URL's path (what errors and log lines show); ``url`` is the full URL without
    the query; ``params`` the encoded query pairs.
    """

    method: str
    url: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    correlation_id: str = ""
    idempotent: bool = True
    decode: Callable[[bytes], Any] | None = None

    @property
    def describe(self) -> str:
        return f"{self.method} {self.path}"

    def with_header(self, name: str, value: str) -> Request:
        return replace(self, headers={**self.headers, name: value})


@dataclass(frozen=True)
class Response:
    """What a transport received: status, headers (a case-insensitive mapping) and the body's bytes."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    reason: str = ""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def new_correlation_id() -> str:
    return f"airflow-{uuid.uuid4()}"


def build_request(
    base_url: str,
    project_key: str,
    method: str,
    path: str,
    *,
    query: Query | None = None,
    payload: Any = None,
    idempotent: bool | None = None,
    correlation_id: str | None = None,
    decode: Callable[[bytes], Any] | None = None,
) -> Request:
    """The request for ``method {base_url}/{project_key}/{path}`` (``idempotent`` defaults by method)."""
    method = check_method(method)
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS
    if correlation_id is not None:
        check_correlation_id(correlation_id)
    path = check_path(path)
    check_project_key(project_key)
    url_path = f"/{project_key}/{path}" if path else f"/{project_key}"
    correlation_id = correlation_id or new_correlation_id()
    headers = {"X-Correlation-ID": correlation_id}
    body = None
    if payload is not None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers["Content-Type"] = "application/json"
    return Request(
        method=method,
        url=base_url + url_path,
        path=url_path,
        params=encode_query(query),
        body=body,
        headers=headers,
        correlation_id=correlation_id,
        idempotent=idempotent,
        decode=decode,
    )


def build_token_request(auth_url: str, scopes: tuple[str, ...], basic_credentials: str) -> Request:
    """The client-credentials grant; ``basic_credentials`` is base64(client_id:client_secret)."""
    correlation_id = new_correlation_id()
    form = {"grant_type": "client_credentials", "scope": " ".join(scopes)}
    return Request(
        method="POST",
        url=auth_url + TOKEN_PATH,
        path=TOKEN_PATH,
        body=urlencode(form).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Correlation-ID": correlation_id,
            "Authorization": f"Basic {basic_credentials}",
        },
        correlation_id=correlation_id,
        idempotent=True,
    )


def read_response(request: Request, response: Response) -> Any:
    """The parsed JSON of a successful answer (True for HEAD, None for no body), or a typed error."""
    correlation_id = one_line(response.headers.get("X-Correlation-ID") or request.correlation_id)[:256]
    if response.status_code >= 400:
        raise error_from_response(response, request.method, request.path, correlation_id)
    if 300 <= response.status_code < 400:
        raise redirect_error(request, response, correlation_id)
    if request.method == "HEAD":
        return True
    if not response.content:
        return None
    try:
        if request.decode is not None:
            return request.decode(response.content)
        return loads(response.content)
    except ValueError:
        raise UnexpectedResponseError(
            f"the response is not JSON ({describe_body(response)})",
            method=request.method,
            path=request.path,
            status_code=response.status_code,
            correlation_id=correlation_id,
            hint="Check that the connection's URLs point to the commercetools API, not a proxy or web page",
        ) from None


def redirect_error(request: Request, response: Response, correlation_id: str | None) -> RedirectError:
    location = redact(response.headers.get("Location") or "")
    shown = short(location) if location else "no Location"
    return RedirectError(
        f"redirected to {shown} (not followed)",
        location=location,
        method=request.method,
        path=request.path,
        status_code=response.status_code,
        correlation_id=correlation_id,
        hint="Check the connection's URLs: commercetools does not redirect; a proxy or a wrong host may",
    )


def read_token(request: Request, data: Any) -> tuple[str, float, str]:
    """``(access_token, expires_in, scope)`` of a grant's answer, or an UnexpectedResponseError."""
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not VISIBLE.fullmatch(token):
        raise UnexpectedResponseError(
            "the token response has no access_token"
            + ("" if token is None else " (it is empty or not visible ASCII characters)"),
            method=request.method,
            path=request.url,
            status_code=200,
            hint="Check the connection's auth URL: it should be https://auth.<region>.commercetools.com",
        )
    try:
        expires_in = float(data.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600.0
    return token, expires_in, str(data.get("scope", ""))


def error_from_response(response: Response, method: str, path: str, correlation_id: str | None) -> RequestError:
    """Build the typed error for an HTTP error response (JSON from commercetools, or anything else)."""
    status = response.status_code
    try:
        body = loads(response.content) if response.content else None
    except ValueError:
        body = None
    errors: list[dict[str, Any]] = []
    message = ""
    if isinstance(body, dict):
        raw_errors = body.get("errors")
        if isinstance(raw_errors, list):
            errors = [e for e in raw_errors if isinstance(e, dict)]
        message = str(body.get("message") or body.get("error_description") or "")
        if not errors and body.get("error"):
            errors = [{"code": str(body["error"]), "message": message}]
        if len(errors) > 1:
            message = "; ".join(str(e.get("message", e.get("code", ""))) for e in errors)
    if not message:
        message = f"{response.reason or 'error'} ({describe_body(response)})"
    message = one_line(redact(message))
    errors = redact_value(errors)
    codes = [one_line(str(e["code"]))[:100] for e in errors if e.get("code")]
    kwargs: dict[str, Any] = {
        "method": method,
        "path": path,
        "status_code": status,
        "codes": codes,
        "errors": errors,
        "correlation_id": correlation_id,
        "hint": HINTS_BY_STATUS.get(status, ""),
    }
    if status == 409:
        current = next((e.get("currentVersion") for e in errors if "currentVersion" in e), None)
        return ConcurrentModificationError(
            message, current_version=int(current) if isinstance(current, int | str) else None, **kwargs
        )
    if status == 429:
        return RateLimitedError(message, retry_after=retry_after(response), **kwargs)
    if status == 403 and "insufficient_scope" in codes:
        kwargs["hint"] = "Give the API client the missing scope named above, or add it to 'scopes'"
    cls = ERRORS_BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else RequestError
    if cls is ServerError and not kwargs["hint"]:
        kwargs["hint"] = "commercetools or a proxy in front of it failed"
    return cls(message, **kwargs)


def retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


_TAGS = re.compile(r"<[^>]+>")


def describe_body(response: Response) -> str:
    content_type = one_line(response.headers.get("Content-Type", "no content type"))[:100]
    text = redact(_TAGS.sub(" ", response.content[:2000].decode("utf-8", "replace")))
    text = " ".join(text.split())[:200]
    return f"{content_type}, {len(response.content)} bytes" + (f": {text!r}" if text else "")


# -- transport failures: each client maps its library's exceptions onto these ----------------------


def tls_failed(request: Request, reason: str) -> TransportError:
    return TransportError(
        f"TLS error with{origin(request.url) or ' the server'}: {reason}",
        sent=False,
        retryable=False,
        hint="Check the scheme (https:// or http://) and host of the connection's API URL (Host) and auth "
        "URL, or the CA bundle (REQUESTS_CA_BUNDLE or SSL_CERT_FILE)",
        **_common(request),
    )


def connect_timed_out(request: Request, reason: str) -> TransportError:
    return TransportError(f"connect timeout: {reason}", sent=False, **_common(request))


def cannot_connect(request: Request, reason: str) -> TransportError:
    return TransportError(
        f"cannot connect: {reason}",
        sent=False,
        hint="Check the connection's host and auth URL, and the network",
        **_common(request),
    )


def no_response(request: Request, timeout: float) -> TransportError:
    return TransportError(
        f"no response from{origin(request.url) or ' the server'} within the {timeout:g} s timeout",
        sent=True,
        hint="Raise the connection's 'timeout' extra if commercetools is slow",
        **_common(request),
    )


def attempt_timed_out(request: Request, seconds: float, *, sent: bool) -> TransportError:
    return TransportError(
        f"no complete answer from{origin(request.url) or ' the server'} within {seconds:.3g} s "
        "(the bound of one attempt: connecting, headers and body)",
        sent=sent,
        hint="Raise the connection's 'timeout' extra if commercetools is slow, or check the network",
        **_common(request),
    )


def attempt_seconds(timeout: float, connect_timeout: float, limit: float) -> float:
    """How long one attempt may take: ``connect_timeout + timeout``, within the retries' time limit
    (``limit``, a ``time.monotonic`` instant), and never less than a tenth of a second."""
    return max(min(connect_timeout + timeout, limit - time.monotonic()), 0.1)


def connection_lost(request: Request, reason: str) -> TransportError:
    return TransportError(
        f"connection to{origin(request.url) or ' the server'} lost: {reason}", sent=True, **_common(request)
    )


def invalid_url(request: Request, reason: str) -> TransportError:
    return TransportError(f"invalid URL: {reason}", sent=False, retryable=False, **_common(request))


def request_failed(request: Request, reason: str) -> TransportError:
    return TransportError(f"request failed: {reason}", sent=True, **_common(request))


def _common(request: Request) -> dict[str, Any]:
    return {"method": request.method, "path": request.path, "correlation_id": request.correlation_id}


def origin(url: str) -> str:
    """``" scheme://host:port"`` of a URL, to append to a message (never credentials written into the URL)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    return f" {parts.scheme}://{parts.hostname}{port}" if parts.hostname else ""


def reason(error: BaseException) -> str:
    text = str(error)
    # urllib3 wraps the cause several times; keep the innermost readable part.
    match = re.search(r"\(Caused by \w+\((.*)\)\)$", text)
    return one_line(match.group(1) if match else text)[:300]


def log_attempt(
    logger: logging.Logger | Any, request: Request, attempt: int, status: int | str, started: float
) -> None:
    """The one log line of an attempt (when the connection's ``log_requests`` is on)."""
    query = urlencode(request.params)
    logger.info(
        "commercetools %s %s%s -> %s in %.0f ms (attempt %d, correlation id %s)",
        request.method,
        request.path,
        f"?{query[:500]}" if query else "",
        status,
        (time.monotonic() - started) * 1000,
        attempt,
        request.correlation_id,
    )
