"""What the Airflow connection form shows for a commercetools connection (shared by Airflow 2 and 3)."""

from __future__ import annotations

from typing import Any

CONN_TYPE = "commercetools"
HOOK_NAME = "Commercetools"

_WHERE = "Merchant Center > Settings > Developer settings > API clients"

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["schema", "port"],
    "relabeling": {"host": "API URL", "login": "Client ID", "password": "Client Secret"},
    "placeholders": {
        "host": "https://api.europe-west1.gcp.commercetools.com",
        "login": "client_id of the API client",
        "password": "secret of the API client",
        "project_key": "my-project",
        "auth_url": "https://auth.europe-west1.gcp.commercetools.com",
        "region": "europe-west1.gcp",
        "scopes": "manage_project:<project key>",
        "timeout": "60",
    },
}


def _field(label: str, description: str, kind: str = "string", **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": [kind, "null"], **schema}}


EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "project_key": _field("Project key", f"Required. The project key shown with the API client ({_WHERE})."),
    "auth_url": _field(
        "Auth URL",
        f"The client's Auth URL, e.g. https://auth.europe-west1.gcp.commercetools.com ({_WHERE}). "
        "Optional when Region is set.",
        format="url",
    ),
    "region": _field(
        "Region",
        "Shortcut for both URLs, e.g. europe-west1.gcp, us-central1.gcp, eu-central-1.aws. "
        "API URL and Auth URL win when given.",
    ),
    "scopes": _field(
        "Scopes",
        f"Space-separated scopes of the API client ({_WHERE}), e.g. view_products:my-project. "
        "Default: manage_project:<project key>.",
    ),
    "log_requests": _field(
        "Log requests",
        "Log one line per request: method, path, status, milliseconds, attempt, correlation id.",
        kind="boolean",
        default=False,
    ),
    "timeout": _field("Timeout", "Seconds to wait for each response (default 60).", kind="number"),
}
