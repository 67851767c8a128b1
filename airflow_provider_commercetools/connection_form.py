"""What the Airflow connection form shows for a commercetools connection (shared by Airflow 2 and 3).

Airflow 3's form shows the ``placeholders`` of the standard fields host, login and password (it
drops the one of description) but no description line for them, so their placeholders say what
goes there. Extra fields get a description line, but a placeholder only on Airflow 2: on Airflow 3
the ``examples`` of a field (suggestions while typing) carry the URL and region patterns.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.commercetools.regions import REGIONS

CONN_TYPE = "commercetools"
HOOK_NAME = "Commercetools"

#: Where every value of the connection is found: the API client's page (and the one-time
#: download shown when the client is created).
WHERE = "Merchant Center > Settings > Developer settings > API clients"

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["schema", "port"],
    "relabeling": {"host": "API URL", "login": "Client ID", "password": "Client Secret"},
    "placeholders": {
        "host": "https://api.europe-west1.gcp.commercetools.com",
        "login": "client_id (Settings > Developer settings > API clients)",
        "password": "secret: shown once, when the API client is created",
        "project_key": "my-project",
        "auth_url": "https://auth.europe-west1.gcp.commercetools.com",
        "region": "europe-west1.gcp",
        "import_url": "https://import.europe-west1.gcp.commercetools.com",
        "scopes": "manage_project:<project key>",
        "timeout": "60",
        "max_response_mb": "256",
    },
}


def _field(label: str, description: str, kind: str = "string", **schema: Any) -> dict[str, Any]:
    return {"label": label, "description": description, "schema": {"type": [kind, "null"], **schema}}


EXTRA_FIELDS: dict[str, dict[str, Any]] = {
    "project_key": _field("Project key", f"Required. The project key shown with the API client ({WHERE})."),
    "auth_url": _field(
        "Auth URL",
        f"The client's Auth URL, https://auth.<region>.commercetools.com, e.g. "
        f"https://auth.europe-west1.gcp.commercetools.com ({WHERE}). Optional when Region is set.",
        format="url",
        examples=[f"https://auth.{region}.commercetools.com" for region in REGIONS],
    ),
    "region": _field(
        "Region",
        "Instead of API URL and Auth URL: the region in them, e.g. europe-west1.gcp, us-central1.gcp, "
        "eu-central-1.aws. API URL and Auth URL win when given.",
        examples=list(REGIONS),
    ),
    "import_url": _field(
        "Import API URL",
        "Only for Import API tasks: https://import.<region>.commercetools.com. Optional: derived from Region "
        "or from an API URL of the https://api.<region>.commercetools.com shape.",
        format="url",
        examples=[f"https://import.{region}.commercetools.com" for region in REGIONS],
    ),
    "scopes": _field(
        "Scopes",
        f"Space-separated scopes of the API client ({WHERE}), e.g. view_products:my-project. "
        "Empty: manage_project:<project key>.",
    ),
    "log_requests": _field(
        "Log requests",
        "Log one line per request: method, path, status, milliseconds, attempt, correlation id.",
        kind="boolean",
        default=False,
    ),
    "timeout": _field("Timeout", "Seconds to wait for each response (default 60).", kind="number"),
    "max_response_mb": _field(
        "Max response (MB)",
        "The largest answer read, decompressed (default 256): a larger one fails the request instead of "
        "filling the worker's or triggerer's memory.",
        kind="number",
    ),
}
