"""The request path's safety checks and the redaction of quoted answers, shared by every request.

``protocol.build_request`` calls the checks for every request of both clients; config calls them
for the connection's fields. Nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from airflow_provider_commercetools.commercetools.errors import ConfigurationError

#: commercetools project keys: letters, digits, ``_`` and ``-``, at most 36 characters (Merchant Center >
#: Manage projects; the documented minimum of 2 is not enforced: a 1-character key cannot escape a path).
PROJECT_KEY = re.compile(r"[A-Za-z0-9_-]{1,36}")
#: What may stay unencoded in a path (RFC 3986 pchar and "/"); anything else (spaces, control
#: characters, non-ASCII) is percent-encoded, as the HTTP library would, so logs and errors show it encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_VISIBLE_ID = re.compile(r"[\x21-\x7e]{1,256}")
VISIBLE = re.compile(r"[\x21-\x7e]+")


def check_method(method: str) -> str:
    """The method in capitals; letters only (it goes into the request line and the logs)."""
    if not isinstance(method, str) or not method.isascii() or not method.isalpha():
        raise ConfigurationError("method", f"{short(str(method))} is not an HTTP method.", "E.g. GET, POST or DELETE.")
    return method.upper()


def check_correlation_id(correlation_id: str) -> str:
    """A caller's correlation id: 1 to 256 visible ASCII characters (it goes into a header and the logs)."""
    if not isinstance(correlation_id, str) or not _VISIBLE_ID.fullmatch(correlation_id):
        raise ConfigurationError(
            "correlation_id",
            f"{short(str(correlation_id))} is not 1 to 256 visible ASCII characters.",
            "E.g. 'my-run-1'.",
        )
    return correlation_id


def check_project_key(project_key: str) -> str:
    """The project key, or a ConfigurationError when it does not follow commercetools' key rules."""
    if not isinstance(project_key, str) or not PROJECT_KEY.fullmatch(project_key):
        raise ConfigurationError(
            "project_key",
            f"{project_key!r} is not a commercetools project key (letters, digits, '_' and '-', at most 36).",
            "Copy the project key from the API client page of the Merchant Center.",
        )
    return project_key


def check_path(path: str) -> str:
    """The path below the project key, encoded; refused when it could leave its entity or endpoint.

    Every request of both clients goes through here: no segment may be empty, ``.`` or ``..``
    (also percent-encoded, as some servers and proxies decode them before collapsing), and the
    path may not carry a query or fragment (``?``, ``#``: give the query in ``query``).
    """
    if not isinstance(path, str):
        raise ConfigurationError("path", f"{path!r} is not a string.", "Give the path below the project key.")
    if "?" in path or "#" in path:
        raise ConfigurationError(
            "endpoint",
            f"{short(path)} contains '?' or '#'.",
            "Give query parameters in 'query', not in the endpoint or path values.",
        )
    text = path.strip("/")
    if not text:
        return ""
    for segment in text.split("/"):
        if unquote(segment).strip() in ("", ".", ".."):
            raise ConfigurationError(
                "path",
                f"{short(path)} has an empty, '.' or '..' segment, which would leave the entity or endpoint.",
                "Give non-empty path values other than '.' and '..', and an endpoint without such segments.",
            )
    return quote(text, safe=_PATH_SAFE)


def check_url(parameter: str, url: str, *, allow_insecure_http: bool = False) -> str:
    """A base URL (API, auth, Import API) without trailing "/", or a ConfigurationError.

    Refused: other schemes, a query, fragment or credentials in the URL, characters that are not
    visible ASCII, and ``http://`` to a host other than this machine (the secret and tokens would
    travel in clear text) unless ``allow_insecure_http``.
    """
    example = (
        "Copy it from the API client page of the Merchant Center, e.g. https://api.europe-west1.gcp.commercetools.com."
    )
    text = url.strip().rstrip("/") if isinstance(url, str) else ""
    if not text or not VISIBLE.fullmatch(text):
        raise ConfigurationError(parameter, f"{short(str(url))} is not an http(s) URL.", example)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigurationError(parameter, f"{short(text)} is not a valid URL.", example) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(parameter, f"{short(text)} is not an http(s) URL.", example)
    if parts.query or parts.fragment or "?" in text or "#" in text:
        raise ConfigurationError(parameter, f"{short(text)} has a query or fragment ('?', '#').", "Give the URL only.")
    if "@" in parts.netloc:
        raise ConfigurationError(
            parameter, "contains credentials ('user@host').", "Put the client id and secret in Login and Password."
        )
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigurationError(
            parameter,
            f"{short(text)} is http:// to another machine: the secret and tokens would travel in clear text.",
            "Use https://, or set the connection extra 'allow_insecure_http' to true (e.g. for a test server).",
        )
    return text


def is_loopback(host: str) -> bool:
    """localhost, or an address of this machine's loopback interface (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def short(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


#: "Basic <credentials>" / "Bearer <token>", as an echoing server or proxy may quote them back.
_SCHEME_VALUE = re.compile(r"(?i)\b(basic|bearer)(\s+|%20|\+)[A-Za-z0-9._~+/=%-]+")
#: "authorization": "...", access_token=..., client_secret ... in a quoted body.
_NAMED_SECRET = re.compile(
    r"(?i)((?:authorization|access_token|refresh_token|client_secret|password)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!basic\b|bearer\b)[^\"'\s,&}]+"
)
REDACTED = "[redacted]"
_SECRET_NAMES = re.compile(r"(?i)authorization|access_token|refresh_token|client_secret|password|token")


#: C0 and C1 control characters (newlines, ESC and CSI of terminal escapes) and the Unicode line separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with control characters (newlines, terminal escapes) escaped, so that it cannot forge log lines
    or drive a terminal that shows the log."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


def redact(text: str) -> str:
    """``text`` without Basic or Bearer credentials and named secrets (for any quoted answer)."""
    text = _SCHEME_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _NAMED_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_NAMES.fullmatch(str(k)) else redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value
