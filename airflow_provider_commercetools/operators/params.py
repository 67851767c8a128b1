"""Checks of rendered operator parameters: right type, or a clear error naming the parameter.

Templated parameters arrive as native objects (``render_template_as_native_obj=True``, XComArg)
or as strings holding JSON (plain Jinja); both are accepted.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.publishing import check_mapping


def parse_json_string(parameter: str, value: Any) -> Any:
    """If ``value`` is a string holding a JSON object or list, return it parsed; else unchanged."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError as error:
            raise ConfigurationError(
                parameter,
                f"rendered to a string that is not valid JSON: {error}.",
                "Check the template: Jinja renders a dict or list as Python text, not JSON; end it with "
                "'| tojson', or set render_template_as_native_obj=True on the DAG.",
            ) from None
    return value


def as_mapping(parameter: str, value: Any, *, allow_none: bool = True) -> dict[str, Any]:
    """A dict parameter (``path``, ``query``...); None becomes ``{}``."""
    value = parse_json_string(parameter, value)
    if (value is None or value == "") and allow_none:
        return {}
    return check_mapping(parameter, value)


def check_target(commercetools_conn_id: Any, entity: Any, endpoint: Any) -> None:
    """The arguments every operator shares: a connection id, and an entity or an endpoint."""
    if not isinstance(commercetools_conn_id, str) or not commercetools_conn_id.strip():
        raise ConfigurationError(
            "commercetools_conn_id",
            f"{commercetools_conn_id!r} is not a connection id.",
            "E.g. 'commercetools_default'.",
        )
    if entity is None and endpoint is None:
        raise ConfigurationError(
            "entity",
            "is missing.",
            "Give an entity name (e.g. 'products') or an endpoint (a path below the project).",
        )
    if entity is not None and endpoint is not None:
        raise ConfigurationError("endpoint", "is given together with 'entity'.", "Give one of the two.")


def check_json_serialisable(parameter: str, value: Any) -> None:
    """Fail before sending when ``value`` cannot be sent as JSON."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(
            parameter, f"is not JSON-serialisable: {error}.", "Convert dates, decimals and sets to strings/lists."
        ) from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
