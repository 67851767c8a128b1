"""Listing a collection in the fake HTTP API: limit / offset / withTotal / sort / where (with var.*), scoping."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from airflow_provider_commercetools.testing.fake.http import CLOCK, Response, bad_request, dumps, iso_at
from airflow_provider_commercetools.testing.fake.indexed import candidate_ids
from airflow_provider_commercetools.testing.fake.store import Collection, Store
from airflow_provider_commercetools.testing.predicate_eval import bind
from airflow_provider_commercetools.testing.predicates import (
    Compare,
    Literal,
    Node,
    PredicateError,
    Var,
    conjuncts,
    parse_where,
)

MAX_LIMIT = 500
MAX_OFFSET = 10_000


#: ``{"limit", "offset", "count", ["total",] "results"} -> bytes``: how a page of query results is encoded
PageEncoder = Callable[[dict[str, Any]], bytes]
#: ``(entity field, key, typeId)`` of an in-store / in-business-unit path
Scope = tuple[str, str, str]


def parse_int(name: str, raw: str) -> int:
    """``raw`` as an integer; a 400 naming the parameter ``name`` if it is not one."""
    try:
        return int(raw)
    except ValueError:
        raise bad_request("InvalidInput", f"Malformed parameter: {name}: '{raw}' is not a valid integer.") from None


def last_value(query: Mapping[str, list[str]], name: str) -> str | None:
    """The last value of query parameter ``name`` (None if absent)."""
    values = query.get(name)
    return values[-1] if values else None


@dataclass
class _ListParams:
    limit: int
    offset: int
    with_total: bool
    sorts: list[tuple[tuple[str, ...], bool]]
    where: list[Node]
    variables: dict[str, list[str]]


def _list_params(query: Mapping[str, list[str]]) -> _ListParams:
    raw = last_value(query, "limit")
    limit = 20 if raw is None else parse_int("limit", raw)
    if limit > MAX_LIMIT:
        raise bad_request("InvalidInput", f"The limit must not be greater than {MAX_LIMIT}.")
    if limit < 0:
        raise bad_request("InvalidInput", "The limit must not be negative.")
    raw = last_value(query, "offset")
    offset = 0 if raw is None else parse_int("offset", raw)
    if offset > MAX_OFFSET:
        raise bad_request("InvalidInput", f"The offset must not be greater than {MAX_OFFSET}.")
    if offset < 0:
        raise bad_request("InvalidInput", "The offset must not be negative.")
    raw = last_value(query, "withTotal")
    if raw is None or raw.lower() == "true":
        with_total = True
    elif raw.lower() == "false":
        with_total = False
    else:
        raise bad_request("InvalidInput", f"Malformed parameter: withTotal: '{raw}' is not a boolean.")
    sorts: list[tuple[tuple[str, ...], bool]] = []
    for text in query.get("sort", []):
        parts = text.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise bad_request(
                "InvalidInput", f"Malformed parameter: sort: '{text}' (expected 'field asc' or 'field desc')."
            )
        path = tuple(parts[0].split("."))
        if any(not p for p in path):
            raise bad_request("InvalidInput", f"Malformed parameter: sort: '{text}' has an empty field name.")
        sorts.append((path, len(parts) == 2 and parts[1].lower() == "desc"))
    where: list[Node] = []
    for text in query.get("where", []):
        try:
            where.append(parse_where(text))
        except PredicateError as exc:
            raise bad_request("InvalidInput", f"Malformed parameter: where: {exc}") from None
    variables = {k[4:]: v for k, v in query.items() if k.startswith("var.") and len(k) > 4}
    return _ListParams(limit, offset, with_total, sorts, where, variables)


def in_scope(entity: Mapping[str, Any], scoped: Scope | None) -> bool:
    """Whether ``entity`` belongs to the store / business unit of a scoped path (always, unscoped)."""
    if scoped is None:
        return True
    ref = entity.get(scoped[0])
    return isinstance(ref, dict) and ref.get("key") == scoped[1]


class Listing:
    """Query endpoints of the store's collections; pages are encoded with :attr:`encode_page`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: encodes every page answered (a hook for benchmarks: e.g. to cache each entity's JSON)
        self.encode_page: PageEncoder = dumps
        #: seconds after its ``lastModifiedAt`` before a write shows in query results (0: at once)
        self.visibility_delay = 0.0

    def _visible(self) -> Callable[[dict[str, Any]], bool] | None:
        """Hides writes younger than :attr:`visibility_delay` on the server's clock.

        commercetools stamps ``lastModifiedAt`` (and a Message's ``createdAt``) on one of its distributed
        API nodes, and its queries are eventually consistent: a write can show in query results only
        some time after its stamp (which is why commercetools-project-sync keeps its watermark 2 minutes
        back, "since CTP timestamps are created on distributed APIs", and why Messages readers overlap).
        The fake hides such an entity from queries altogether (commercetools would still show its
        previous version, with an older ``lastModifiedAt``: outside any later window either way).
        """
        if self.visibility_delay <= 0:
            return None
        cutoff = iso_at(CLOCK.time() - self.visibility_delay)
        return lambda e: str(e.get("lastModifiedAt", "")) <= cutoff

    def page(
        self,
        resource: str,
        query: dict[str, list[str]],
        scoped: Scope | None,
        head_only: bool,
        extra: Callable[[dict[str, Any]], bool] | None = None,
    ) -> Response:
        """The answer to a query of ``resource`` (``extra``: a further filter, e.g. a custom-object container)."""
        params = _list_params(query)
        sorts = params.sorts
        id_sort = len(sorts) == 1 and sorts[0][0] == ("id",)
        lo_value: tuple[str, bool] | None = None  # (value, inclusive)
        hi_value: tuple[str, bool] | None = None
        residual: list[Node] = []
        nodes = [c for w in params.where for c in conjuncts(w)]
        for node in nodes:
            bound = _id_bound(node, params.variables) if id_sort else None
            if bound is None:
                residual.append(node)
                continue
            op, value = bound
            if op in (">", ">=", "="):
                cand = (value, op != ">")
                if lo_value is None or cand[0] > lo_value[0] or (cand[0] == lo_value[0] and not cand[1]):
                    lo_value = cand
            if op in ("<", "<=", "="):
                cand = (value, op != "<")
                if hi_value is None or cand[0] < hi_value[0] or (cand[0] == hi_value[0] and not cand[1]):
                    hi_value = cand
        try:
            checks = [bind(node, params.variables) for node in residual]
        except PredicateError as exc:
            raise bad_request("InvalidInput", f"Malformed parameter: where: {exc}") from None
        if scoped is not None:
            field_name, scope_key = scoped[0], scoped[1]

            def in_the_scope(e: dict[str, Any]) -> bool:
                ref = e.get(field_name)
                return type(ref) is dict and ref.get("key") == scope_key

            checks.append(in_the_scope)
        if extra is not None:
            checks.insert(0, extra)
        visible = self._visible()
        if visible is not None:
            checks.insert(0, visible)
        pred: Callable[[dict[str, Any]], bool] | None
        if not checks:
            pred = None
        elif len(checks) == 1:
            pred = checks[0]
        else:
            pred = lambda e: all(c(e) for c in checks)  # noqa: E731

        limit, offset, with_total = params.limit, params.offset, params.with_total
        need = offset + limit
        page: list[dict[str, Any]] = []
        matched = 0
        with self.store.lock:
            coll = self.store.get(resource)
            # a where pinning key / id: only those entities, in the order a scan meets them (indexed.py)
            found = None if coll is None else candidate_ids(coll, nodes, params.variables)
            if coll is None:
                pass
            elif id_sort:
                ids, by_id = coll.ids if found is None else sorted(found), coll.by_id
                lo = 0
                hi = len(ids)
                if lo_value is not None:
                    lo = (bisect.bisect_left if lo_value[1] else bisect.bisect_right)(ids, lo_value[0])
                if hi_value is not None:
                    hi = (bisect.bisect_right if hi_value[1] else bisect.bisect_left)(ids, hi_value[0])
                positions = range(lo, hi) if not sorts[0][1] else range(hi - 1, lo - 1, -1)
                for i in positions:
                    if matched >= need and not with_total:
                        break
                    e = by_id[ids[i]]
                    if pred is not None and not pred(e):
                        continue
                    matched += 1
                    if offset < matched <= need:
                        page.append(e)
            elif not sorts:
                for e in _in_creation_order(coll, found):
                    if matched >= need and not with_total:
                        break
                    if pred is not None and not pred(e):
                        continue
                    matched += 1
                    if offset < matched <= need:
                        page.append(e)
            else:
                items = [e for e in _in_creation_order(coll, found) if pred is None or pred(e)]
                matched = len(items)
                page = _sort_entities(items, sorts)[offset:need]
        if head_only:
            return Response(200 if matched else 404)
        result: dict[str, Any] = {"limit": limit, "offset": offset, "count": len(page)}
        if with_total:
            result["total"] = matched
        result["results"] = page
        return Response(200, self.encode_page(result))


def _in_creation_order(coll: Collection, found: list[str] | None) -> Iterable[dict[str, Any]]:
    """The collection's entities in creation order (only those with the ``found`` ids, when given)."""
    if found is None:
        return coll.by_id.values()
    by_id = coll.by_id
    return [by_id[i] for i in sorted(found, key=coll.order.__getitem__)]


def _id_bound(node: Node, variables: Mapping[str, list[str]]) -> tuple[str, str] | None:
    """``(op, value)`` when ``node`` is ``id <op> "<string>"`` usable as a range bound."""
    if not isinstance(node, Compare) or node.path != ("id",) or node.op not in (">", ">=", "<", "<=", "="):
        return None
    operand = node.operand
    if isinstance(operand, Literal):
        value = operand.value
    elif isinstance(operand, Var):
        values = variables.get(operand.name)
        if not values or len(values) != 1:
            return None
        value = values[0]
    else:  # pragma: no cover
        return None
    return (node.op, value) if isinstance(value, str) else None


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
    """Stable multi-key sort; entities missing a field sort last for either direction.

    Several ``sort`` parameters sort by several fields, the later ones breaking the ties of the earlier
    (api-specs/api/types/common/Sort.raml, commercetools/commercetools-api-reference commit 4055fc15c037):
    ``sort=lastModifiedAt asc&sort=id asc`` is the total order the modified-order keyset walks.
    Timestamps (``lastModifiedAt``, ``createdAt``) sort and compare as strings, as the emulator does:
    commercetools' order for the form it writes, UTC with milliseconds (``...T10:00:00.000Z``); the
    spec does not say how a literal of another form compares (docs/testing.md).
    """
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
