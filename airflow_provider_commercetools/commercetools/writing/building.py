"""Items become validated requests, following commercetools and the entity table's write behaviour.

``POST`` to a collection creates (the payload is the draft), or upserts where the entity says so
(:attr:`Entity.post_to_collection`, custom objects); ``POST`` to one entity (``path`` with ``id``,
``key``...) updates with ``{"version", "actions"}``; ``DELETE`` to one entity sends ``version`` as a
query parameter (from ``query`` or the payload's ``version``); ``GET`` and ``HEAD`` read. The unique
values a lost create is looked up by are the entity's :attr:`Entity.lookup_by`. Nothing here names
an entity: a new entity's write behaviour is a row of the table in ``entities.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_commercetools.commercetools import entities
from airflow_provider_commercetools.commercetools.checks import (
    check_mapping,
    check_payload,
    check_query,
    check_target,
    short,
)
from airflow_provider_commercetools.commercetools.entities import (
    STORE_KEY,
    Entity,
    ResolvedPath,
    get_entity,
    resolve_path,
)
from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.writing.items import merge_item

METHODS: tuple[str, ...] = ("POST", "DELETE", "GET", "HEAD")
READ_METHODS = frozenset({"GET", "HEAD"})

# what a request does
READ = "read"
CREATE = entities.CREATE
UPSERT = entities.UPSERT  # e.g. custom objects: POST custom-objects with {container, key, value}
UPDATE = "update"
DELETE = "delete"
WRITE = "write"  # a POST to a raw endpoint that is not an update


def check_method(method: Any) -> str:
    if isinstance(method, str) and method.strip().upper() in METHODS:
        return method.strip().upper()
    raise ConfigurationError(
        "method",
        f"unknown method {short(method)}.",
        f"Use one of {', '.join(METHODS)} (POST creates or updates, DELETE deletes, GET/HEAD read).",
    )


def _version(parameter: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ConfigurationError(parameter, f"{short(value)} is not a version number.", "Give the entity's version.")


@dataclass(frozen=True)
class PublishDefaults:
    """The operator-level request: method, target, and default path / query / payload for every item."""

    method: str
    entity: Entity | None
    endpoint: str | None
    path: dict[str, Any]
    query: dict[str, Any]
    payload: Any

    @classmethod
    def create(
        cls,
        *,
        method: Any = "POST",
        entity: Any = None,
        endpoint: Any = None,
        path: Any = None,
        query: Any = None,
        payload: Any = None,
    ) -> PublishDefaults:
        """Validate rendered parameters (native values), naming the parameter in every error."""
        method = check_method(method)
        entity, endpoint = check_target(entity, endpoint)
        spec = get_entity(entity) if entity is not None else None
        if spec is not None and spec.read_only and method not in READ_METHODS:
            raise ConfigurationError("method", f"{spec.name} is read-only: {method} is not possible.", "Use GET.")
        check_payload("payload", payload)
        return cls(
            method=method,
            entity=spec,
            endpoint=endpoint,
            path=check_mapping("path", path),
            query=check_query("query", query),
            payload=payload,
        )

    @property
    def target(self) -> str:
        return self.entity.name if self.entity else str(self.endpoint)


@dataclass(frozen=True)
class PreparedRequest:
    """One item turned into a request, validated, not yet sent."""

    index: int
    item: Any
    method: str
    operation: str
    path: str
    query: dict[str, Any]
    payload: Any
    #: for updates and deletes: the version to send first (None: read it first, "latest" mode)
    version: int | None = None
    #: where the version goes: "payload" (updates, upserts), "query" (deletes) or None
    version_in: str | None = None
    #: for creates: the path reading the entity by the unique value the draft supplies, and its description
    lookup_path: str | None = None
    lookup_by: str = ""
    #: for creates: the entity created (its name in the entity table), to compare a duplicate as the sync would
    entity: str = ""
    #: an earlier attempt of this task sent it and did not learn its outcome (see ``resume``)
    sent_before: bool = False

    @property
    def describe(self) -> str:
        return f"{self.method} {self.path}"

    def body(self, version: int | None) -> tuple[dict[str, Any], Any]:
        """The query and payload to send with ``version``."""
        if version is None or self.version_in is None:
            return self.query, self.payload
        if self.version_in == "query":
            return {**self.query, "version": version}, self.payload
        return self.query, {**self.payload, "version": version}


def build_request(defaults: PublishDefaults, index: int, item: Any, *, label: str, latest: bool) -> PreparedRequest:
    """Validate one item and build its request; errors name ``label`` (``items[3]``) and the part.

    :param latest: ``on_conflict="latest"``: updates and deletes may come without a version.
    """
    d = defaults

    def name(part: str) -> str:
        return f"{label}.{part}" if label else part

    path, query, payload = merge_item(label, item, d.path, d.query, d.payload)
    check_payload(name("payload"), payload)
    try:
        target = resolve_path(d.entity.name if d.entity else None, path, endpoint=d.endpoint)
    except ConfigurationError as error:
        raise ConfigurationError(name(error.parameter), error.problem, error.fix) from None
    common: dict[str, Any] = {"index": index, "item": item, "method": d.method, "path": target.path}

    if d.method in READ_METHODS:
        if payload is not None:
            raise ConfigurationError(name("payload"), f"a {d.method} request sends no payload.", "Remove it.")
        return PreparedRequest(operation=READ, query=query, payload=None, **common)
    if d.method == "DELETE":
        return _delete(d, target, path, query, payload, name, latest, common)
    if d.entity is not None and d.entity.post_to_collection == UPSERT:
        return _upsert(d.entity, path, query, payload, name, common)
    is_update = target.single if d.entity is not None else isinstance(payload, dict) and "actions" in payload
    if is_update:
        if not isinstance(payload, dict) or not isinstance(payload.get("actions"), list):
            raise ConfigurationError(
                name("payload"),
                f"POST {target.path} is an update and needs 'actions' (a list), got {short(payload)}.",
                "Give {'version': N, 'actions': [{'action': ...}]}; to create, leave id/key out of 'path'.",
            )
        version = _version(name("payload['version']"), payload.get("version"))
        if version is None and not latest:
            raise ConfigurationError(
                name("payload"),
                f"the update of {target.path} has no 'version'.",
                "Give the entity's current version, or set on_conflict='latest' to read it first.",
            )
        return PreparedRequest(
            operation=UPDATE,
            query=query,
            payload={k: v for k, v in payload.items() if k != "version"},
            version=version,
            version_in="payload",
            **common,
        )
    if d.entity is None:
        return PreparedRequest(operation=WRITE, query=query, payload=payload, **common)
    if not isinstance(payload, dict):
        raise ConfigurationError(
            name("payload"), f"a create (POST {target.path}) needs the draft as a dict, got {short(payload)}."
        )
    lookup_path, lookup_by = lookup_by_unique_value(d.entity, path, payload)
    return PreparedRequest(
        operation=CREATE,
        query=query,
        payload=payload,
        lookup_path=lookup_path,
        lookup_by=lookup_by,
        entity=d.entity.name,
        **common,
    )


def _delete(
    d: PublishDefaults,
    target: ResolvedPath,
    path: Mapping[str, Any],
    query: dict[str, Any],
    payload: Any,
    name: Any,
    latest: bool,
    common: dict[str, Any],
) -> PreparedRequest:
    if d.entity is not None and not target.single:
        raise ConfigurationError(
            name("path"),
            f"DELETE needs a path that addresses one {d.entity.name} entity, got {sorted(path)}.",
            "Give {'id': ...} or {'key': ...} in 'path'.",
        )
    if payload is not None and not isinstance(payload, dict):
        raise ConfigurationError(name("payload"), "a DELETE takes at most {'version': N} as payload.")
    version = _version(name("query['version']"), query.pop("version", None))
    if version is None and payload:
        version = _version(name("payload['version']"), payload.get("version"))
    versioned = d.entity.versioned if d.entity is not None else True
    if version is None and versioned and not latest:
        raise ConfigurationError(
            name("query"),
            f"DELETE {target.path} has no version.",
            "Give query={'version': N} (or the version in the payload), or set on_conflict='latest' "
            "to delete whatever the current version is.",
        )
    return PreparedRequest(operation=DELETE, query=query, payload=None, version=version, version_in="query", **common)


def _upsert(
    entity: Entity, path: Mapping[str, Any], query: dict[str, Any], payload: Any, name: Any, common: dict[str, Any]
) -> PreparedRequest:
    """``POST`` to the collection with a payload that names its entity (its :attr:`Entity.lookup_by` fields)."""
    (fields, *_) = entity.lookup_by or ((),)
    needed = [draft_field for draft_field, _ in fields]
    if set(path) - {STORE_KEY}:
        raise ConfigurationError(
            name("path"),
            f"{entity.name.replace('-', ' ')} are written by POST {entity.name} with "
            + "{"
            + ", ".join(repr(k) for k in [*needed, "value"])
            + "}.",
            "Leave 'path' empty and put " + ", ".join(needed) + " and the value in the payload.",
        )
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in needed):
        described = ", ".join(repr(k) for k in needed)
        raise ConfigurationError(name("payload"), f"a write to {entity.name} needs {described} (strings) and 'value'.")
    lookup_path, lookup_by = lookup_by_unique_value(entity, path, payload)
    version = _version(name("payload['version']"), payload.get("version"))
    return PreparedRequest(
        operation=UPSERT,
        query=query,
        payload={k: v for k, v in payload.items() if k != "version"},
        version=version,
        version_in="payload" if version is not None else None,
        lookup_path=lookup_path,
        lookup_by=lookup_by,
        **common,
    )


def lookup_by_unique_value(entity: Entity, path: Mapping[str, Any], draft: Mapping[str, Any]) -> tuple[str | None, str]:
    """The path that reads the entity a draft creates, by a unique value the draft supplies, and its description."""
    scope = {k: v for k, v in path.items() if k == STORE_KEY}
    for fields in entity.lookup_by:
        values = {parameter: draft.get(draft_field) for draft_field, parameter in fields}
        if not all(isinstance(v, str) and v.strip() for v in values.values()):
            continue
        if frozenset(values) not in entity.shapes:
            continue
        try:
            resolved = resolve_path(entity.name, {**scope, **values})
        except ConfigurationError:
            continue
        described = " and ".join(f"{draft_field} {draft[draft_field]!r}" for draft_field, _ in fields)
        return resolved.path, described
    return None, ""
