"""CommercetoolsHook: an Airflow connection turned into a commercetools client."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlparse

from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_commercetools.commercetools.entities import resolve_path
from airflow_provider_commercetools.commercetools.errors import CommercetoolsError, ConfigurationError
from airflow_provider_commercetools.commercetools.transport.client import USER_AGENT, CommercetoolsClient, Query
from airflow_provider_commercetools.commercetools.transport.config import REGIONS, ClientConfig
from airflow_provider_commercetools.commercetools.transport.retry import RetryPolicy
from airflow_provider_commercetools.connection_form import (
    CONN_TYPE,
    EXTRA_FIELDS,
    HOOK_NAME,
    UI_FIELD_BEHAVIOUR,
)

if TYPE_CHECKING:
    from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient


class CommercetoolsHook(BaseHook):
    """Talks to one commercetools project, with the credentials of an Airflow connection.

    The connection: Host = API URL, Login = client id, Password = client secret, and the extras
    ``project_key`` (required), ``auth_url`` or ``region``, ``import_url``, ``scopes``,
    ``log_requests``, ``timeout``, ``max_response_mb``.
    Nothing is read or sent until first use.

    :param commercetools_conn_id: the Airflow connection id.
    :param retry_policy: overrides the retries (default: the connection's ``retry_max_attempts``,
        ``retry_max_seconds`` and ``retry_initial_backoff`` extras, else 6 attempts within 300 s,
        the first retry after about 0.5 s, each wait about twice the one before, at most 30 s;
        a 429's Retry-After is honoured instead).
    :param log_requests: overrides the connection's ``log_requests``.
    """

    conn_name_attr = "commercetools_conn_id"
    default_conn_name = "commercetools_default"
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(
        self,
        commercetools_conn_id: str = default_conn_name,
        *,
        retry_policy: RetryPolicy | None = None,
        log_requests: bool | None = None,
    ) -> None:
        super().__init__()
        self.commercetools_conn_id = commercetools_conn_id
        self.retry_policy = retry_policy
        self.log_requests = log_requests

    # -- the connection ------------------------------------------------------------------------

    @cached_property
    def config(self) -> ClientConfig:
        """The validated settings of the connection (errors name the missing or invalid field)."""
        conn = self.get_connection(self.commercetools_conn_id)
        extra = conn.extra_dejson or {}

        def field(name: str) -> Any:
            value = extra.get(name, extra.get(f"extra__{CONN_TYPE}__{name}"))
            return None if value == "" else value

        retry = self.retry_policy
        retry_fields = {
            "retry_max_attempts": (int, RetryPolicy.max_attempts, "a whole number of attempts, at least 1"),
            "retry_max_seconds": (float, RetryPolicy.max_seconds, "a positive number of seconds"),
            "retry_initial_backoff": (float, RetryPolicy.initial_backoff, "a number of seconds, 0 or more"),
        }
        if retry is None and any(field(name) is not None for name in retry_fields):
            values: dict[str, Any] = {}
            for name, (kind, default, expected) in retry_fields.items():
                value = field(name)
                try:
                    values[name] = default if value is None else kind(value)
                    RetryPolicy(**{name.removeprefix("retry_"): values[name]})
                except (TypeError, ValueError):
                    raise ConfigurationError(
                        name, f"{value!r} is not {expected}.", "Fix the connection extra."
                    ) from None
            retry = RetryPolicy(**{name.removeprefix("retry_"): value for name, value in values.items()})
        if field("region") is not None and not isinstance(field("region"), str):
            raise ConfigurationError("region", f"{field('region')!r} is not a string.", f"One of {REGIONS}.")
        return ClientConfig.create(
            project_key=field("project_key"),
            client_id=conn.login,
            client_secret=conn.password,
            api_url=_api_url(conn.host, conn.schema, conn.port),
            auth_url=field("auth_url"),
            import_url=field("import_url"),
            region=field("region"),
            scopes=field("scopes"),
            timeout=field("timeout"),
            log_requests=self.log_requests if self.log_requests is not None else field("log_requests"),
            retry=retry,
            allow_insecure_http=field("allow_insecure_http"),
            max_response_mb=field("max_response_mb"),
        )

    @cached_property
    def client(self) -> CommercetoolsClient:
        """The commercetools client, created at first use; the secret and tokens are masked in logs."""
        return CommercetoolsClient(self.config, on_secret=mask_secret, user_agent=_user_agent())

    @cached_property
    def import_client(self) -> CommercetoolsClient:
        """A client on the Import API host (``config.import_url``) sharing :attr:`client`'s token."""
        return CommercetoolsClient(
            self.config,
            base_url=self._import_url(),
            tokens=self.client.auth,
            on_secret=mask_secret,
            user_agent=_user_agent(),
        )

    def async_client(self, base: Literal["api", "import"] = "api") -> AsyncCommercetoolsClient:
        """A new async client (for a trigger: use it as ``async with``) on the API or Import API host.

        Triggers run in the triggerer process, so each client grants its own token there, once per
        trigger run (concurrent requests of one client share that grant).
        """
        from airflow_provider_commercetools.commercetools.transport.async_client import AsyncCommercetoolsClient

        if base not in ("api", "import"):
            raise ConfigurationError("base", f"{base!r} is not 'api' or 'import'.", "Use base='api' or base='import'.")
        base_url = self._import_url() if base == "import" else self.config.api_url
        return AsyncCommercetoolsClient(self.config, base_url=base_url, on_secret=mask_secret, user_agent=_user_agent())

    def _import_url(self) -> str:
        if not self.config.import_url:
            raise ConfigurationError(
                "import_url",
                "is unknown for this connection.",
                "Set the connection extra 'import_url' (https://import.<region>.commercetools.com) or 'region'.",
            )
        return self.config.import_url

    @property
    def project_key(self) -> str:
        return self.config.project_key

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        entity: str | None = None,
        *,
        endpoint: str | None = None,
        path: Mapping[str, Any] | None = None,
        query: Query | None = None,
        payload: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send one request to an entity (with path parameters) or a raw endpoint; return the JSON.

        :param method: GET, HEAD, POST or DELETE.
        :param entity: a resource name as in paths, e.g. ``products`` (see ``ENTITIES``).
        :param endpoint: any path below the project key instead of ``entity``; ``{name}``
            placeholders are filled from ``path``.
        :param path: path parameters: ``id``, ``key``, ``order_number``, ``container``, ``store_key``.
        :param query: query parameters; lists repeat the parameter.
        :param payload: the JSON body.
        """
        target = resolve_path(entity, path, endpoint=endpoint)
        return self.client.request(method, target.path, query=query, payload=payload, idempotent=idempotent)

    def get(self, entity: str, path: Mapping[str, Any] | None = None, query: Query | None = None) -> Any:
        """Read one entity (with ``id``/``key`` in ``path``) or one page of a collection."""
        return self.request("GET", entity, path=path, query=query)

    def create(self, entity: str, draft: Mapping[str, Any], path: Mapping[str, Any] | None = None) -> Any:
        """Create an entity from its draft (not re-sent after a lost response: see OutcomeUnknownError)."""
        return self.request("POST", entity, path=path, payload=dict(draft))

    def update(self, entity: str, path: Mapping[str, Any], version: int, actions: list[dict[str, Any]]) -> Any:
        """Apply update actions to the entity at ``version`` (409 ConcurrentModificationError if stale)."""
        # The version guards against applying it twice, so a lost response may be re-sent.
        return self.request(
            "POST", entity, path=path, payload={"version": version, "actions": actions}, idempotent=True
        )

    def delete(
        self, entity: str, path: Mapping[str, Any], version: int | None = None, query: Query | None = None
    ) -> Any:
        """Delete an entity at ``version`` (custom objects need none)."""
        params: dict[str, Any] = dict(query or {})
        if version is not None:
            params["version"] = version
        return self.request("DELETE", entity, path=path, query=params)

    def test_connection(self) -> tuple[bool, str]:
        """Grant a token and read the project: what the UI's "Test" button and the CLI call."""
        try:
            project = self.client.request("GET", "")
        except (CommercetoolsError, ValueError) as error:
            return False, str(error)
        except Exception as error:  # the UI must get a message, whatever failed
            return False, f"{type(error).__name__}: {error}"
        name = project.get("name", "") if isinstance(project, dict) else ""
        key = project.get("key", self.project_key) if isinstance(project, dict) else self.project_key
        return True, f"Connected to commercetools project {name or key!r} ({key}), scopes: {self.client.granted_scope}"

    # -- the connection form on Airflow 2.x (Airflow 3 reads get_provider_info) ---------------

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, StringField

        widgets: dict[str, Any] = {}
        for name, spec in EXTRA_FIELDS.items():
            label = lazy_gettext(spec["label"])
            if spec["schema"]["type"][0] == "boolean":
                widgets[name] = BooleanField(label, description=spec["description"], default=False)
            else:
                widgets[name] = StringField(label, widget=BS3TextFieldWidget(), description=spec["description"])
        return widgets

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return dict(UI_FIELD_BEHAVIOUR)


def _api_url(host: str | None, schema: str | None, port: int | None) -> str | None:
    """Accept a full URL in Host, or a bare host name (from a URI connection) with optional port."""
    if not host:
        return None
    host = host.strip().rstrip("/")
    if "://" in host:
        return host
    scheme = schema if schema in ("http", "https") else "https"
    if port and not urlparse(f"//{host}").port:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def _user_agent() -> str:
    try:
        from airflow import __version__ as airflow_version
    except ImportError:  # pragma: no cover
        return USER_AGENT
    return f"{USER_AGENT} apache-airflow/{airflow_version}"
