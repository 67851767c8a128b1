"""Desired-state sync: make commercetools match a feed of drafts with the fewest update actions.

No Airflow here. :mod:`.types` names the resource types (:class:`SyncType`, :func:`sync_type`),
:mod:`.compare` says when a draft and a resource are equal, :mod:`.actions` builds the update
actions per type. The operator's side (targets, references, plan, prune, apply) builds on these.
"""

from __future__ import annotations

from airflow_provider_commercetools.commercetools.writing.sync.compare import differences, key_references, values_equal
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
