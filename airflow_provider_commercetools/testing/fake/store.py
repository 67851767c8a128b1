"""The fake's data: entities per resource with sorted ids and unique indexes, sorting, update actions."""

from __future__ import annotations

import bisect
import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from airflow_provider_commercetools.testing.fake.http import _bad_request

_SYSTEM_FIELDS = ("id", "version", "createdAt", "lastModifiedAt")

# resource -> the fields (tuples: composite) whose values must be unique within the resource
_UNIQUE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "orders": (("key",), ("orderNumber",)),
    "custom-objects": (("container", "key"),),
}
_DEFAULT_UNIQUE: tuple[tuple[str, ...], ...] = (("key",),)

_TYPE_IDS = {
    "inventory": "inventory-entry",
    "custom-objects": "key-value-document",
    "categories": "category",
    "business-units": "business-unit",
}


def _uuid4() -> str:
    return str(uuid.uuid4())


_UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


class _UuidBatch:
    """Random (version 4) UUID strings, generated in batches: ~4x faster than str(uuid.uuid4())."""

    def __init__(self, batch: int = 1024) -> None:
        self._batch = batch
        self._pending: list[str] = []

    def next(self) -> str:
        if not self._pending:
            raw = os.urandom(16 * self._batch).hex()
            variant = _UUID_VARIANT
            self._pending = [
                f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant[h[16]]}{h[17:20]}-{h[20:]}"
                for h in (raw[i : i + 32] for i in range(0, len(raw), 32))
            ]
        return self._pending.pop()


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (much faster than copy.deepcopy)."""
    t = type(value)
    if t is dict:
        return {k: _copy(v) for k, v in value.items()}
    if t is list:
        return [_copy(v) for v in value]
    return value


def _type_id(resource: str) -> str:
    if resource in _TYPE_IDS:
        return _TYPE_IDS[resource]
    if resource.endswith("ies"):
        return resource[:-3] + "y"
    return resource[:-1] if resource.endswith("s") else resource


class _Collection:
    """One resource's entities: dict id -> entity (creation order), sorted ids, unique indexes.

    Stored entities are never mutated (updates replace them), so a page can be serialized outside
    the lock.
    """

    __slots__ = ("by_id", "ids", "unique")

    def __init__(self, unique_fields: tuple[tuple[str, ...], ...]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        # fields -> index; an index key is the value itself (one field) or a tuple (composite)
        self.unique: dict[tuple[str, ...], dict[Any, str]] = {f: {} for f in unique_fields}

    def unique_keys(self, entity: Mapping[str, Any]) -> list[tuple[tuple[str, ...], dict[Any, str], Any]]:
        """(fields, index, key) for every unique constraint the entity has a value for."""
        out: list[tuple[tuple[str, ...], dict[Any, str], Any]] = []
        for fields, index in self.unique.items():
            if len(fields) == 1:
                key: Any = entity.get(fields[0])
                t = type(key)
                if t is str or t is int:
                    out.append((fields, index, key))
            else:
                key = tuple(entity.get(f) for f in fields)
                if all(type(v) is str or type(v) is int for v in key):
                    out.append((fields, index, key))
        return out

    def duplicate(self, entity: Mapping[str, Any], ignore_id: str | None = None) -> tuple[str, Any, str] | None:
        """(field, value, other id) of the first unique value another entity already has."""
        return self._duplicate(self.unique_keys(entity), ignore_id)

    @staticmethod
    def _duplicate(
        keys: list[tuple[tuple[str, ...], dict[Any, str], Any]], ignore_id: str | None
    ) -> tuple[str, Any, str] | None:
        for fields, index, key in keys:
            other = index.get(key)
            if other is not None and other != ignore_id:
                return ".".join(fields), key[-1] if isinstance(key, tuple) else key, other
        return None

    def index(self, entity: Mapping[str, Any]) -> None:
        entity_id = entity["id"]
        for _, index, key in self.unique_keys(entity):
            index[key] = entity_id

    def unindex(self, entity: Mapping[str, Any]) -> None:
        entity_id = entity["id"]
        for _, index, key in self.unique_keys(entity):
            if index.get(key) == entity_id:
                del index[key]

    def find_unique(self, fields: tuple[str, ...], value: tuple[Any, ...]) -> dict[str, Any] | None:
        index = self.unique.get(fields)
        if index is None:
            return None
        entity_id = index.get(value[0] if len(fields) == 1 else value)
        return None if entity_id is None else self.by_id.get(entity_id)

    def insert(self, entity: dict[str, Any], *, sort_later: bool = False) -> None:
        self.by_id[entity["id"]] = entity
        self.index(entity)
        if not sort_later:
            bisect.insort(self.ids, entity["id"])

    def replace(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.unindex(old)
        self.by_id[new["id"]] = new
        self.index(new)

    def remove(self, entity: dict[str, Any]) -> None:
        self.unindex(entity)
        del self.by_id[entity["id"]]
        pos = bisect.bisect_left(self.ids, entity["id"])
        if pos < len(self.ids) and self.ids[pos] == entity["id"]:
            del self.ids[pos]


def _raw_at(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
        if obj is None:
            return None
    return obj


def _sort_key(value: Any) -> tuple[int, Any]:
    if type(value) is bool:
        return (0, value)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value)


def _sort_entities(items: list[dict[str, Any]], sorts: Sequence[tuple[tuple[str, ...], bool]]) -> list[dict[str, Any]]:
    """Stable multi-key sort; entities missing a field sort last for either direction."""
    for path, desc in reversed(sorts):
        present: list[tuple[tuple[int, Any], dict[str, Any]]] = []
        missing: list[dict[str, Any]] = []
        for entity in items:
            v = _raw_at(entity, path)
            if v is None or isinstance(v, (dict, list)):
                missing.append(entity)
            else:
                present.append((_sort_key(v), entity))
        present.sort(key=itemgetter(0), reverse=desc)
        items = [e for _, e in present] + missing
    return items


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _first_value(action: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    if name in action:
        return True, action[name]
    for k, v in action.items():
        if k != "action":
            return True, v
    return False, None


_INVENTORY_ACTIONS = frozenset({"changeQuantity", "addQuantity", "removeQuantity"})


def _apply_action(entity: dict[str, Any], action: Any, index: int) -> None:
    """Apply one update action generically (mutates ``entity``, a private copy)."""
    if not isinstance(action, dict) or not isinstance(action.get("action"), str) or not action["action"]:
        raise _bad_request("InvalidInput", f"actions[{index}]: an update action needs an 'action' name.")
    name: str = action["action"]
    if name in _INVENTORY_ACTIONS and "quantity" in action:
        # Inventory entries keep their stock in quantityOnStock (and availableQuantity).
        quantity = action["quantity"]
        if not isinstance(quantity, int):
            raise _bad_request("InvalidInput", f"actions[{index}]: '{name}' needs an integer 'quantity'.")
        current = entity.get("quantityOnStock", 0)
        stock = {"changeQuantity": quantity, "addQuantity": current + quantity, "removeQuantity": current - quantity}
        entity["quantityOnStock"] = entity["availableQuantity"] = stock[name]
        return
    if name == "setCustomType":
        if action.get("type") is None:
            entity.pop("custom", None)
        else:
            entity["custom"] = {"type": action["type"], "fields": _copy(action.get("fields") or {})}
        return
    if name == "setCustomField":
        field_name = action.get("name")
        if not isinstance(field_name, str):
            raise _bad_request("InvalidInput", f"actions[{index}]: setCustomField needs a 'name'.")
        custom = entity.setdefault("custom", {"fields": {}})
        fields = custom.setdefault("fields", {})
        if action.get("value") is None:
            fields.pop(field_name, None)
        else:
            fields[field_name] = _copy(action["value"])
        return
    for prefix in ("set", "change", "add", "remove"):
        if name.startswith(prefix) and len(name) > len(prefix):
            target = _lower_camel(name[len(prefix) :])
            break
    else:
        return  # an action this fake does not model (publish, recalculate, ...): accepted, no change
    if target in _SYSTEM_FIELDS:
        raise _bad_request("InvalidOperation", f"actions[{index}]: '{name}' cannot change '{target}'.")
    has_value, value = _first_value(action, target)
    value = _copy(value)
    if prefix == "set":
        if not has_value or value is None:
            entity.pop(target, None)
        else:
            entity[target] = value
    elif prefix == "change":
        if not has_value:
            raise _bad_request("InvalidInput", f"actions[{index}]: '{name}' needs a value for '{target}'.")
        entity[target] = value
    elif prefix == "add":
        current = entity.get(target)
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and (current is None or (isinstance(current, (int, float)) and not isinstance(current, bool))):
            entity[target] = (current or 0) + value
        elif isinstance(current, list):
            current.append(value)
        else:
            plural = entity.setdefault(target + "s", [])
            if isinstance(plural, list):
                plural.append(value)
    else:  # remove
        current = entity.get(target)
        is_num = isinstance(value, (int, float)) and not isinstance(value, bool)
        if is_num and isinstance(current, (int, float)) and not isinstance(current, bool):
            entity[target] = current - value
        else:
            items = current if isinstance(current, list) else entity.get(target + "s")
            if isinstance(items, list):
                items[:] = [it for it in items if it != value and not (isinstance(it, dict) and it.get("id") == value)]


class FakeState:
    """The state every part of the fake shares (the attributes are set by FakeCommercetools)."""

    project_key: str
    latency: float
    _lock: threading.RLock
    _collections: dict[str, _Collection]
    _stop: threading.Event
    _created_at: str

    def _collection(self, resource: str) -> _Collection:
        coll = self._collections.get(resource)
        if coll is None:
            coll = _Collection(_UNIQUE_FIELDS.get(resource, _DEFAULT_UNIQUE))
            self._collections[resource] = coll
        return coll

    @staticmethod
    def _prepare(coll: _Collection, entity: Mapping[str, Any], now: str, new_id: Callable[[], str]) -> dict[str, Any]:
        """A stored copy of a seeded entity, checked for duplicates and indexed (lock held)."""
        if not isinstance(entity, Mapping):
            raise TypeError(f"an entity must be a dict, not {type(entity).__name__}")
        entity_id = entity.get("id")
        if entity_id is None:
            entity_id = new_id()
        elif not isinstance(entity_id, str):
            raise ValueError(f"entity id must be a string: {entity_id!r}")
        if entity_id in coll.by_id:
            raise ValueError(f"an entity with id {entity_id!r} already exists")
        created = entity.get("createdAt", now)
        e: dict[str, Any] = {
            "id": entity_id,
            "version": entity.get("version", 1),
            "createdAt": created,
            "lastModifiedAt": entity.get("lastModifiedAt", created),
        }
        for k, v in entity.items():
            if k not in e:
                t = type(v)
                e[k] = _copy(v) if t is dict or t is list else v
        keys = coll.unique_keys(e)
        if keys:
            dup = coll._duplicate(keys, None)
            if dup is not None:
                raise ValueError(f"duplicate value {dup[1]!r} for unique field {dup[0]!r}")
            for _, index, key in keys:
                index[key] = entity_id
        coll.by_id[entity_id] = e
        return e
