"""The fake commercetools HTTP API: resources with create / read / query / update / delete, custom objects, scoping."""

from __future__ import annotations

import bisect
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from airflow_provider_commercetools.testing.fake.auth import FakeAuth
from airflow_provider_commercetools.testing.fake.http import (
    _READ_METHODS,
    _bad_request,
    _conflict,
    _dumps,
    _HttpError,
    _invalid_json,
    _method_not_allowed,
    _not_found,
    _now_iso,
    _oauth_error_body,
    _Response,
)
from airflow_provider_commercetools.testing.fake.store import (
    _SYSTEM_FIELDS,
    _apply_action,
    _copy,
    _sort_entities,
    _type_id,
)
from airflow_provider_commercetools.testing.predicates import (
    Compare,
    Literal,
    Node,
    PredicateError,
    Var,
    bind,
    conjuncts,
    parse_where,
)

MAX_LIMIT = 500
MAX_OFFSET = 10_000

_SCOPED_PATHS = {"in-store": ("store", "store"), "in-business-unit": ("businessUnit", "business-unit")}


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _bad_request("InvalidInput", f"Malformed parameter: {name}: '{raw}' is not a valid integer.") from None


def _last(query: Mapping[str, list[str]], name: str) -> str | None:
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
    raw = _last(query, "limit")
    limit = 20 if raw is None else _parse_int("limit", raw)
    if limit > MAX_LIMIT:
        raise _bad_request("InvalidInput", f"The limit must not be greater than {MAX_LIMIT}.")
    if limit < 0:
        raise _bad_request("InvalidInput", "The limit must not be negative.")
    raw = _last(query, "offset")
    offset = 0 if raw is None else _parse_int("offset", raw)
    if offset > MAX_OFFSET:
        raise _bad_request("InvalidInput", f"The offset must not be greater than {MAX_OFFSET}.")
    if offset < 0:
        raise _bad_request("InvalidInput", "The offset must not be negative.")
    raw = _last(query, "withTotal")
    if raw is None or raw.lower() == "true":
        with_total = True
    elif raw.lower() == "false":
        with_total = False
    else:
        raise _bad_request("InvalidInput", f"Malformed parameter: withTotal: '{raw}' is not a boolean.")
    sorts: list[tuple[tuple[str, ...], bool]] = []
    for text in query.get("sort", []):
        parts = text.split()
        if not parts or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise _bad_request(
                "InvalidInput", f"Malformed parameter: sort: '{text}' (expected 'field asc' or 'field desc')."
            )
        path = tuple(parts[0].split("."))
        if any(not p for p in path):
            raise _bad_request("InvalidInput", f"Malformed parameter: sort: '{text}' has an empty field name.")
        sorts.append((path, len(parts) == 2 and parts[1].lower() == "desc"))
    where: list[Node] = []
    for text in query.get("where", []):
        try:
            where.append(parse_where(text))
        except PredicateError as exc:
            raise _bad_request("InvalidInput", f"Malformed parameter: where: {exc}") from None
    variables = {k[4:]: v for k, v in query.items() if k.startswith("var.") and len(k) > 4}
    return _ListParams(limit, offset, with_total, sorts, where, variables)


#: ``(change, resource, entity, previous)``: told of every write the HTTP API applies; ``change`` is
#: "created", "updated" or "deleted", ``entity`` the stored entity after the write (the deleted one for a
#: delete), ``previous`` the one before (None for a create). Called with the lock held.
WriteListener = Callable[[str, str, dict[str, Any], "dict[str, Any] | None"], None]


class FakeHttpApi(FakeAuth):
    """The project API (mixed into FakeCommercetools)."""

    _write_listeners: list[WriteListener]

    def on_write(self, listener: WriteListener) -> None:
        """Call ``listener`` after every create, update and delete (e.g. to produce Messages)."""
        with self._lock:
            self._write_listeners.append(listener)

    def _emit(self, change: str, resource: str, entity: dict[str, Any], previous: dict[str, Any] | None) -> None:
        for listener in self._write_listeners:
            listener(change, resource, entity, previous)

    def _api(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> _Response:
        parts = [unquote(p) for p in path.strip("/").split("/")] if path.strip("/") else []
        if not parts:
            raise _not_found(f"The endpoint '{path}' was not found.")
        scopes = self._token_scopes(headers)
        if parts[0] != self.project_key:
            message = (
                f"Insufficient scope. The access token does not grant access to project '{parts[0]}'. "
                f"One of the following scopes is missing: manage_project:{parts[0]}"
            )
            raise _HttpError(403, _oauth_error_body(403, "insufficient_scope", message))
        rest = parts[1:]
        scoped: tuple[str, str, str] | None = None  # (entity field, key, typeId)
        if len(rest) >= 2 and rest[0] in _SCOPED_PATHS and rest[1].startswith("key="):
            field_name, type_id = _SCOPED_PATHS[rest[0]]
            scoped = (field_name, rest[1][4:], type_id)
            rest = rest[2:]
        if not rest:
            if scoped is not None:
                raise _not_found(f"The endpoint '{path}' was not found.")
            self._check_scope(scopes, method, None, None)
            if method not in _READ_METHODS:
                raise _method_not_allowed(method, path)
            return _Response(200, _dumps(self._project()))
        resource = rest[0]
        store = scoped[1] if scoped is not None and scoped[0] == "store" else None
        self._check_scope(scopes, method, resource, store)
        if resource == "custom-objects" and scoped is None:
            return self._custom_objects(method, path, rest[1:], query, body)
        if len(rest) == 1:
            if method in _READ_METHODS:
                return self._list(resource, query, scoped, method == "HEAD")
            if method == "POST":
                return self._create(resource, body, scoped)
            raise _method_not_allowed(method, path)
        if len(rest) == 2:
            if method in _READ_METHODS:
                with self._lock:
                    entity = self._lookup(resource, rest[1], scoped)
                return _Response(200, _dumps(entity))
            if method == "POST":
                return self._update(resource, rest[1], body, scoped)
            if method == "DELETE":
                return self._delete(resource, rest[1], query, scoped)
            raise _method_not_allowed(method, path)
        raise _not_found(f"The endpoint '{path}' was not found.")

    def _project(self) -> dict[str, Any]:
        pk = self.project_key
        return {
            "key": pk,
            "name": f"Test project {pk}",
            "countries": ["DE", "US"],
            "currencies": ["EUR", "USD"],
            "languages": ["en", "de"],
            "createdAt": self._created_at,
            "version": 1,
            "messages": {"enabled": True, "deleteDaysAfterCreation": 15},
        }

    @staticmethod
    def _in_scope(entity: Mapping[str, Any], scoped: tuple[str, str, str] | None) -> bool:
        if scoped is None:
            return True
        ref = entity.get(scoped[0])
        return isinstance(ref, dict) and ref.get("key") == scoped[1]

    def _lookup(self, resource: str, ident: str, scoped: tuple[str, str, str] | None) -> dict[str, Any]:
        """The stored entity for an id / key= / order-number= path segment (call with the lock held)."""
        coll = self._collections.get(resource)
        entity: dict[str, Any] | None = None
        if ident.startswith("key="):
            value = ident[4:]
            if coll is not None:
                entity = coll.find_unique(("key",), (value,))
            missing = f"The Resource with key '{value}' was not found."
        elif resource == "orders" and ident.startswith("order-number="):
            value = ident[len("order-number=") :]
            if coll is not None:
                entity = coll.find_unique(("orderNumber",), (value,))
            missing = f"The Resource with order number '{value}' was not found."
        else:
            if coll is not None:
                entity = coll.by_id.get(ident)
            missing = f"The Resource with ID '{ident}' was not found."
        if entity is None or not self._in_scope(entity, scoped):
            raise _not_found(missing)
        return entity

    @staticmethod
    def _parse_json_object(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, ValueError) as exc:
            raise _invalid_json(f"Malformed JSON: {exc}.") from None
        if not isinstance(data, dict):
            raise _invalid_json("The body must be a JSON object.")
        return data

    @staticmethod
    def _duplicate_error(resource: str, dup: tuple[str, Any, str]) -> _HttpError:
        field_name, value, other = dup
        message = f"A duplicate value '{json.dumps(value)}' exists for field '{field_name}'."
        return _bad_request(
            "DuplicateField",
            message,
            field=field_name,
            duplicateValue=value,
            conflictingResource={"typeId": _type_id(resource), "id": other},
        )

    def _create(self, resource: str, body: bytes, scoped: tuple[str, str, str] | None) -> _Response:
        draft = self._parse_json_object(body)
        now = _now_iso()
        entity: dict[str, Any] = {"id": str(uuid.uuid4()), "version": 1, "createdAt": now, "lastModifiedAt": now}
        for k, v in draft.items():
            if k not in _SYSTEM_FIELDS:
                entity[k] = v
        if scoped is not None:
            entity[scoped[0]] = {"typeId": scoped[2], "key": scoped[1]}
        with self._lock:
            coll = self._collection(resource)
            dup = coll.duplicate(entity)
            if dup is not None:
                raise self._duplicate_error(resource, dup)
            coll.insert(entity)
            self._emit("created", resource, entity, None)
        payload: Any = {"customer": entity} if resource == "customers" else entity
        return _Response(201, _dumps(payload))

    @staticmethod
    def _expected_version(data: Mapping[str, Any], required: bool = True) -> int | None:
        if "version" not in data or data["version"] is None:
            if required:
                raise _invalid_json("version: Missing required value.")
            return None
        version = data["version"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise _invalid_json(f"version: JSON number expected, got {json.dumps(version)}.")
        return version

    def _update(self, resource: str, ident: str, body: bytes, scoped: tuple[str, str, str] | None) -> _Response:
        data = self._parse_json_object(body)
        version = self._expected_version(data)
        actions = data.get("actions")
        if not isinstance(actions, list):
            if actions is None:
                raise _invalid_json("actions: Missing required value.")
            raise _invalid_json("actions: JSON array expected.")
        with self._lock:
            current = self._lookup(resource, ident, scoped)
            if version != current["version"]:
                raise _conflict(current["id"], version or 0, current["version"])
            new = _copy(current)
            for i, action in enumerate(actions):
                _apply_action(new, action, i)
            new["version"] = current["version"] + 1
            new["lastModifiedAt"] = _now_iso()
            coll = self._collection(resource)
            dup = coll.duplicate(new, ignore_id=new["id"])
            if dup is not None:
                raise self._duplicate_error(resource, dup)
            coll.replace(current, new)
            self._emit("updated", resource, new, current)
        return _Response(200, _dumps(new))

    def _delete(
        self, resource: str, ident: str, query: Mapping[str, list[str]], scoped: tuple[str, str, str] | None
    ) -> _Response:
        raw = _last(query, "version")
        if raw is None:
            raise _bad_request("InvalidInput", "Missing version")
        version = _parse_int("version", raw)
        with self._lock:
            current = self._lookup(resource, ident, scoped)
            if version != current["version"]:
                raise _conflict(current["id"], version, current["version"])
            self._collection(resource).remove(current)
            self._emit("deleted", resource, current, current)
        return _Response(200, _dumps(current))

    # custom objects ----------------------------------------------------------------------------
    def _custom_objects(
        self, method: str, path: str, rest: list[str], query: dict[str, list[str]], body: bytes
    ) -> _Response:
        resource = "custom-objects"
        if not rest:
            if method in _READ_METHODS:
                return self._list(resource, query, None, method == "HEAD")
            if method == "POST":
                return self._upsert_custom_object(body)
            raise _method_not_allowed(method, path)
        if len(rest) == 1:
            if method in _READ_METHODS:
                container = rest[0]
                extra: Callable[[dict[str, Any]], bool] = lambda e: e.get("container") == container  # noqa: E731
                return self._list(resource, query, None, method == "HEAD", extra)
            raise _method_not_allowed(method, path)
        if len(rest) == 2:
            container, key = rest
            missing = f"The CustomObject with container '{container}' and key '{key}' was not found."
            if method in _READ_METHODS:
                with self._lock:
                    coll = self._collections.get(resource)
                    entity = None if coll is None else coll.find_unique(("container", "key"), (container, key))
                if entity is None:
                    raise _not_found(missing)
                return _Response(200, _dumps(entity))
            if method == "DELETE":
                raw = _last(query, "version")
                version = None if raw is None else _parse_int("version", raw)
                with self._lock:
                    coll = self._collections.get(resource)
                    entity = None if coll is None else coll.find_unique(("container", "key"), (container, key))
                    if entity is None:
                        raise _not_found(missing)
                    if version is not None and version != entity["version"]:
                        raise _conflict(entity["id"], version, entity["version"])
                    self._collection(resource).remove(entity)
                    self._emit("deleted", resource, entity, entity)
                return _Response(200, _dumps(entity))
            raise _method_not_allowed(method, path)
        raise _not_found(f"The endpoint '{path}' was not found.")

    def _upsert_custom_object(self, body: bytes) -> _Response:
        data = self._parse_json_object(body)
        for name in ("container", "key"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise _invalid_json(f"{name}: Missing required value (a non-empty string).")
        if data.get("value") is None:
            raise _invalid_json("value: Missing required value.")
        version = self._expected_version(data, required=False)
        container, key = data["container"], data["key"]
        now = _now_iso()
        with self._lock:
            coll = self._collection("custom-objects")
            current = coll.find_unique(("container", "key"), (container, key))
            if current is None:
                entity: dict[str, Any] = {
                    "id": str(uuid.uuid4()),
                    "version": 1,
                    "createdAt": now,
                    "lastModifiedAt": now,
                    "container": container,
                    "key": key,
                    "value": data["value"],
                }
                coll.insert(entity)
                self._emit("created", "custom-objects", entity, None)
                return _Response(201, _dumps(entity))
            if version is not None and version != current["version"]:
                raise _conflict(current["id"], version, current["version"])
            new = dict(current)
            new["value"] = data["value"]
            new["version"] = current["version"] + 1
            new["lastModifiedAt"] = now
            coll.replace(current, new)
            self._emit("updated", "custom-objects", new, current)
        return _Response(200, _dumps(new))

    # queries -----------------------------------------------------------------------------------
    def _list(
        self,
        resource: str,
        query: dict[str, list[str]],
        scoped: tuple[str, str, str] | None,
        head_only: bool,
        extra: Callable[[dict[str, Any]], bool] | None = None,
    ) -> _Response:
        params = _list_params(query)
        sorts = params.sorts
        id_sort = len(sorts) == 1 and sorts[0][0] == ("id",)
        lo_value: tuple[str, bool] | None = None  # (value, inclusive)
        hi_value: tuple[str, bool] | None = None
        residual: list[Node] = []
        for node in (c for w in params.where for c in conjuncts(w)):
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
            raise _bad_request("InvalidInput", f"Malformed parameter: where: {exc}") from None
        if scoped is not None:
            field_name, scope_key = scoped[0], scoped[1]

            def in_scope(e: dict[str, Any]) -> bool:
                ref = e.get(field_name)
                return type(ref) is dict and ref.get("key") == scope_key

            checks.append(in_scope)
        if extra is not None:
            checks.insert(0, extra)
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
        with self._lock:
            coll = self._collections.get(resource)
            if coll is None:
                pass
            elif id_sort:
                ids, by_id = coll.ids, coll.by_id
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
                for e in coll.by_id.values():
                    if matched >= need and not with_total:
                        break
                    if pred is not None and not pred(e):
                        continue
                    matched += 1
                    if offset < matched <= need:
                        page.append(e)
            else:
                items = [e for e in coll.by_id.values() if pred is None or pred(e)]
                matched = len(items)
                page = _sort_entities(items, sorts)[offset:need]
        if head_only:
            return _Response(200 if matched else 404)
        result: dict[str, Any] = {"limit": limit, "offset": offset, "count": len(page)}
        if with_total:
            result["total"] = matched
        result["results"] = page
        return _Response(200, _dumps(result))


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
