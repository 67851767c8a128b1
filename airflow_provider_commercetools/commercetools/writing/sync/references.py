"""References by key: a cache of key <-> id per referenced type, filled by batched look-ups (``key in (...)``,
``id in (...)``), and the references a draft makes.

Drafts name what they reference by key, as commercetools ResourceIdentifiers (``{"typeId": "category",
"key": "shoes"}``); the target resources read back name it by id. The builders compare the two through
:class:`ReferenceCache` (:meth:`~ReferenceCache.key_of`, :meth:`~ReferenceCache.id_of`), which the planner
fills beforehand for a whole chunk of drafts and targets, a request per batch of up to ``batch_size``
keys or ids (one GET per unknown reference only as the last resort). Creates and updates send the
key-based identifiers as they are (commercetools resolves them): a reference only has to exist when its
write is applied, which is what the ordering in :mod:`.plan` guarantees.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_provider_commercetools.commercetools.errors import NotFoundError
from airflow_provider_commercetools.commercetools.reading.paging import iter_entities
from airflow_provider_commercetools.commercetools.reading.predicates import quote_string

#: the typeId of a reference -> the endpoint of the referenced resources (only those looked up by key)
ENDPOINTS: Mapping[str, str] = {
    "category": "categories",
    "product": "products",
    "product-type": "product-types",
    "type": "types",
    "customer-group": "customer-groups",
    "channel": "channels",
    "tax-category": "tax-categories",
    "state": "states",
    "zone": "zones",
    "customer": "customers",
    "store": "stores",
    "shipping-method": "shipping-methods",
    "standalone-price": "standalone-prices",
    "inventory-entry": "inventory",
    "attribute-group": "attribute-groups",
    "business-unit": "business-units",
    "product-selection": "product-selections",
    "cart-discount": "cart-discounts",
    "product-discount": "product-discounts",
}
#: an endpoint -> the typeId of its resources (the resource type being synced, as referenced)
TYPE_IDS: Mapping[str, str] = {endpoint: type_id for type_id, endpoint in ENDPOINTS.items()}

#: ids or keys per look-up request (a ``where`` of 100 quoted keys stays well inside a URL's length)
DEFAULT_BATCH_SIZE = 100
#: cached look-ups per type kept before the cache starts over (bounds memory on a huge feed)
MAX_CACHED = 200_000

Reference = tuple[str, str]  # (typeId, key)


def references_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every reference or ResourceIdentifier (a dict with ``typeId`` and ``id`` or ``key``) inside ``value``."""
    if isinstance(value, Mapping):
        if isinstance(value.get("typeId"), str) and ("id" in value or "key" in value) and "obj" not in value:
            yield dict(value)
            return
        for inner in value.values():
            yield from references_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references_in(inner)


def keys_referenced(draft: Any) -> set[Reference]:
    """The (typeId, key) of every reference by key in a draft (references by id are taken as they are)."""
    return {
        (ref["typeId"], ref["key"])
        for ref in references_in(draft)
        if isinstance(ref.get("key"), str) and not isinstance(ref.get("id"), str)
    }


def ids_referenced(resource: Any) -> set[tuple[str, str]]:
    """The (typeId, id) of every reference by id in a resource read from commercetools."""
    return {(ref["typeId"], ref["id"]) for ref in references_in(resource) if isinstance(ref.get("id"), str)}


def _batches(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ReferenceCache:
    """The builders' :class:`~.types.BuildContext`: key <-> id of referenced resources, cached, looked up in batches.

    :param client: sends the look-ups (``client.request``; the sync's counting client).
    :param batch_size: keys or ids per look-up request.
    :param max_workers: look-up requests in parallel.
    """

    def __init__(self, client: Any, *, batch_size: int = DEFAULT_BATCH_SIZE, max_workers: int = 1) -> None:
        self.client = client
        self.batch_size = batch_size
        self.max_workers = max(1, max_workers)
        self._ids: dict[str, dict[str, str | None]] = {}  # typeId -> key -> id (None: does not exist)
        self._keys: dict[str, dict[str, str | None]] = {}  # typeId -> id -> key (None: no key / unknown)
        self._lock = threading.Lock()

    # -- the BuildContext ------------------------------------------------------------------------

    def key_of(self, type_id: str, id: str) -> str | None:
        """The key of the resource ``id`` of ``type_id`` (None: it has none, or it does not exist)."""
        known = self._keys.get(type_id, {})
        if id not in known:
            self.load_ids([(type_id, id)])  # not prefetched: one look-up
        return self._keys.get(type_id, {}).get(id)

    def id_of(self, type_id: str, key: str) -> str | None:
        """The id of the resource with ``key`` of ``type_id`` (None: it does not exist)."""
        known = self._ids.get(type_id, {})
        if key not in known:
            self.load_keys([(type_id, key)])
        return self._ids.get(type_id, {}).get(key)

    # -- filling -----------------------------------------------------------------------------------

    def note(self, type_id: str, resource: Mapping[str, Any]) -> None:
        """Remember a resource read or written (its id and key)."""
        id_, key = resource.get("id"), resource.get("key")
        if not isinstance(id_, str):
            return
        with self._lock:
            keys = self._keys.setdefault(type_id, {})
            if len(keys) >= MAX_CACHED:
                keys.clear()
            keys[id_] = key if isinstance(key, str) else None
            if isinstance(key, str):
                ids = self._ids.setdefault(type_id, {})
                if len(ids) >= MAX_CACHED:
                    ids.clear()
                ids[key] = id_

    def exists(self, type_id: str, key: str) -> bool:
        """Whether a resource with this key is known to exist (after :meth:`load_keys`); a type the cache cannot
        look up by key (not in :data:`ENDPOINTS`) counts as existing: commercetools checks it on the write."""
        return type_id not in ENDPOINTS or self._ids.get(type_id, {}).get(key) is not None

    def load_keys(self, references: Iterable[Reference]) -> None:
        """Look up, in batches, the ids of the referenced keys not cached yet (missing ones are cached as None)."""
        self._load(references, self._ids, "key")

    def load_ids(self, references: Iterable[tuple[str, str]]) -> None:
        """Look up, in batches, the keys of the referenced ids not cached yet."""
        self._load(references, self._keys, "id")

    def _load(self, references: Iterable[tuple[str, str]], cache: dict[str, dict[str, str | None]], field: str) -> None:
        wanted: dict[str, set[str]] = {}
        for type_id, value in references:
            if type_id in ENDPOINTS and value not in cache.get(type_id, {}):
                wanted.setdefault(type_id, set()).add(value)
        jobs = [(t, batch) for t, values in wanted.items() for batch in _batches(sorted(values), self.batch_size)]
        if not jobs:
            return
        run: Callable[[tuple[str, list[str]]], None] = lambda job: self._look_up(job[0], job[1], cache, field)  # noqa: E731
        if len(jobs) == 1 or self.max_workers == 1:
            for job in jobs:
                run(job)
            return
        with ThreadPoolExecutor(min(self.max_workers, len(jobs)), thread_name_prefix="commercetools-sync-refs") as pool:
            list(pool.map(run, jobs))

    def _look_up(self, type_id: str, values: list[str], cache: dict[str, dict[str, str | None]], field: str) -> None:
        endpoint = ENDPOINTS[type_id]
        where = f"{field} in ({', '.join(quote_string(v) for v in values)})"
        try:
            found = list(iter_entities(self.client, endpoint, query={"where": where}))
        except NotFoundError:
            found = []
        for resource in found:
            self.note(type_id, resource)
        with self._lock:
            known = cache.setdefault(type_id, {})
            for value in values:
                known.setdefault(value, None)
