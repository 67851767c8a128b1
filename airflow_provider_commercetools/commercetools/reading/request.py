"""The caller's request of a read (entity or endpoint, path, query): checked before and after a transformer."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.checks import as_mapping, check_target
from airflow_provider_commercetools.commercetools.errors import ConfigurationError

#: The keys of the request that a ``request_transformer`` receives and returns.
REQUEST_KEYS = ("entity", "endpoint", "path", "query")

Transformer = Callable[[dict[str, Any], Any], Mapping[str, Any]]


def checked_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """``{"entity", "endpoint", "path", "query"}`` with their shapes checked (one target, dicts)."""
    entity, endpoint = check_target(request.get("entity"), request.get("endpoint"))
    # The shape only: plan_read checks the query's values (where, sort...) once, before any request.
    query = as_mapping("query", request.get("query"))
    return {"entity": entity, "endpoint": endpoint, "path": as_mapping("path", request.get("path")), "query": query}


def check_transformer(transformer: Any) -> None:
    """Fail unless ``request_transformer`` is None or callable."""
    if transformer is not None and not callable(transformer):
        raise ConfigurationError(
            "request_transformer",
            f"{transformer!r} is not callable.",
            "Give a function (request: dict, context) -> dict.",
        )


def transform_request(request: dict[str, Any], transformer: Transformer | None, context: Any) -> dict[str, Any]:
    """``request`` passed through ``transformer(copy, context)``, which returns the same shape, checked again.

    Keys the transformer leaves out keep their value; unknown keys or another type fail with what to return.
    """
    if transformer is None:
        return request
    returned = transformer(copy.deepcopy(request), context)
    if not isinstance(returned, Mapping):
        raise ConfigurationError(
            "request_transformer",
            f"returned {type(returned).__name__}, not the request.",
            f"Return the dict it was given (keys {', '.join(REQUEST_KEYS)}), changed.",
        )
    unknown = sorted(set(returned) - set(REQUEST_KEYS))
    if unknown:
        raise ConfigurationError(
            "request_transformer", f"returned unknown keys {unknown}.", f"The keys are {', '.join(REQUEST_KEYS)}."
        )
    return checked_request({**request, **returned})
