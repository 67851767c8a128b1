"""Index look-ups for queries: a ``where`` that pins ``key`` or ``id`` reads those entities directly.

A conjunct ``key in (...)``, ``key = ...``, ``id in (...)`` or ``id = ...`` (literals or ``:variables``)
names the only entities that can match; :func:`candidate_ids` returns their ids from the collection's
id map or unique ``key`` index instead of a scan. The conjunct stays in the query's filter (every
candidate is still checked against the whole ``where``), and :meth:`Listing.page` lists candidates
in the order a scan meets them, so results, sort, paging and ``total`` are those of the scan.

``id`` and ``key`` are unique strings (api-specs/api/types/common/BaseResource.raml, each resource's
``key?: string``), so a value names at most one entity; the index holds only string (and int) values,
so an entity whose key is not a string (never one commercetools stores) is not found by it. The scan
made the sync's batched ``key in (...)`` reads O(collection) each on the fake (BENCHMARKS.md); how
commercetools answers them is not documented and not claimed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from airflow_provider_commercetools.testing.fake.store import Collection
from airflow_provider_commercetools.testing.predicates import Compare, In, Literal, Node, Var

_INDEXED = (("id",), ("key",))


def _values(operands: Iterable[Literal | Var], variables: Mapping[str, Sequence[str]]) -> list[str] | None:
    """The operands' string values (variables expanded); None when one is not a string or unbound."""
    out: list[str] = []
    for operand in operands:
        if isinstance(operand, Literal):
            if type(operand.value) is not str:
                return None
            out.append(operand.value)
        else:
            values = variables.get(operand.name)
            if values is None:
                return None  # binding the filter reports the missing variable
            out.extend(values)
    return out


def _pinned(node: Node, variables: Mapping[str, Sequence[str]]) -> tuple[str, list[str]] | None:
    """``(field, values)`` when ``node`` holds only for entities whose ``key`` / ``id`` is one of the values."""
    if isinstance(node, Compare) and node.op == "=" and node.path in _INDEXED:
        values = _values((node.operand,), variables)
    elif isinstance(node, In) and not node.negate and node.path in _INDEXED:
        values = _values(node.operands, variables)
    else:
        return None
    return None if values is None else (node.path[0], values)


def candidate_ids(coll: Collection, nodes: Iterable[Node], variables: Mapping[str, Sequence[str]]) -> list[str] | None:
    """Ids of every entity that can match all ``nodes`` (ANDed), or None when none of them pins key / id.

    Of several pinning conjuncts the one with the fewest candidates is used; a collection without a
    unique ``key`` index (custom objects: key is unique per container) is not looked up by key.
    """
    best: list[str] | None = None
    for node in nodes:
        pinned = _pinned(node, variables)
        if pinned is None:
            continue
        field_name, values = pinned
        if field_name == "id":
            by_id = coll.by_id
            found = [v for v in dict.fromkeys(values) if v in by_id]
        else:
            index = coll.unique.get(("key",))
            if index is None:
                continue
            found = [i for i in (index.get(v) for v in dict.fromkeys(values)) if i is not None]
        if best is None or len(found) < len(best):
            best = found
    return best
