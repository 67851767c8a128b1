"""A keyed create answered ``DuplicateField``: does the existing resource equal the draft?

A re-run (of a failures file, of a whole batch) converges: the resource found by the draft's key is compared
with the draft; equal, the item counts as applied (note ``already_applied``); otherwise the create fails, its
error naming the key and the field paths that differ.

Equal means what the desired-state sync means (:func:`draft_differences`): for an entity the sync knows
(:func:`~.sync.types.sync_type_of_entity`), the sync's action builder would send no update action for it;
for any other entity, :func:`~.compare.differences` finds no differing field (with the lists commercetools
treats as sets, :data:`SET_FIELDS`, compared as sets, and secrets never). A reference by key in the draft is
checked against the resource's reference by id by reading the referenced resource (by id for its key, by
key for its id), once per resource and run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.errors import RequestError
from airflow_provider_commercetools.commercetools.writing.building import PreparedRequest
from airflow_provider_commercetools.commercetools.writing.compare import differences
from airflow_provider_commercetools.commercetools.writing.sync.references import ReferenceCache
from airflow_provider_commercetools.commercetools.writing.sync.types import RefusedChange, sync_type_of_entity

#: Differing field paths named in the error of a keyed create whose resource exists and differs.
MAX_PATHS_SHOWN = 20
#: Draft fields never compared: commercetools stores them transformed (a customer's password is hashed).
SECRET_FIELDS = frozenset({"password"})
#: Lists the API treats as sets (order not kept or not meaningful), for entities the sync has no builder
#: for: a channel's ``roles`` (api-specs/api/types/channel/ChannelDraft.raml), a customer's or cart
#: discount's ``stores``, a zone's ``locations``, a type's ``resourceTypeIds``, a product's ``categories``.
SET_FIELDS = frozenset({"roles", "stores", "locations", "resourceTypeIds", "categories"})


def draft_differences(entity: str, draft: Mapping[str, Any], resource: Mapping[str, Any], ctx: Any) -> list[str]:
    """The field paths where ``resource`` (of ``entity``) differs from the create ``draft``; empty: equal.

    ``ctx`` answers ``key_of(typeId, id)`` and ``id_of(typeId, key)`` (a :class:`~.compare.BuildContext`).
    """
    projected = _product_projection(resource) if isinstance(resource.get("masterData"), Mapping) else resource
    sync = sync_type_of_entity(entity)
    if sync is not None:
        try:
            actions = sync.build_actions(dict(draft), dict(resource), ctx, None)
        except RefusedChange as refused:
            return [f"{refused.field} ({refused.problem})"]
        if not actions:
            return []
        found = differences(draft, projected, ctx, sets=SET_FIELDS, skip=SECRET_FIELDS)
        return found or sorted({str(action.get("action")) for action in actions})
    return differences(draft, projected, ctx, sets=SET_FIELDS, skip=SECRET_FIELDS)


def _product_projection(product: Mapping[str, Any]) -> dict[str, Any]:
    """A Product compared as its draft: its staged projection, ``publish`` from ``masterData.published``."""
    master = product["masterData"]
    staged = master.get("staged") if isinstance(master.get("staged"), Mapping) else {}
    top = {k: v for k, v in product.items() if k != "masterData"}
    return {**top, **staged, "publish": bool(master.get("published"))}


class Duplicates:
    """Compares existing resources with drafts through ``client`` (thread-safe; references read once per run)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        #: key <-> id of referenced resources, looked up once per resource and run (the sync's cache)
        self.references = ReferenceCache(client)

    def check(self, request: PreparedRequest, error: RequestError, found: Any) -> str:
        """The note of an item whose existing resource ``found`` equals its draft; raises ``error`` with the
        differences otherwise."""
        resource = found.get("customer", found) if isinstance(found, Mapping) else found
        draft = request.payload if isinstance(request.payload, Mapping) else {}
        if isinstance(resource, Mapping):
            paths = draft_differences(request.entity, draft, resource, self.references)
        else:
            paths = ["(not an object)"]
        if not paths:
            return (
                f"already_applied: a resource with {request.lookup_by} exists and equals the draft; not created again"
            )
        shown = ", ".join(paths[:MAX_PATHS_SHOWN]) + (
            f" and {len(paths) - MAX_PATHS_SHOWN} more" if len(paths) > MAX_PATHS_SHOWN else ""
        )
        raise error.with_hint(
            f"A resource with {request.lookup_by} exists already and differs from the draft in: {shown}. Update it "
            "(POST with its version and update actions) or change the draft's key; a draft equal to the existing "
            "resource counts as applied"
        )
