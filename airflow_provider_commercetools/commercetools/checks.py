"""Checks of parameters: the right type and value, or a ConfigurationError naming the parameter and the fix.

Every operator, the publisher and the paging code call these, so each rule is written once. Rendered
template values arrive as native objects (``render_template_as_native_obj=True``, XComArg) or as
strings holding JSON (plain Jinja); :func:`parse_json_string` and :func:`as_mapping` accept both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError

_SCALARS = (str, int, float, bool)


def short(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_choice(parameter: str, value: Any, choices: tuple[str, ...]) -> str:
    """A parameter that must be one of ``choices`` (case-insensitive for strings)."""
    if isinstance(value, str):
        clean = value.strip()
        for choice in choices:
            if clean.lower() == choice.lower():
                return choice
    raise ConfigurationError(parameter, f"{short(value)} is not one of {', '.join(map(repr, choices))}.")


def check_count(parameter: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """A whole number ``>= minimum`` (and ``<= maximum`` when given)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ConfigurationError(parameter, f"{short(value)} is not an integer {bounds}.")
    return value


def check_mapping(parameter: str, value: Any) -> dict[str, Any]:
    """A dict parameter or item part; None is ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            parameter,
            f"must be a dict, got {type(value).__name__} {short(value)}.",
            "Give a dict (or a template rendering to a JSON object).",
        )
    return dict(value)


def check_query(parameter: str, value: Any) -> dict[str, Any]:
    """Query parameters: names are strings, values are scalars or lists of them (a list repeats it)."""
    query = check_mapping(parameter, value)
    for name, item in query.items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError(parameter, f"{short(name)} is not a parameter name.")
        values = item if isinstance(item, list | tuple) else [item]
        if any(v is not None and not isinstance(v, _SCALARS) for v in values):
            raise ConfigurationError(
                f"{parameter}[{name!r}]",
                f"{short(item)} is not a query value.",
                "Give a string, number, boolean, or a list of them (a list repeats the parameter).",
            )
    return query


def check_payload(parameter: str, payload: Any) -> None:
    """A JSON body: a dict or a list (or None), serialisable as JSON."""
    if payload is not None and not isinstance(payload, dict | list):
        raise ConfigurationError(
            parameter,
            f"must be a dict or a list, got {type(payload).__name__} {short(payload)}.",
            "Give the JSON body as a dict (or a template rendering to a JSON object).",
        )
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ConfigurationError(
            parameter, f"is not JSON-serialisable: {error}.", "Convert dates, decimals and sets to strings or lists."
        ) from None


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
    """A dict parameter (``path``, ``query``...), possibly a JSON string; None becomes ``{}``."""
    value = parse_json_string(parameter, value)
    if (value is None or value == "") and allow_none:
        return {}
    return check_mapping(parameter, value)


def optional_text(parameter: str, value: Any) -> str | None:
    """A string parameter that may be empty (None); otherwise a non-empty string, stripped."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(parameter, f"{short(value)} is not a non-empty string.", "Check the template.")
    return value.strip()


def check_target(entity: Any, endpoint: Any) -> tuple[str | None, str | None]:
    """Exactly one of an entity name and an endpoint (a path below the project), as stripped strings."""
    entity, endpoint = optional_text("entity", entity), optional_text("endpoint", endpoint)
    if entity is None and endpoint is None:
        raise ConfigurationError(
            "entity",
            "is missing.",
            "Give an entity name (e.g. 'products') or an endpoint (a path below the project).",
        )
    if entity is not None and endpoint is not None:
        raise ConfigurationError("endpoint", "is given together with 'entity'.", "Give one of the two.")
    if endpoint is not None and not endpoint.strip("/ "):
        raise ConfigurationError("endpoint", f"{short(endpoint)} is not a path.", "E.g. 'products/{id}'.")
    return entity, endpoint


def check_conn_id(commercetools_conn_id: Any) -> str:
    if not isinstance(commercetools_conn_id, str) or not commercetools_conn_id.strip():
        raise ConfigurationError(
            "commercetools_conn_id",
            f"{short(commercetools_conn_id)} is not a connection id.",
            "E.g. 'commercetools_default'.",
        )
    return commercetools_conn_id


def is_static(value: Any) -> bool:
    """A string parameter that is not a template (so it can be checked when the DAG is parsed)."""
    return isinstance(value, str) and not is_template(value)


def is_template(value: Any) -> bool:
    """A Jinja template, rendered only when the task runs (so it is checked then, not when the DAG is parsed)."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)
