"""Predicates of the query language: string literals, ``where`` and ``sort`` values, modified windows.

Nothing here sends a request; the paging strategies and the read plan build their queries from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from airflow_provider_commercetools.commercetools.checks import short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError


def quote_string(value: str) -> str:
    """A string literal of the predicate language."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def as_predicates(parameter: str, value: Any) -> list[str]:
    """The ``where`` (or ``sort``) parameter as a list of non-empty strings; None gives ``[]``."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) and item.strip() for item in items):
        raise ConfigurationError(
            parameter,
            f"must be a string or a list of strings, got {describe(value)}.",
            "E.g. 'key = \"abc\"' or ['productType(id = \"...\")', 'version > 1'] (a list is ANDed).",
        )
    return [item.strip() for item in items]


def parse_sort(sort: Any) -> list[tuple[str, str]]:
    """``"name.en asc"`` / a list of such -> ``[("name.en", "asc")]``; the direction defaults to asc."""
    parsed = []
    for text in as_predicates("query['sort']", sort):
        parts = text.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise ConfigurationError(
                "query['sort']", f"{text!r} is not '<field> asc' or '<field> desc'.", "E.g. 'createdAt desc'."
            )
        parsed.append((parts[0], parts[1].lower() if len(parts) == 2 else "asc"))
    return parsed


def sort_text(sorts: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"'{field} {direction}'" for field, direction in sorts)


def to_utc_datetime(parameter: str, value: Any) -> dt.datetime:
    """A datetime (naive = UTC), pendulum DateTime, date or ISO 8601 string as an aware UTC datetime."""
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ConfigurationError(
                parameter,
                f"{value!r} is not an ISO 8601 date or timestamp.",
                "E.g. '2026-11-01T00:00:00Z' or '{{ data_interval_start }}'.",
            ) from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ConfigurationError(
            parameter, f"{describe(value)} is not a timestamp.", "Give a datetime or an ISO 8601 string."
        )
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def format_timestamp(value: dt.datetime) -> str:
    """``2026-11-01T00:00:00.000Z``: UTC with milliseconds, as commercetools writes timestamps."""
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def modified_window(start: Any = None, end: Any = None) -> str:
    """The predicate of entities modified in ``[start, end)``: start inclusive, end exclusive.

    Consecutive windows (a scheduled DAG's data intervals) therefore read every change exactly once.
    Either bound may be None (open). Accepts datetimes (naive ones are UTC), pendulum DateTimes,
    dates and ISO 8601 strings.
    """
    if start is None and end is None:
        raise ConfigurationError("modified_since / modified_until", "both are empty.", "Give at least one bound.")
    parts = []
    lower = None if start is None else to_utc_datetime("modified_since", start)
    upper = None if end is None else to_utc_datetime("modified_until", end)
    if lower is not None and upper is not None and lower > upper:
        raise ConfigurationError(
            "modified_since / modified_until",
            f"the window starts ({format_timestamp(lower)}) after it ends ({format_timestamp(upper)}).",
            "Swap them.",
        )
    if lower is not None:
        parts.append(f"lastModifiedAt >= {quote_string(format_timestamp(lower))}")
    if upper is not None:
        parts.append(f"lastModifiedAt < {quote_string(format_timestamp(upper))}")
    return " and ".join(parts)


def window_bound(value: Any) -> Any:
    """A window bound; empty and "None" (what Jinja renders for a missing value) mean no bound."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None")):
        return None
    return value


def describe(value: Any) -> str:
    """``<type> <short repr>``, for error messages."""
    return f"{type(value).__name__} {short(value, 100)}"
