"""Helpers of the fake's update action handlers: required values, lists, items by id or key, errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from airflow_provider_commercetools.testing.fake.http import HttpError, bad_request, invalid_json
from airflow_provider_commercetools.testing.fake.store import copy_json

#: a handler applies one action to ``entity`` (a private copy): (entity, action, index of the action)
Handler = Callable[[dict[str, Any], dict[str, Any], int], None]


def require(action: dict[str, Any], name: str, index: int) -> Any:
    """The action's value of ``name``; a 400 ``InvalidJsonInput`` when it is missing (as for the body)."""
    value = action.get(name)
    if value is None:
        raise invalid_json(f"actions[{index}] -> {name}: Missing required value.")
    return copy_json(value)


def require_list(action: dict[str, Any], name: str, index: int) -> list[Any]:
    value = require(action, name, index)
    if not isinstance(value, list):
        raise invalid_json(f"actions[{index}] -> {name}: JSON array expected.")
    return value


def invalid_operation(index: int, message: str) -> HttpError:
    """A 400 ``InvalidOperation`` for an action that names something the resource does not have."""
    return bad_request("InvalidOperation", f"actions[{index}]: {message}")


def set_field(entity: dict[str, Any], field: str, value: Any) -> None:
    """Set ``field`` to ``value``; ``None`` removes it (an optional value left out unsets the field)."""
    if value is None:
        entity.pop(field, None)
    else:
        entity[field] = copy_json(value)


def add_to_list(entity: dict[str, Any], field: str, values: list[Any]) -> None:
    """Append the values not in ``entity[field]`` yet (sets such as roles, countries, channels)."""
    items = entity.setdefault(field, [])
    for value in values:
        if value not in items:
            items.append(copy_json(value))


def remove_from_list(entity: dict[str, Any], field: str, values: list[Any]) -> None:
    items = entity.get(field) or []
    entity[field] = [item for item in items if item not in values]


def new_id() -> str:
    return str(uuid.uuid4())


def item_index(
    items: list[dict[str, Any]], action: dict[str, Any], index: int, names: tuple[str, str], what: str
) -> int:
    """The position in ``items`` of the one named by the action's id or key (``names``: the two properties)."""
    id_name, key_name = names
    ident, key = action.get(id_name), action.get(key_name)
    if ident is None and key is None:
        raise invalid_json(f"actions[{index}]: either '{id_name}' or '{key_name}' must be defined.")
    for position, item in enumerate(items):
        if (ident is not None and item.get("id") == ident) or (ident is None and item.get("key") == key):
            return position
    shown = f"{id_name} '{ident}'" if ident is not None else f"{key_name} '{key}'"
    raise invalid_operation(index, f"no {what} with {shown}.")


def named_index(items: list[dict[str, Any]], name: Any, index: int, what: str, field: str = "name") -> int:
    """The position in ``items`` of the definition whose ``field`` is ``name``."""
    for position, item in enumerate(items):
        if item.get(field) == name:
            return position
    raise invalid_operation(index, f"no {what} named '{name}'.")


def reorder(items: list[Any], order: list[Any], key: Callable[[Any], Any], index: int, what: str) -> list[Any]:
    """``items`` in ``order`` (of their keys); the order must name each item once."""
    by_key = {key(item): item for item in items}
    if sorted(map(str, order)) != sorted(map(str, by_key)) or len(set(map(str, order))) != len(order):
        raise invalid_operation(index, f"the new order must name each {what} once: {sorted(map(str, by_key))}.")
    return [by_key[k] for k in order]
