"""Desired-state sync: make commercetools match a feed of drafts with the fewest update actions.

No Airflow here. :mod:`.types` names the resource types (:class:`SyncType`, :func:`sync_type`),
the writing side's :mod:`..compare` says when a draft and a resource are equal, :mod:`.actions` builds the update
actions per type. The operator's side builds on these: :mod:`.targets` (targets read by key in
batches, :class:`Matcher`, the request-counting client), :mod:`.references` (the reference cache,
:class:`ReferenceCache`, the builders' ``BuildContext``), :mod:`.plan` (the plan file, :class:`Planner`,
:func:`read_plan`), :mod:`.prune` (deletes of what left the feed, guarded), :mod:`.apply` (the writes
through the publisher, 409s recomputed, :class:`Applier`) and :mod:`.run` (one run as the operator
starts it: :class:`SyncRun`). Those are imported from their modules, not re-exported here: the
publisher may import :mod:`.types` (to compare a duplicate as the sync would) without this package
importing the publisher back.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.writing.compare import differences, key_references, values_equal
from airflow_provider_commercetools.commercetools.writing.sync.types import (
    CREATE_OR_UPDATE,
    SYNC_TYPES,
    BuildContext,
    RefusedChange,
    SyncType,
    select_groups,
    sync_type,
)

__all__ = [
    "CREATE_OR_UPDATE",
    "SYNC_TYPES",
    "BuildContext",
    "RefusedChange",
    "SyncType",
    "differences",
    "key_references",
    "select_groups",
    "sync_type",
    "values_equal",
]
