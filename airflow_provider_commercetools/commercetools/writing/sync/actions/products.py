"""Products: fields, categories and order hints, tax category, state, variants, publish.

Actions from api-specs/api/types/product/updates/. A product is compared as a projection: its
staged data by default (``staged=True``: the actions change the staged projection, and a draft's
``"publish": true`` publishes them), or its current data with ``staged=False`` (actions sent with
``"staged": false`` change current and staged alike). Either the full Product (``masterData``) or
a ProductProjection is accepted as the current resource.

- ``productType`` cannot change (no update action): refused with the reason;
- ``categoryOrderHints`` may be keyed by category key (a feed knows no ids) or id; the actions
  name the category id (``setCategoryOrderHint.categoryId``), found through the context;
- ``publish``: ``true`` publishes when anything changed or staged changes are pending, ``false``
  unpublishes a published product, absent leaves publication as it is;
- product-level ``attributes`` (ProductDraft.attributes): ``setProductAttribute``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import (
    is_empty,
    reference_key,
    references_equal,
    sets_equal,
)
from airflow_provider_commercetools.commercetools.writing.sync.actions.attributes import attribute_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import Field, field_actions, wanted
from airflow_provider_commercetools.commercetools.writing.sync.actions.variants import variants_actions
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange, SyncType

Actions = list[dict[str, Any]]
Groups = frozenset[str] | None

STAGED_FIELDS = (
    Field("name", "changeName", unset=False),
    Field("slug", "changeSlug", unset=False),
    Field("description", "setDescription"),
    Field("metaTitle", "setMetaTitle"),
    Field("metaDescription", "setMetaDescription"),
    Field("metaKeywords", "setMetaKeywords"),
)
# not per projection: no "staged" parameter (ProductSetTaxCategoryAction.raml, ProductTransitionStateAction.raml)
PRODUCT_FIELDS = (
    # matched by key this never differs; matched by a variant's sku (match_by="sku") it may
    Field("key", "setKey", unset=False),
    Field("taxCategory", "setTaxCategory"),
    Field("state", "transitionState", unset=False),
    Field("priceMode", "setPriceMode", unset=False),
)


def projection(current: Mapping[str, Any], staged: bool) -> dict[str, Any]:
    """The product as one projection: ``masterData.staged`` (or ``current``) with the product's own fields."""
    master = current.get("masterData")
    if not isinstance(master, Mapping):
        return dict(current)
    data = dict(master.get("staged" if staged else "current") or {})
    for name in ("id", "version", "key", "productType", "taxCategory", "state", "priceMode"):
        if name in current:
            data[name] = current[name]
    data["published"] = master.get("published", False)
    data["hasStagedChanges"] = master.get("hasStagedChanges", False)
    return data


def _search_keywords_equal(want: Any, have: Any, ctx: BuildContext) -> bool:
    want, have = want or {}, have or {}
    locales = {k for k, v in want.items() if v} | {k for k, v in have.items() if v}
    return all(sets_equal(want.get(locale), have.get(locale), ctx) for locale in locales)


def _category_id(key_or_id: str, current_ids: set[str], ctx: BuildContext) -> str:
    found = ctx.id_of("category", key_or_id)
    if found is not None:
        return found
    if key_or_id in current_ids:
        return key_or_id
    raise RefusedChange(
        "products",
        f"categoryOrderHints[{key_or_id!r}]",
        "names no category the sync knows (by key or id).",
        "Key the order hints by the keys of the product's categories.",
    )


def _category_actions(draft: Mapping[str, Any], data: Mapping[str, Any], ctx: BuildContext, staged: bool) -> Actions:
    want = list(draft.get("categories") or [])
    have = list(data.get("categories") or [])
    have_ids = {str(c.get("id")) for c in have}
    hints = {_category_id(str(k), have_ids, ctx): v for k, v in (draft.get("categoryOrderHints") or {}).items() if v}
    for hinted in hints:
        if not any(references_equal(w, {"typeId": "category", "id": hinted}, ctx) for w in want):
            raise RefusedChange(
                "products",
                "categoryOrderHints",
                f"has a hint for the category {ctx.key_of('category', hinted) or hinted!r}, "
                "which is not one of the draft's categories.",
                "Add the category to categories, or drop its hint.",
            )
    have_hints = {k: v for k, v in (data.get("categoryOrderHints") or {}).items() if v}
    actions: Actions = []
    for category in have:
        if not any(references_equal(w, category, ctx) for w in want):
            actions.append({"action": "removeFromCategory", "category": category, "staged": staged})
    added_ids: set[str] = set()
    for category in want:
        if any(references_equal(category, h, ctx) for h in have):
            continue
        action = {"action": "addToCategory", "category": category, "staged": staged}
        added_id = category.get("id") or ctx.id_of("category", str(reference_key(category, ctx)))
        if added_id is not None and hints.get(added_id):
            action["orderHint"] = hints[added_id]
            added_ids.add(added_id)
        actions.append(action)
    for category_id in sorted(set(hints) | set(have_hints)):
        if category_id in added_ids or hints.get(category_id) == have_hints.get(category_id):
            continue
        if category_id not in hints and not any(
            references_equal(w, {"typeId": "category", "id": category_id}, ctx) for w in want
        ):
            continue  # the hint goes with its category
        change = {"action": "setCategoryOrderHint", "categoryId": category_id, "staged": staged}
        if hints.get(category_id):
            change["orderHint"] = hints[category_id]
        actions.append(change)
    return actions


def build_actions(
    draft: dict[str, Any],
    current: dict[str, Any],
    ctx: BuildContext,
    groups: Groups,
    staged: bool = True,
) -> Actions:
    """The update actions that make a product match its draft (see the module docstring)."""
    if not references_equal(draft.get("productType"), current.get("productType"), ctx):
        raise RefusedChange(
            "products",
            "productType",
            f"the draft's {draft.get('productType')!r} is not the product's; a product's type cannot change.",
            "Create the product anew under another key with the new type (and prune the old one).",
        )
    data = projection(current, staged)
    extra = {"staged": staged}
    actions = field_actions(STAGED_FIELDS, draft, data, ctx, groups, extra)
    if wanted(groups, "searchKeywords") and not _search_keywords_equal(
        draft.get("searchKeywords"), data.get("searchKeywords"), ctx
    ):
        actions.append({"action": "setSearchKeywords", "searchKeywords": draft.get("searchKeywords") or {}, **extra})
    if wanted(groups, "categories"):
        actions += _category_actions(draft, data, ctx, staged)
    actions += field_actions(PRODUCT_FIELDS, draft, data, ctx, groups)
    if wanted(groups, "attributes"):
        actions += attribute_actions(draft.get("attributes"), data.get("attributes"), ctx, "setProductAttribute", extra)
    actions += variants_actions(draft, data, ctx, groups, staged)
    if wanted(groups, "publish") and "publish" in draft and not is_empty(draft.get("publish")):
        published = bool(data.get("published"))
        pending = bool(actions or data.get("hasStagedChanges"))
        if draft["publish"] is True and (not published or (staged and pending)):
            actions.append({"action": "publish"})
        elif draft["publish"] is False and published:
            actions.append({"action": "unpublish"})
    return actions


def draft_for_create(draft: dict[str, Any]) -> dict[str, Any]:
    """A ProductDraft: the draft without ``null`` fields."""
    return {k: v for k, v in draft.items() if v is not None}


def resolve_create(body: dict[str, Any], ctx: BuildContext) -> dict[str, Any]:
    """ProductDraft.categoryOrderHints is keyed by category id: a feed's keys become ids."""
    hints = body.get("categoryOrderHints")
    if not hints:
        return body
    categories = list(body.get("categories") or [])
    resolved = {}
    for key_or_id, hint in hints.items():
        ids = {str(c["id"]) for c in categories if c.get("id")}
        resolved[_category_id(str(key_or_id), ids, ctx)] = hint
    return {**body, "categoryOrderHints": resolved}


PRODUCTS = SyncType(
    name="products",
    entity="products",
    match=("key",),
    references={
        "productType": "product-type",
        "categories.*": "category",
        "categoryOrderHints.<keys>": "category",
        "taxCategory": "tax-category",
        "state": "state",
        "masterVariant.prices.*.channel": "channel",
        "masterVariant.prices.*.customerGroup": "customer-group",
        "variants.*.prices.*.channel": "channel",
        "variants.*.prices.*.customerGroup": "customer-group",
    },
    field_groups=(
        *(f.group_name for f in STAGED_FIELDS),
        "searchKeywords",
        "categories",
        *(f.group_name for f in PRODUCT_FIELDS),
        "attributes",
        "variants",
        "prices",
        "images",
        "assets",
        "publish",
    ),
    build_actions=build_actions,
    draft_for_create=draft_for_create,
    options={"staged": True},
    resolve_create=resolve_create,
)
