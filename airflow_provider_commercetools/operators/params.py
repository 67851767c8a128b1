"""Checks of rendered operator parameters: right type, or a clear error naming the parameter.

Templated parameters arrive as native objects (``render_template_as_native_obj=True``, XComArg)
or as strings holding JSON (plain Jinja); both are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError


def parse_json_string(parameter: str, value: Any) -> Any:
    """If ``value`` is a string holding a JSON object or list, return it parsed; else unchanged."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError as error:
            raise ConfigurationError(
                parameter, f"rendered to a string that is not valid JSON: {error}.", "Check the template."
            ) from None
    return value


def as_mapping(parameter: str, value: Any, *, allow_none: bool = True) -> dict[str, Any]:
    """A dict parameter (``path``, ``query``...); None becomes ``{}``."""
    value = parse_json_string(parameter, value)
    if (value is None or value == "") and allow_none:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            parameter,
            f"must be a dict, got {type(value).__name__} {_short(value)}.",
            "Give a dict (or a template rendering to a JSON object).",
        )
    return dict(value)


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
