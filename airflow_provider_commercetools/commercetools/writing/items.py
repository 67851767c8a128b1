"""What ``items`` is, and how one item is merged over the operator-level defaults.

An item is a dict ``{"path": {...}, "query": {...}, "payload": ...}`` (each key optional) whose keys
are merged over the defaults (item keys win; ``path`` and ``query`` key by key, a dict ``payload``
key by key, any other payload replaces the default). A dict with none of those three keys is the
payload itself (an entity or draft, e.g. a line written by the subscriber).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.checks import check_mapping, check_query, short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import check_location, is_url
from airflow_provider_commercetools.commercetools.results.records import UnreadableItem

ITEM_KEYS = frozenset({"path", "query", "payload"})


@dataclass(frozen=True)
class ItemsFile:
    """``items`` names a JSON Lines file (a path or an ObjectStoragePath URL), read streaming."""

    location: str


def items_source(value: Any) -> list[Any] | ItemsFile | None:
    """None (one request), the in-memory list, or the JSON Lines file of items, worked out from ``value``.

    ``value`` may be a list, a path or URL, a subscriber's ``{"path": ..., "count": ...}`` file result,
    or an earlier publisher run's summary (its failures file, or its in-XCom failures list).
    """
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, str):
        if value.strip() in ("", "None"):
            raise ConfigurationError(
                "items",
                f"rendered to {value!r}.",
                "The upstream value is empty: give a list, a JSON Lines file, or leave items out (None).",
            )
        return ItemsFile(value)
    if isinstance(value, Mapping):
        if isinstance(value.get("path"), str) and not {"query", "payload"} & value.keys():
            return ItemsFile(value["path"])  # a subscriber's file result
        if isinstance(value.get("failures_path"), str):
            return ItemsFile(value["failures_path"])  # an earlier run's summary
        if isinstance(value.get("failures"), list) and "total" in value:
            if value.get("failures_truncated"):
                raise ConfigurationError(
                    "items",
                    "is an earlier run's summary whose failures list was truncated.",
                    "Run with output_path to get every failed item, then set items to the failures file.",
                )
            return list(value["failures"])
    raise ConfigurationError(
        "items",
        f"must be a list of items or a JSON Lines file, got {type(value).__name__} {short(value)}.",
        "Give a list, an XComArg, a subscriber's {'path': ...} result, or a path / URL.",
    )


def items_file(location: str) -> str:
    """Check that ``items`` names a readable JSON Lines file (local files are checked for existence)."""
    location = check_location("items", location)
    if not is_url(location) and not os.path.isfile(location):
        raise ConfigurationError(
            "items", f"{location!r} is not a file.", "Give a JSON Lines file of items, or a list of items."
        )
    return location


def merge_item(
    label: str, item: Any, path: Mapping[str, Any], query: Mapping[str, Any], payload: Any
) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The item's (path, query, payload) merged over the defaults; ``label`` names it in errors."""

    def name(part: str) -> str:
        return f"{label}.{part}" if label else part

    if isinstance(item, UnreadableItem):
        raise ConfigurationError(label or "items", item.problem, "Fix the line and send it again.")
    if not isinstance(item, Mapping):
        raise ConfigurationError(
            label or "items",
            f"must be a dict, got {type(item).__name__} {short(item)}.",
            "Give {'path': {...}, 'query': {...}, 'payload': {...}} (each optional), or the payload itself.",
        )
    if ITEM_KEYS & item.keys():
        unknown = sorted(str(k) for k in item if k not in ITEM_KEYS)
        if unknown:
            raise ConfigurationError(
                label or "items",
                f"has keys {unknown} next to {sorted(ITEM_KEYS & item.keys())}.",
                "An item has only 'path', 'query' and 'payload'; put entity fields inside 'payload'.",
            )
        merged_path = {**path, **check_mapping(name("path"), item.get("path"))}
        merged_query = {**query, **check_query(name("query"), item.get("query"))}
        given = item.get("payload")
    else:
        merged_path, merged_query = dict(path), dict(query)
        given = dict(item) if item else None
    if given is None:
        merged = payload
    elif isinstance(given, dict) and isinstance(payload, dict):
        merged = {**payload, **given}
    else:
        merged = given
    return merged_path, merged_query, merged
