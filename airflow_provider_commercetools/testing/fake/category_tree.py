"""Categories' ``ancestors``: the References of all the parents of a Category, root first.

Category.raml (``api-specs/api/types/category/Category.raml``, commercetools/commercetools-api-reference
commit 5867aa22abcab5a521bd5bf0bd3b332c5ad763ae): ``ancestors`` (CategoryReference[], required) "Contains
the parent path towards the root Category"; ``parent`` a CategoryReference. The spec does not give the
order of the list: the fake lists the root first (the parent last), read as a path *from* the root;
*unconfirmed* against commercetools, and the emulator (@labdigital/commercetools-mock 4.4.0) lists the
parent first (docs/testing.md says so).

commercetools keeps ``ancestors`` on create (CategoryDraft ``parent``) and on ``changeParent``
(CategoryChangeParentAction.raml); the categories below a moved one get their new path too (their
``ancestors`` hold the moved category's). The spec does not say whether that changes their ``version``:
the fake leaves their version and ``lastModifiedAt`` as they were, and writes no Message for them.
A parent that is the category itself or one of its descendants is refused (400 InvalidOperation; the
spec is silent on the error, a cycle cannot be a tree). Seeded categories (``FakeCommercetools.add``)
are kept as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.testing.fake.http import bad_request
from airflow_provider_commercetools.testing.fake.store import Collection, Store

RESOURCE = "categories"


def _parent_id(entity: Mapping[str, Any]) -> str | None:
    parent = entity.get("parent")
    if isinstance(parent, Mapping) and isinstance(parent.get("id"), str):
        return parent["id"]
    return None


def ancestors(coll: Collection | None, entity: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``ancestors`` of ``entity`` from its ``parent`` up (root first); refuses a cycle (lock held)."""
    path: list[dict[str, Any]] = []
    seen = {entity.get("id")}
    parent_id = _parent_id(entity)
    while parent_id is not None:
        if parent_id in seen:
            raise bad_request(
                "InvalidOperation",
                "parent: a category cannot be its own parent or the child of one of its descendants.",
            )
        seen.add(parent_id)
        path.append({"typeId": "category", "id": parent_id})
        parent = None if coll is None else coll.by_id.get(parent_id)
        parent_id = None if parent is None else _parent_id(parent)
    path.reverse()
    return path


def with_ancestors(store: Store, entity: dict[str, Any]) -> dict[str, Any]:
    """``entity`` (a new or updated Category, not stored yet) with its ``ancestors`` (lock held)."""
    entity["ancestors"] = ancestors(store.get(RESOURCE), entity)
    return entity


def refresh_descendants(store: Store, moved: Mapping[str, Any]) -> None:
    """After ``moved`` got another parent: every category below it gets its new ``ancestors`` (lock held)."""
    coll = store.get(RESOURCE)
    if coll is None:
        return
    children: dict[str, list[dict[str, Any]]] = {}
    for category in coll.by_id.values():
        parent_id = _parent_id(category)
        if parent_id is not None:
            children.setdefault(parent_id, []).append(category)
    pending = [(moved["id"], [*moved.get("ancestors", []), {"typeId": "category", "id": moved["id"]}])]
    while pending:
        parent_id, path = pending.pop()
        for child in children.get(parent_id, []):
            new = {**child, "ancestors": [dict(r) for r in path]}
            coll.replace(child, new)
            pending.append((child["id"], [*path, {"typeId": "category", "id": child["id"]}]))
