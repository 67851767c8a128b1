"""Where and how to reach a commercetools project: URLs, region shortcut, credentials, scopes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.regions import REGIONS
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.commercetools.transport.safety import check_project_key, check_url

DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0
#: The largest answer read, in MB (decompressed). commercetools answers a page of at most 500
#: entities, documents of about 100 KB on average and at most 16 MB each (Composable Commerce limits:
#: https://docs.commercetools.com/api/limits): a full page of average documents is about 50 MB; 256 MB
#: leaves five times that, or 16 documents of the largest size, and bounds what a wrong or hostile
#: server can make a task (or the triggerer) hold.
DEFAULT_MAX_RESPONSE_MB = 256.0


def region_urls(region: str) -> tuple[str, str]:
    """Return ``(api_url, auth_url)`` of a region, or fail naming the valid regions."""
    region = region.strip()
    if region not in REGIONS:
        raise ConfigurationError(
            "region",
            f"unknown region {region!r}.",
            f"Use one of: {', '.join(REGIONS)}; or give the API URL and auth URL instead.",
        )
    return f"https://api.{region}.commercetools.com", f"https://auth.{region}.commercetools.com"


def import_url_of(region: str) -> str:
    """The Import API URL of a region: ``https://import.{region}.commercetools.com``."""
    return f"https://import.{region.strip()}.commercetools.com"


_CLOUD_API = re.compile(r"^https://api\.([a-z0-9-]+\.[a-z0-9-]+)\.commercetools\.com$")


def derive_import_url(api_url: str) -> str | None:
    """The Import API URL beside an API URL of the ``https://api.<region>.commercetools.com`` shape."""
    match = _CLOUD_API.match(api_url.strip().rstrip("/"))
    return import_url_of(match.group(1)) if match else None


@dataclass(frozen=True)
class ClientConfig:
    """Everything the commercetools client needs; build it with :meth:`create` to validate."""

    api_url: str
    auth_url: str
    project_key: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    log_requests: bool = False
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: allow http:// URLs to other machines (clear-text secrets); loopback hosts never need it
    allow_insecure_http: bool = False
    #: the Import API host (``https://import.<region>.commercetools.com``), None when unknown
    import_url: str | None = None
    #: the largest answer body read (decompressed), in MB; a larger one fails with ResponseTooLargeError
    max_response_mb: float = DEFAULT_MAX_RESPONSE_MB

    @property
    def max_response_bytes(self) -> int:
        return int(self.max_response_mb * 1024 * 1024)

    @classmethod
    def create(
        cls,
        *,
        project_key: str | None,
        client_id: str | None,
        client_secret: str | None,
        api_url: str | None = None,
        auth_url: str | None = None,
        import_url: str | None = None,
        region: str | None = None,
        scopes: str | list[str] | tuple[str, ...] | None = None,
        timeout: float | str | None = None,
        log_requests: bool | str | None = False,
        retry: RetryPolicy | None = None,
        allow_insecure_http: bool | str | None = False,
        max_response_mb: float | str | None = None,
    ) -> ClientConfig:
        """Validate the fields and fill the defaults; full URLs win over ``region``.

        ``import_url``: as given, else derived from an API URL of the
        ``https://api.<region>.commercetools.com`` shape, else from ``region`` when the API URL came
        from it, else None.
        """
        if not project_key or not str(project_key).strip():
            raise ConfigurationError(
                "project_key",
                "is missing.",
                "Set the connection extra 'project_key' to your commercetools project key.",
            )
        if not client_id:
            raise ConfigurationError(
                "client_id", "is missing.", "Put the API client's client_id in the connection's Login."
            )
        if not client_secret:
            raise ConfigurationError(
                "client_secret",
                "is missing.",
                "Put the API client's secret in the connection's Password.",
            )
        region_api = region_auth = None
        if region:
            region_api, region_auth = region_urls(region)
        api = api_url or region_api
        auth = auth_url or region_auth
        if not api:
            raise ConfigurationError(
                "api_url", "is missing.", "Set the connection's Host to the API URL, or set 'region'."
            )
        if not auth:
            raise ConfigurationError("auth_url", "is missing.", "Set the connection extra 'auth_url', or set 'region'.")
        insecure = _parse_bool("allow_insecure_http", allow_insecure_http)
        api = check_url("api_url", api, allow_insecure_http=insecure)
        if import_url:
            imports: str | None = check_url("import_url", import_url, allow_insecure_http=insecure)
        else:
            imports = derive_import_url(api) or (import_url_of(region) if region and not api_url else None)
        key = check_project_key(str(project_key).strip())
        if isinstance(scopes, str):
            scope_list = tuple(scopes.replace(",", " ").split())
        elif scopes:
            scope_list = tuple(str(s).strip() for s in scopes if str(s).strip())
        else:
            scope_list = ()
        if not scope_list:
            scope_list = (f"manage_project:{key}",)
        return cls(
            api_url=api,
            auth_url=check_url("auth_url", auth, allow_insecure_http=insecure),
            import_url=imports,
            project_key=key,
            client_id=str(client_id).strip(),
            client_secret=str(client_secret),
            scopes=scope_list,
            timeout=_parse_timeout(timeout),
            log_requests=_parse_bool("log_requests", log_requests),
            retry=retry or RetryPolicy(),
            allow_insecure_http=insecure,
            max_response_mb=_parse_positive(
                "max_response_mb", max_response_mb, DEFAULT_MAX_RESPONSE_MB, "megabytes", example="E.g. 256."
            ),
        )


def _parse_timeout(value: float | str | None) -> float:
    return _parse_positive("timeout", value, DEFAULT_TIMEOUT, "seconds", example="E.g. 60.")


def _parse_positive(parameter: str, value: float | str | None, default: float, unit: str, example: str = "") -> float:
    """A positive finite number (or ``default`` when unset), naming ``parameter`` otherwise."""
    if value is None or value == "":
        return default
    try:
        number = -1.0 if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not math.isfinite(number) or number <= 0:
        raise ConfigurationError(parameter, f"{value!r} is not a positive number of {unit}.", example)
    return number


def _parse_bool(parameter: str, value: bool | str | None) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ConfigurationError(parameter, f"{value!r} is not a boolean.", "Use true or false.")
