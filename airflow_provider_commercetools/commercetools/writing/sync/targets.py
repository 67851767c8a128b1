"""The target resources of a chunk of drafts, fetched by key in batches: one request per batch, batches in parallel.

A draft is matched to its target by the fields of its :attr:`~.types.SyncType.match`: ``key`` for most
types (``where=key in ("a", "b", ...)``), ``sku`` of any variant for products with ``match_by="sku"``
(``masterData(staged(masterVariant(sku in (...)) or variants(sku in (...))))``), ``sku`` and the supply
channel's key for inventory entries (``sku in (...)``, the channel compared by key), ``container`` and
``key`` for custom objects (``container = "c" and key in (...)``). Each batch is read through the paging
engine (:func:`~airflow_provider_commercetools.commercetools.reading.paging.iter_entities`): a batch of
at most 500 matches is one request. :class:`CountingClient` counts every request the sync sends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from airflow_provider_commercetools.commercetools.reading.paging import iter_entities
from airflow_provider_commercetools.commercetools.reading.predicates import quote_string
from airflow_provider_commercetools.commercetools.writing.sync.references import DEFAULT_BATCH_SIZE, ReferenceCache

Identity = tuple[str, ...]
READ_METHODS = frozenset({"GET", "HEAD"})


class CountingClient:
    """A client that counts the requests sent through it (reads: GET/HEAD; writes: the rest); thread-safe.

    Everything else is the wrapped client's (its config, its session). A request the transport retries
    counts once: these are the requests the sync decided to send.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.reads = 0
        self.writes = 0
        self.write_log: list[str] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        with self._lock:
            if method.upper() in READ_METHODS:
                self.reads += 1
            else:
                self.writes += 1
        return self._client.request(method, path, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def counts(self) -> dict[str, int]:
        return {"read": self.reads, "write": self.writes}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _variants(product: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A product draft's or a product's (staged) variants."""
    data = product.get("masterData")
    if isinstance(data, Mapping):
        staged = data.get("staged")
        product = staged if isinstance(staged, Mapping) else {}
    master = product.get("masterVariant")
    others = product.get("variants")
    found = [master] if isinstance(master, Mapping) else []
    found += [v for v in others if isinstance(v, Mapping)] if isinstance(others, list) else []
    return found


class Matcher:
    """Identities of drafts and targets, and the batched reads of the targets of some identities.

    :param entity: the endpoint of the resources (``categories``...).
    :param fields: the draft fields that identify the target (the sync type's ``match``; ``("sku",)`` for
        products matched by sku).
    :param context: the reference cache (the supply channel of inventory entries is compared by key).
    """

    def __init__(self, entity: str, fields: Sequence[str], context: ReferenceCache) -> None:
        self.entity = entity
        self.fields = tuple(fields)
        self.context = context
        self.by_sku = entity == "products" and self.fields == ("sku",)

    # -- identities ------------------------------------------------------------------------------

    def draft_identities(self, draft: Mapping[str, Any]) -> list[Identity]:
        """What identifies a draft's target (several for products by sku: one per variant sku).

        :raises ValueError: the draft lacks a field it is matched by (the message says which).
        """
        if self.by_sku:
            skus = [sku for v in _variants(draft) if (sku := _text(v.get("sku")))]
            if not skus:
                raise ValueError("has no variant with a 'sku' (match_by='sku')")
            return [(sku,) for sku in skus]
        values: list[str] = []
        for name in self.fields:
            value = draft.get(name)
            if isinstance(value, Mapping):  # a reference (the supply channel): by key, or none
                value = value.get("key")
                if not _text(value):
                    raise ValueError(f"references its {name!r} without a 'key'")
                values.append(str(value))
            elif value is None and name == "supplyChannel":
                values.append("")  # no supply channel
            elif _text(value):
                values.append(str(value))
            else:
                raise ValueError(f"has no {name!r} to match its target by")
        return [tuple(values)]

    def target_identities(self, resource: Mapping[str, Any]) -> list[Identity]:
        """What identifies a target resource (products by sku: every sku of its staged variants)."""
        if self.by_sku:
            return [(sku,) for v in _variants(resource) if (sku := _text(v.get("sku")))]
        values: list[str] = []
        for name in self.fields:
            value = resource.get(name)
            if isinstance(value, Mapping):
                key = _text(value.get("key"))
                if key is None and _text(value.get("id")):
                    key = self.context.key_of(str(value.get("typeId")), str(value["id"]))
                if key is None:
                    return []
                values.append(key)
            elif value is None and name == "supplyChannel":
                values.append("")
            elif _text(value):
                values.append(str(value))
            else:
                return []  # no key: never matched (and never pruned)
        return [tuple(values)]

    def describe(self, identity: Identity) -> dict[str, str]:
        """The identity for the plan and the records: ``{"key": "shoes"}``."""
        return dict(zip(self.fields, identity, strict=False))

    # -- reads -----------------------------------------------------------------------------------

    def predicates(self, identities: Iterable[Identity], batch_size: int) -> list[str]:
        """One ``where`` per batch of at most ``batch_size`` identities."""
        unique = sorted(set(identities))
        if self.by_sku:
            return [
                "masterData(staged(masterVariant(sku in ({0})) or variants(sku in ({0}))))".format(
                    ", ".join(quote_string(i[0]) for i in batch)
                )
                for batch in _chunks(unique, batch_size)
            ]
        first = self.fields[0]
        if len(self.fields) == 1 or self.fields[1] == "supplyChannel":
            values = sorted({i[0] for i in unique})
            return [
                f"{first} in ({', '.join(quote_string(v) for v in batch)})" for batch in _chunks(values, batch_size)
            ]
        grouped: dict[str, list[str]] = {}
        for identity in unique:
            grouped.setdefault(identity[0], []).append(identity[1])
        second = self.fields[1]
        return [
            f"{first} = {quote_string(group)} and {second} in ({', '.join(quote_string(v) for v in batch)})"
            for group, values in sorted(grouped.items())
            for batch in _chunks(values, batch_size)
        ]

    def fetch(
        self, client: Any, identities: Iterable[Identity], *, batch_size: int = DEFAULT_BATCH_SIZE, max_workers: int = 1
    ) -> dict[Identity, dict[str, Any]]:
        """The targets of these identities, by identity (absent: no target), one request per batch, in parallel."""
        predicates = self.predicates(identities, batch_size)

        def read(where: str) -> list[dict[str, Any]]:
            return list(iter_entities(client, self.entity, query={"where": where}))

        if len(predicates) > 1 and max_workers > 1:
            with ThreadPoolExecutor(min(max_workers, len(predicates)), thread_name_prefix="commercetools-sync") as pool:
                pages = list(pool.map(read, predicates))
        else:
            pages = [read(where) for where in predicates]
        channels = [
            ("channel", str(r["supplyChannel"]["id"]))
            for page in pages
            for r in page
            if isinstance(r.get("supplyChannel"), Mapping) and _text(r["supplyChannel"].get("id"))
        ]
        self.context.load_ids(channels)  # inventory entries are matched by their channel's key
        found: dict[Identity, dict[str, Any]] = {}
        for page in pages:
            for resource in page:
                for identity in self.target_identities(resource):
                    found.setdefault(identity, resource)
        return found


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
