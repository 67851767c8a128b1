"""The fake's data: entities per resource with sorted ids and unique indexes, seeding, and write listeners."""

from __future__ import annotations

import bisect
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow_provider_commercetools.testing.fake.http import now_iso
from airflow_provider_commercetools.testing.fake.uniqueness import (
    CHECK,
    MARK,
    OWN,
    SELF,
    Claim,
    derived_rules,
    field_rules,
)

SYSTEM_FIELDS = ("id", "version", "createdAt", "lastModifiedAt")

_TYPE_IDS = {
    "inventory": "inventory-entry",
    "custom-objects": "key-value-document",
    "categories": "category",
    "business-units": "business-unit",
}


def new_uuid() -> str:
    """A random (version 4) UUID string."""
    return str(uuid.uuid4())


_UUID_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


class UuidBatch:
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


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (much faster than copy.deepcopy)."""
    t = type(value)
    if t is dict:
        return {k: copy_json(v) for k, v in value.items()}
    if t is list:
        return [copy_json(v) for v in value]
    return value


def type_id(resource: str) -> str:
    """The ``typeId`` of references to ``resource`` (``products`` -> ``product``)."""
    if resource in _TYPE_IDS:
        return _TYPE_IDS[resource]
    if resource.endswith("ies"):
        return resource[:-3] + "y"
    return resource[:-1] if resource.endswith("s") else resource


class Collection:
    """One resource's entities: dict id -> entity (creation order), sorted ids, unique indexes.

    The unique indexes follow the rules of :mod:`.uniqueness`: one index per field rule (``unique``), and
    for the derived rules (slugs, SKUs, emails) ``claimed`` (a value one entity holds) and ``marked`` (a
    value several hold, that others may not). Stored entities are never mutated (updates replace them),
    so a page can be serialized outside the lock.
    """

    __slots__ = ("_next_rank", "by_id", "claimed", "derived", "ids", "marked", "order", "unique")

    def __init__(
        self,
        unique_fields: tuple[tuple[str, ...], ...],
        derived: tuple[Callable[[Mapping[str, Any]], Iterable[Claim]], ...] = (),
    ) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        # id -> creation rank: an index look-up lists its entities in by_id's (creation) order
        self.order: dict[str, int] = {}
        self._next_rank = 0
        # fields -> index; an index key is the value itself (one field) or a tuple (composite)
        self.unique: dict[tuple[str, ...], dict[Any, str]] = {f: {} for f in unique_fields}
        self.derived = derived
        self.claimed: dict[Any, str] = {}
        self.marked: dict[Any, set[str]] = {}

    def unique_keys(self, entity: Mapping[str, Any]) -> list[tuple[tuple[str, ...], dict[Any, str], Any]]:
        """(fields, index, key) for every field rule the entity has a value for."""
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

    def claims(self, entity: Mapping[str, Any]) -> list[Claim]:
        """The derived rules' claims of ``entity`` (none for most resources)."""
        if not self.derived:
            return []
        return [c for rule in self.derived for c in rule(entity)]

    def duplicate(self, entity: Mapping[str, Any], ignore_id: str | None = None) -> tuple[str, Any, str | None] | None:
        """(field, value, other id) of the first unique value another entity already has (other id None:
        the entity holds the value twice itself)."""
        return self.first_duplicate(self.unique_keys(entity), ignore_id) or self.claim_duplicate(
            self.claims(entity), ignore_id
        )

    @staticmethod
    def first_duplicate(
        keys: list[tuple[tuple[str, ...], dict[Any, str], Any]], ignore_id: str | None
    ) -> tuple[str, Any, str | None] | None:
        for fields, index, key in keys:
            other = index.get(key)
            if other is not None and other != ignore_id:
                return ".".join(fields), key[-1] if isinstance(key, tuple) else key, other
        return None

    def claim_duplicate(self, claims: list[Claim], ignore_id: str | None) -> tuple[str, Any, str | None] | None:
        for kind, field_name, value, key in claims:
            if kind == SELF:
                return field_name, value, None
            if kind == MARK:
                continue
            other = self.claimed.get(key)
            if other is not None and other != ignore_id:
                return field_name, value, other
            if kind == CHECK:
                for other in self.marked.get(key, ()):
                    if other != ignore_id:
                        return field_name, value, other
        return None

    def index_claims(self, claims: list[Claim], entity_id: str) -> None:
        for kind, _, _, key in claims:
            if kind == OWN:
                self.claimed[key] = entity_id
            elif kind == MARK:
                self.marked.setdefault(key, set()).add(entity_id)

    def index(self, entity: Mapping[str, Any]) -> None:
        entity_id = entity["id"]
        for _, index, key in self.unique_keys(entity):
            index[key] = entity_id
        if self.derived:
            self.index_claims(self.claims(entity), entity_id)

    def unindex(self, entity: Mapping[str, Any]) -> None:
        entity_id = entity["id"]
        for _, index, key in self.unique_keys(entity):
            if index.get(key) == entity_id:
                del index[key]
        for kind, _, _, key in self.claims(entity):
            if kind == OWN and self.claimed.get(key) == entity_id:
                del self.claimed[key]
            elif kind == MARK:
                holders = self.marked.get(key)
                if holders is not None:
                    holders.discard(entity_id)
                    if not holders:
                        del self.marked[key]

    def find_unique(self, fields: tuple[str, ...], value: tuple[Any, ...]) -> dict[str, Any] | None:
        index = self.unique.get(fields)
        if index is None:
            return None
        entity_id = index.get(value[0] if len(fields) == 1 else value)
        return None if entity_id is None else self.by_id.get(entity_id)

    def rank(self, entity_id: str) -> None:
        """Note ``entity_id`` as the newest entity (its place in creation order)."""
        self.order[entity_id] = self._next_rank
        self._next_rank += 1

    def insert(self, entity: dict[str, Any], *, sort_later: bool = False) -> None:
        self.by_id[entity["id"]] = entity
        self.rank(entity["id"])
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
        self.order.pop(entity["id"], None)
        pos = bisect.bisect_left(self.ids, entity["id"])
        if pos < len(self.ids) and self.ids[pos] == entity["id"]:
            del self.ids[pos]


#: ``(change, resource, entity, previous)``: told of every write the fake's APIs apply; ``change`` is
#: "created", "updated" or "deleted", ``entity`` the stored entity after the write (the deleted one for a
#: delete), ``previous`` the one before (None for a create). Called with the lock held.
WriteListener = Callable[[str, str, dict[str, Any], "dict[str, Any] | None"], None]


class Store:
    """Every resource's :class:`Collection`, seeded directly or written through the APIs (under ``lock``)."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._collections: dict[str, Collection] = {}
        self._write_listeners: list[WriteListener] = []

    def get(self, resource: str) -> Collection | None:
        """The collection of ``resource``, None while it has never had an entity (lock held)."""
        return self._collections.get(resource)

    def collection(self, resource: str) -> Collection:
        """The collection of ``resource``, created empty on first use (lock held)."""
        coll = self._collections.get(resource)
        if coll is None:
            coll = Collection(field_rules(resource), derived_rules(resource))
            self._collections[resource] = coll
        return coll

    # ------------------------------------------------------------------------------- writes
    def on_write(self, listener: WriteListener) -> None:
        """Call ``listener`` after every create, update and delete (e.g. to produce Messages)."""
        with self.lock:
            self._write_listeners.append(listener)

    def emit(self, change: str, resource: str, entity: dict[str, Any], previous: dict[str, Any] | None) -> None:
        """Tell the write listeners of a write just applied (lock held)."""
        for listener in self._write_listeners:
            listener(change, resource, entity, previous)

    # -------------------------------------------------------------------------------- seeding
    def add(self, resource: str, entity: Mapping[str, Any]) -> dict[str, Any]:
        """Store ``entity`` (no HTTP); fills id, version, createdAt, lastModifiedAt unless given."""
        with self.lock:
            coll = self.collection(resource)
            e = _prepare(coll, entity, now_iso(), new_uuid)
            bisect.insort(coll.ids, e["id"])
            return copy_json(e)

    def add_many(self, resource: str, entities: Iterable[Mapping[str, Any]]) -> list[str]:
        """Store many entities quickly (50,000 in well under 2 s); returns their ids in order."""
        now = now_iso()
        added: list[str] = []
        new_id = UuidBatch().next
        with self.lock:
            coll = self.collection(resource)
            try:
                for entity in entities:
                    added.append(_prepare(coll, entity, now, new_id)["id"])
            finally:
                if len(added) > 64:
                    coll.ids.extend(added)
                    coll.ids.sort()
                else:
                    for entity_id in added:
                        bisect.insort(coll.ids, entity_id)
        return added

    def entities(self, resource: str) -> list[dict[str, Any]]:
        """Copies of all entities of ``resource``, in creation order."""
        with self.lock:
            coll = self._collections.get(resource)
            return [] if coll is None else [copy_json(e) for e in coll.by_id.values()]

    def get_entity(self, resource: str, id: str) -> dict[str, Any] | None:
        """A copy of one entity, None if there is none with ``id``."""
        with self.lock:
            coll = self._collections.get(resource)
            e = None if coll is None else coll.by_id.get(id)
            return None if e is None else copy_json(e)

    def clear(self, resource: str | None = None) -> None:
        """Remove every stored entity (of ``resource`` only, when given)."""
        with self.lock:
            if resource is None:
                self._collections.clear()
            else:
                self._collections.pop(resource, None)


def _prepare(coll: Collection, entity: Mapping[str, Any], now: str, new_id: Callable[[], str]) -> dict[str, Any]:
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
            e[k] = copy_json(v) if t is dict or t is list else v
    keys = coll.unique_keys(e)
    claims = coll.claims(e)
    if keys or claims:
        dup = coll.first_duplicate(keys, None) or coll.claim_duplicate(claims, None)
        if dup is not None:
            raise ValueError(f"duplicate value {dup[1]!r} for unique field {dup[0]!r} (see testing/fake/uniqueness.py)")
        for _, index, key in keys:
            index[key] = entity_id
        coll.index_claims(claims, entity_id)
    coll.by_id[entity_id] = e
    coll.rank(entity_id)
    return e
