"""The fake commercetools HTTP API: resources with create / read / query / update / delete, custom objects, scoping."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

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
from airflow_provider_commercetools.testing.fake.listing import FakeListing, _last, _parse_int
from airflow_provider_commercetools.testing.fake.store import (
    _SYSTEM_FIELDS,
    _apply_action,
    _copy,
    _type_id,
)

_SCOPED_PATHS = {"in-store": ("store", "store"), "in-business-unit": ("businessUnit", "business-unit")}


#: ``(change, resource, entity, previous)``: told of every write the HTTP API applies; ``change`` is
#: "created", "updated" or "deleted", ``entity`` the stored entity after the write (the deleted one for a
#: delete), ``previous`` the one before (None for a create). Called with the lock held.
WriteListener = Callable[[str, str, dict[str, Any], "dict[str, Any] | None"], None]


class FakeHttpApi(FakeListing):
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
