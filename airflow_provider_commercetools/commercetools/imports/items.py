"""The items of an import: read them (:func:`load_items`) and check each is a resource of its type, with a key
(:func:`prepare_items`), before any request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools.checks import parse_json_string, short
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.commercetools.imports.records import FAILED, SKIPPED, TO_RESEND, is_import_record
from airflow_provider_commercetools.commercetools.imports.resources import ImportResourceType
from airflow_provider_commercetools.commercetools.results.records import ItemResult, UnreadableItem, describe_error
from airflow_provider_commercetools.commercetools.results.redaction import Redactor
from airflow_provider_commercetools.commercetools.writing.items import ItemsFile, items_source


def load_items(value: Any) -> tuple[list[Any], bool]:
    """The rendered ``items`` as the publisher takes them (a list, a JSON Lines file, a subscriber's
    result, an earlier run's summary), read; and whether they came from a file."""
    source = items_source(parse_json_string("items", value))
    if source is None:
        raise ConfigurationError("items", "is None.", "Give the resources to import: a list or a JSON Lines file.")
    if isinstance(source, ItemsFile):
        return list(read_json_lines("items", source.location, on_bad_line=UnreadableItem)), True
    return source, False


@dataclass(frozen=True)
class PreparedItem:
    """An item that is a valid import resource, with its key, ready to be sent."""

    index: int
    resource: dict[str, Any]
    key: str


def prepare_items(
    items: Iterable[Any], resource_type: ImportResourceType, redactor: Redactor, request: str, *, strict: bool
) -> tuple[list[PreparedItem], list[ItemResult]]:
    """Split items into resources to send and records already decided (skipped, invalid).

    A record of an earlier run is sent again with its item when it failed, was pending or not sent,
    and skipped when it succeeded. With ``strict`` an invalid item raises (nothing is sent).
    """
    prepared: list[PreparedItem] = []
    decided: list[ItemResult] = []
    invalid: list[ConfigurationError] = []
    for index, raw in enumerate(items):
        item = raw
        if is_import_record(raw):
            if raw["status"] not in TO_RESEND:
                decided.append(
                    ItemResult(
                        index,
                        SKIPPED,
                        str(raw.get("request", "")),
                        key=raw.get("key"),
                        state=raw.get("state"),
                        note="imported in an earlier run; not sent again",
                    )
                )
                continue
            item = raw.get("item")
        try:
            if item is not raw:  # an earlier run's record: its item may have had secrets redacted
                redactor.check_item(f"items[{index}]", item)
            prepared.append(_check(resource_type, index, item))
        except ConfigurationError as error:
            invalid.append(error)
            original = item.text if isinstance(item, UnreadableItem) else item
            decided.append(ItemResult(index, FAILED, request, error=describe_error(error), item=original))
    if invalid and strict:
        first = invalid[0]
        raise ConfigurationError(
            first.parameter,
            f"{first.problem} ({len(invalid)} of {len(prepared) + len(decided)} items are invalid; nothing was sent.)",
            first.fix or "Fix the items, or set on_error='continue' or 'skip' to import the valid ones.",
        )
    return prepared, decided


def _check(resource_type: ImportResourceType, index: int, item: Any) -> PreparedItem:
    if isinstance(item, UnreadableItem):  # a line of the items file that is not JSON
        raise ConfigurationError(f"items[{index}]", item.problem, "Fix or remove that line.")
    if not isinstance(item, Mapping):
        raise ConfigurationError(
            f"items[{index}]",
            f"is not an import resource (a JSON object): {type(item).__name__} {short(item)}.",
            f"Give {resource_type.name} import resources, e.g. {{'key': ..., ...}}.",
        )
    key = resource_type.key_of(item)
    if key is None:
        raise ConfigurationError(
            f"items[{index}]",
            f"has no {resource_type.describe_key()!r}: {short(item)}.",
            f"Every {resource_type.name} import resource is identified by its {resource_type.describe_key()!r}.",
        )
    return PreparedItem(index, dict(item), key)
