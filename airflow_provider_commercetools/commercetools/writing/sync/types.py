"""The resource types a desired-state sync knows: how a draft is matched, referenced, diffed and created.

Each :class:`SyncType` is data plus two pure functions: ``build_actions(draft, current, ctx, groups)``
(the update actions that make ``current`` match ``draft``, ``[]`` when it already does) and
``draft_for_create(draft)`` (the body that creates it). The operator side (targets, references,
plan, apply) reads only this shape; a new resource type is a new module under :mod:`.actions`
registered in its ``SYNC_TYPES`` list.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.writing.compare import BuildContext

#: The action of a custom object's sync: custom objects have no update actions; a changed value is
#: written whole by ``POST /custom-objects`` with the draft (create or update, api-specs/api/resources/
#: custom-objects.raml). The action carries that body as ``draft``; the operator sends it as such.
CREATE_OR_UPDATE = "createOrUpdate"


class RefusedChange(ValueError):
    """A draft asks for a change the sync will not make (a product's product type, a price's currency...).

    The operator reports the draft as failed with this message and sends nothing for it.
    """

    def __init__(self, resource_type: str, field: str, problem: str, fix: str) -> None:
        self.resource_type = resource_type
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{resource_type}: {field}: {problem} {fix}")


BuildActions = Callable[[dict[str, Any], dict[str, Any], BuildContext, "frozenset[str] | None"], list[dict[str, Any]]]


def _without_nulls(draft: dict[str, Any]) -> dict[str, Any]:
    """A create body: the draft without top-level ``null`` fields (commercetools rejects some)."""
    return {k: v for k, v in draft.items() if v is not None}


@dataclass(frozen=True)
class SyncType:
    """One resource type of the sync (see the module docstring and docs/sync-fields.md).

    :param name: the operator's ``resource_type`` ("categories", "products", ...)
    :param entity: the entity of :mod:`...entities` (its endpoint path)
    :param match: the draft fields identifying the target (``("key",)``; inventory
        ``("sku", "supplyChannel")``; custom objects ``("container", "key")``)
    :param references: reference field (dotted path in the draft, ``*`` for list items) -> typeId
    :param field_groups: the names ``sync_fields`` accepts for this type
    :param build_actions: (draft, current, ctx, groups or None for all) -> update actions
    :param draft_for_create: the create body from a draft
    :param options: type-specific options given to ``build_actions`` (see :meth:`with_options`)
    :param secret_fields: top-level draft fields that are secrets (customers' ``password``): only
        ever part of a create body, never of an update action, a plan, a log or a result file
    :param resolve_create: what :meth:`create_body` does to ``draft_for_create``'s body with the
        reference context (a field that names resources by key where commercetools wants ids)
    """

    name: str
    entity: str
    match: tuple[str, ...]
    references: Mapping[str, str]
    field_groups: tuple[str, ...]
    build_actions: BuildActions
    draft_for_create: Callable[[dict[str, Any]], dict[str, Any]] = _without_nulls
    options: Mapping[str, Any] = field(default_factory=dict)
    secret_fields: tuple[str, ...] = ()
    resolve_create: Callable[[dict[str, Any], BuildContext], dict[str, Any]] | None = None

    def create_body(self, draft: dict[str, Any], ctx: BuildContext) -> dict[str, Any]:
        """The create body once references are resolved (products: order hints keyed by category id)."""
        body = self.draft_for_create(draft)
        return self.resolve_create(body, ctx) if self.resolve_create is not None else body

    def with_options(self, **options: Any) -> SyncType:
        """This type with options its builder takes (products: ``staged``), checked by name."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            raise ConfigurationError(
                "options",
                f"{', '.join(map(repr, unknown))} is not an option of resource_type {self.name!r}.",
                f"Its options: {', '.join(sorted(self.options)) or 'none'}.",
            )
        merged = {**self.options, **options}
        return replace(self, build_actions=functools.partial(self.build_actions, **options), options=merged)


class _Registry(Mapping[str, SyncType]):
    """The sync types by name, loaded from :mod:`.actions` on first use (the builders import this module)."""

    def __init__(self) -> None:
        self._types: dict[str, SyncType] | None = None

    def _load(self) -> dict[str, SyncType]:
        if self._types is None:
            from airflow_provider_commercetools.commercetools.writing.sync.actions import ALL_TYPES

            self._types = {t.name: t for t in ALL_TYPES}
        return self._types

    def __getitem__(self, name: str) -> SyncType:
        return self._load()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


SYNC_TYPES: Mapping[str, SyncType] = _Registry()


def sync_type_of_entity(entity: str) -> SyncType | None:
    """The sync type writing ``entity`` (an entity of the entity table, e.g. ``categories``), None if none."""
    for candidate in SYNC_TYPES.values():
        if candidate.entity == entity:
            return candidate
    return None


def sync_type(name: str) -> SyncType:
    """The sync type named ``name`` (the operator's ``resource_type``), or a clear error listing the names."""
    if isinstance(name, str) and name.strip() in SYNC_TYPES:
        return SYNC_TYPES[name.strip()]
    close = difflib.get_close_matches(str(name), list(SYNC_TYPES), n=1)
    maybe = f" Did you mean {close[0]!r}?" if close else ""
    raise ConfigurationError(
        "resource_type",
        f"{name!r} is not a resource type the sync knows.{maybe}",
        f"Give one of: {', '.join(sorted(SYNC_TYPES))}.",
    )


def select_groups(
    sync: SyncType, sync_fields: Iterable[str] | Mapping[str, Iterable[str]] | None
) -> frozenset[str] | None:
    """The field groups to sync from the operator's ``sync_fields`` (None: all of them).

    ``sync_fields`` is a list of group names to sync (an allow list), or ``{"include": [...]}`` or
    ``{"exclude": [...]}``; every name must be one of the type's ``field_groups``.
    """
    if sync_fields is None:
        return None
    mode = "include"
    names: Iterable[str]
    if isinstance(sync_fields, Mapping):
        modes = set(sync_fields)
        if len(modes) != 1 or not modes <= {"include", "exclude"}:
            raise ConfigurationError(
                "sync_fields",
                f"{dict(sync_fields)!r} has keys {sorted(modes)}.",
                'Give a list of field groups, {"include": [...]} or {"exclude": [...]}.',
            )
        mode = modes.pop()
        names = sync_fields[mode]
    elif isinstance(sync_fields, str):
        raise ConfigurationError("sync_fields", f"{sync_fields!r} is a string.", "Give a list of field groups.")
    else:
        names = sync_fields
    chosen = set(names)
    unknown = sorted(chosen - set(sync.field_groups))
    if unknown:
        raise ConfigurationError(
            "sync_fields",
            f"{', '.join(map(repr, unknown))} is not a field group of resource_type {sync.name!r}.",
            f"Its field groups: {', '.join(sync.field_groups)}.",
        )
    if mode == "exclude":
        return frozenset(set(sync.field_groups) - chosen)
    return frozenset(chosen)
