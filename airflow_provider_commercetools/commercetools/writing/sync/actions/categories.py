"""Categories: fields, assets and custom fields (api-specs/api/types/category/CategoryUpdateAction.raml).

``parent`` and ``orderHint`` cannot be removed by an update action (``changeParent`` and
``changeOrderHint`` need a value; the Category always has an ``orderHint``, filled in when the draft
has none), so a draft leaving them out leaves them as they are.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_commercetools.commercetools.writing.sync.actions.custom import asset_actions, custom_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, SyncType

FIELDS = (
    Field("name", "changeName", unset=False),
    Field("slug", "changeSlug", unset=False),
    Field("description", "setDescription"),
    Field("parent", "changeParent", unset=False),
    Field("orderHint", "changeOrderHint", unset=False),
    Field("externalId", "setExternalId"),
    Field("metaTitle", "setMetaTitle"),
    Field("metaDescription", "setMetaDescription"),
    Field("metaKeywords", "setMetaKeywords"),
)


def build_actions(
    draft: dict[str, Any], current: dict[str, Any], ctx: BuildContext, groups: frozenset[str] | None
) -> list[dict[str, Any]]:
    """The update actions that make a category match its draft."""
    actions = field_actions(FIELDS, draft, current, ctx, groups)
    if wanted(groups, "assets"):
        actions += asset_actions(draft.get("assets"), current.get("assets"), ctx, "categories")
    if wanted(groups, "custom"):
        actions += custom_actions(draft.get("custom"), current.get("custom"), ctx, resource_type="categories")
    return actions


CATEGORIES = SyncType(
    name="categories",
    entity="categories",
    match=("key",),
    references={"parent": "category", "custom.type": "type", "assets.*.custom.type": "type"},
    field_groups=(*(f.group_name for f in FIELDS), "assets", "custom"),
    build_actions=build_actions,
)
