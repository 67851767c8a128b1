"""The commercetools HTTP client: pooled session, token grant, retries, typed errors, request log.

It knows nothing of Airflow; :class:`~airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook`
builds it from an Airflow connection.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import platform
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from airflow_provider_commercetools import __version__
from airflow_provider_commercetools.commercetools.auth import TokenProvider
from airflow_provider_commercetools.commercetools.config import CONNECT_TIMEOUT, ClientConfig
from airflow_provider_commercetools.commercetools.errors import (
    ERRORS_BY_STATUS,
    HINTS_BY_STATUS,
    AuthenticationError,
    ConcurrentModificationError,
    OutcomeUnknownError,
    RateLimitedError,
    RequestError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

# One stdlib logger for the provider: Airflow routes it into the task log (and masks secrets there).
log = logging.getLogger("airflow_provider_commercetools")

USER_AGENT = f"airflow-provider-commercetools/{__version__} Python/{platform.python_version()}"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
#: Statuses after which a write may have been applied although it failed.
UNCERTAIN_STATUSES = frozenset({500, 502, 503, 504})
POOL_SIZE = 64

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


class CommercetoolsClient:
    """Sends requests to one commercetools project.

    :param config: URLs, credentials, scopes, timeout, retry policy.
    :param on_secret: called with the client secret and with every access token, so that the
        caller can hide them from logs (Airflow's secrets masker).
    :param user_agent: sent as User-Agent; the hook appends the Airflow version.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: requests.Session | None = None,
        on_secret: Callable[[str], None] | None = None,
        user_agent: str = USER_AGENT,
        logger: logging.Logger | Any = None,
    ) -> None:
        self.config = config
        self.log = logger or log
        if on_secret:
            on_secret(config.client_secret)
        self._proxies: dict[str, dict[str, str]] = {}
        if session is None:
            session = requests.Session()
            # requests re-reads proxies, the CA bundle and ~/.netrc from the environment on every
            # request (a fifth of the client's CPU per create, and a ~/.netrc entry would replace the
            # bearer token): read the environment once, here, instead.
            session.trust_env = False
            for base in {config.api_url, config.auth_url}:
                self._proxies[base] = requests.utils.get_environ_proxies(base)
            ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if ca_bundle:
                session.verify = ca_bundle
        self.session = session
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = user_agent
        self.auth = TokenProvider(self._grant_token, on_token=on_secret)
        self._project_prefix = f"/{config.project_key}"

    # -- public --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        payload: Any = None,
        idempotent: bool | None = None,
        correlation_id: str | None = None,
        decode: Callable[[str], Any] | None = None,
    ) -> Any:
        """Send ``method`` to ``{api_url}/{project_key}/{path}`` and return the parsed JSON body.

        HEAD returns True. Failures raise a :class:`RequestError` subclass. ``idempotent`` says
        whether a request whose response was lost may be sent again (default: by method;
        a POST only when the caller says so, e.g. an update guarded by its version). ``decode``
        replaces ``json.loads`` for the body's text (pagination keeps each entity's text with it).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        path = path.strip("/")
        url_path = f"{self._project_prefix}/{path}" if path else self._project_prefix
        correlation_id = correlation_id or f"airflow-{uuid.uuid4()}"
        params = encode_query(query)
        body = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        lost_response = False

        def attempt(number: int, token: str) -> Any:
            nonlocal lost_response
            try:
                return self._exchange(
                    method,
                    self.config.api_url + url_path,
                    url_path,
                    params=params,
                    body=body,
                    headers={"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation_id},
                    attempt=number,
                    correlation_id=correlation_id,
                    proxies=self._proxies.get(self.config.api_url),
                    decode=decode,
                )
            except TransportError as error:
                lost_response = lost_response or error.sent
                raise
            except ServerError:
                lost_response = True
                raise

        describe = f"{method} {url_path}"
        for auth_try in (1, 2):
            token = self.auth.access_token()
            try:
                return self.config.retry.call(
                    lambda n, token=token: attempt(n, token),  # type: ignore[misc]
                    idempotent=idempotent,
                    describe=describe,
                    logger=self.log,
                )
            except AuthenticationError as error:
                self.auth.invalidate(token)
                if auth_try == 2:
                    raise error.with_hint(
                        "The API rejected a freshly granted token too: the API client may have been "
                        "deleted, or the project key or API URL may be wrong"
                    ) from None
                self.log.info("commercetools %s: access token rejected (401); granting a new one", describe)
            except ConcurrentModificationError as error:
                if lost_response:
                    raise self._outcome_unknown(error, "a retried update met a newer version") from error
                raise
            except (TransportError, ServerError) as error:
                if not idempotent and (
                    (isinstance(error, TransportError) and error.sent)
                    or (isinstance(error, ServerError) and error.status_code in UNCERTAIN_STATUSES)
                ):
                    raise self._outcome_unknown(error, str(error.message)) from error
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def granted_scope(self) -> str:
        return self.auth.scope

    def close(self) -> None:
        self.session.close()

    # -- internals -----------------------------------------------------------------------------

    def _outcome_unknown(self, error: RequestError, what: str) -> OutcomeUnknownError:
        return OutcomeUnknownError(
            f"the write may or may not have been applied ({what})",
            **error.context(),
            hint="It was not re-sent, to avoid applying it twice: check the entity before sending it again",
        )

    def _grant_token(self) -> tuple[str, float, str]:
        url = self.config.auth_url + "/oauth/token"
        form = {"grant_type": "client_credentials", "scope": " ".join(self.config.scopes)}
        body = urlencode(form).encode()
        correlation_id = f"airflow-{uuid.uuid4()}"

        def attempt(number: int) -> Any:
            return self._exchange(
                "POST",
                url,
                "/oauth/token",
                params=[],
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Correlation-ID": correlation_id,
                },
                attempt=number,
                correlation_id=correlation_id,
                basic_auth=(self.config.client_id, self.config.client_secret),
                proxies=self._proxies.get(self.config.auth_url),
            )

        try:
            data = self.config.retry.call(attempt, idempotent=True, describe="POST /oauth/token", logger=self.log)
        except AuthenticationError as error:
            raise error.with_hint(
                "The auth service rejected the client id or secret: check the connection's Login and "
                "Password against the API client (Merchant Center > Settings > Developer settings > API clients)"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise UnexpectedResponseError(
                "the token response has no access_token",
                method="POST",
                path=url,
                status_code=200,
                hint="Check the connection's auth URL: it should be https://auth.<region>.commercetools.com",
            )
        try:
            expires_in = float(data.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600.0
        return data["access_token"], expires_in, str(data.get("scope", ""))

    def _exchange(
        self,
        method: str,
        url: str,
        log_path: str,
        *,
        params: list[tuple[str, str]],
        body: bytes | None,
        headers: dict[str, str],
        attempt: int,
        correlation_id: str,
        basic_auth: tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
        decode: Callable[[str], Any] | None = None,
    ) -> Any:
        """One attempt: send, then turn the answer into parsed JSON or a typed error."""
        if body is not None and "Content-Type" not in headers:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        status: int | str = "-"
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=body,
                headers=headers,
                auth=basic_auth,
                timeout=(CONNECT_TIMEOUT, self.config.timeout),
                allow_redirects=False,
                proxies=proxies,
            )
            status = response.status_code
        except requests.RequestException as error:
            status = type(error).__name__
            raise _transport_error(error, method, log_path, correlation_id, self.config.timeout, url) from None
        finally:
            if self.config.log_requests:
                query = urlencode(params)
                self.log.info(
                    "commercetools %s %s%s -> %s in %.0f ms (attempt %d, correlation id %s)",
                    method,
                    log_path,
                    f"?{query[:500]}" if query else "",
                    status,
                    (time.monotonic() - started) * 1000,
                    attempt,
                    correlation_id,
                )
        correlation_id = response.headers.get("X-Correlation-ID", correlation_id)
        if response.status_code >= 400:
            raise error_from_response(response, method, log_path, correlation_id)
        if method == "HEAD":
            return True
        if not response.content:
            return None
        try:
            with _cyclic_gc_paused():
                if decode is not None:  # JSON is UTF-8 (RFC 8259)
                    return decode(response.content.decode("utf-8"))
                return response.json()
        except ValueError:
            raise UnexpectedResponseError(
                f"the response is not JSON ({_describe_body(response)})",
                method=method,
                path=log_path,
                status_code=response.status_code,
                correlation_id=correlation_id,
                hint="Check that the connection's URLs point to the commercetools API, not a proxy or web page",
            ) from None


_gc_lock = threading.Lock()
_gc_depth = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a response is decoded.

    A page of 500 entities is thousands of new dicts and lists: collections triggered while it is
    decoded promote it to the old generation and cause full collections of the whole (Airflow-sized)
    heap, about half of an export's time. Decoded JSON holds no reference cycles, so nothing is lost
    by collecting afterwards. Counted, so that concurrent requests restore the collector once, and
    only if it was enabled.
    """
    global _gc_depth, _gc_was_enabled
    with _gc_lock:
        if _gc_depth == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_was_enabled:
                gc.enable()


def error_from_response(
    response: requests.Response, method: str, path: str, correlation_id: str | None
) -> RequestError:
    """Build the typed error for an HTTP error response (JSON from commercetools, or anything else)."""
    status = response.status_code
    try:
        body = response.json()
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
        message = f"{response.reason or 'error'} ({_describe_body(response)})"
    codes = [str(e["code"]) for e in errors if e.get("code")]
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
        return RateLimitedError(message, retry_after=_retry_after(response), **kwargs)
    if status == 403 and "insufficient_scope" in codes:
        kwargs["hint"] = "Give the API client the missing scope named above, or add it to 'scopes'"
    cls = ERRORS_BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else RequestError
    if cls is ServerError and not kwargs["hint"]:
        kwargs["hint"] = "commercetools or a proxy in front of it failed"
    return cls(message, **kwargs)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


_TAGS = re.compile(r"<[^>]+>")


def _describe_body(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "no content type")
    text = _TAGS.sub(" ", response.text[:2000])
    text = " ".join(text.split())[:200]
    return f"{content_type}, {len(response.content)} bytes" + (f": {text!r}" if text else "")


def _transport_error(
    error: requests.RequestException, method: str, path: str, correlation_id: str, timeout: float, url: str = ""
) -> TransportError:
    common: dict[str, Any] = {"method": method, "path": path, "correlation_id": correlation_id}
    # The path alone does not say which server: name it where urllib3's reason does not.
    server = _origin(url)
    if isinstance(error, requests.exceptions.SSLError):
        return TransportError(
            f"TLS error with{server or ' the server'}: {_reason(error)}",
            sent=False,
            retryable=False,
            hint="Check the scheme (https:// or http://) and host of the connection's API URL (Host) and auth "
            "URL, or the CA bundle (REQUESTS_CA_BUNDLE)",
            **common,
        )
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return TransportError(f"connect timeout: {_reason(error)}", sent=False, **common)
    if isinstance(error, requests.exceptions.ReadTimeout):
        return TransportError(
            f"no response from{server or ' the server'} within the {timeout:g} s timeout",
            sent=True,
            hint="Raise the connection's 'timeout' extra if commercetools is slow",
            **common,
        )
    if isinstance(error, requests.exceptions.ConnectionError):
        reason = error.args[0] if error.args else None
        inner = getattr(reason, "reason", reason)
        if isinstance(inner, NewConnectionError | NameResolutionError):
            return TransportError(
                f"cannot connect: {_reason(error)}",
                sent=False,
                hint="Check the connection's host and auth URL, and the network",
                **common,
            )
        return TransportError(f"connection to{server or ' the server'} lost: {_reason(error)}", sent=True, **common)
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return TransportError(f"invalid URL: {error}", sent=False, retryable=False, **common)
    return TransportError(f"request failed: {_reason(error)}", sent=True, **common)


def _origin(url: str) -> str:
    """``" scheme://host:port"`` of a URL, to append to a message (never credentials written into the URL)."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    return f" {parts.scheme}://{parts.hostname}{port}" if parts.hostname else ""


def _reason(error: BaseException) -> str:
    text = str(error)
    # urllib3 wraps the cause several times; keep the innermost readable part.
    match = re.search(r"\(Caused by \w+\((.*)\)\)$", text)
    return (match.group(1) if match else text)[:300]
