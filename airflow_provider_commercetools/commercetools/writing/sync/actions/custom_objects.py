"""Custom objects, matched by container and key: the value is compared whole.

Custom objects have no update actions: ``POST /custom-objects`` with ``container``, ``key`` and
``value`` creates or replaces one (api-specs/api/resources/custom-objects.raml). An equal value is no
action; a different one is one :data:`CREATE_OR_UPDATE` action carrying that body (with the current
``version``, so a concurrent change is a 409, not overwritten).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import data_equal
from airflow_provider_commercetools.commercetools.writing.sync.types import CREATE_OR_UPDATE, BuildContext, SyncType


def build_actions(
    draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: frozenset[str] | None
) -> list[dict[str, Any]]:
    """``[]`` when the value is equal, else the one create-or-update action."""
    if groups is not None and "value" not in groups:
        return []
    if data_equal(draft.get("value"), current.get("value"), ctx):
        return []
    body = {"container": draft.get("container"), "key": draft.get("key"), "value": draft.get("value")}
    if current.get("version") is not None:
        body["version"] = current["version"]
    return [{"action": CREATE_OR_UPDATE, "draft": body}]


CUSTOM_OBJECTS = SyncType(
    name="custom-objects",
    entity="custom-objects",
    match=("container", "key"),
    references={},
    field_groups=("value",),
    build_actions=build_actions,
)
