"""Product variants: paired one to one with the draft's, by key then by sku, each diffed.

Order of the actions (the API applies them in order, in one request): kept variants' sku and key
(named by id), variants the draft drops removed, new variants added (``addVariant`` with
everything they hold), the master variant changed, the old master removed if the draft drops it;
then per kept variant its attributes (one ``setAttributeInAllVariants`` for a value every variant
shares), prices, images and assets. A variant is named by its sku when it has one, else by its id.

Images (api-specs/api/types/common/Image.raml) are matched by ``url``: removed, added (at the end),
moved to their draft position, and relabelled; other dimensions for the same url is a remove and add.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import is_empty
from airflow_provider_commercetools.commercetools.writing.sync.actions.attributes import (
    attribute_actions,
    attribute_values_equal,
    attributes_by_name,
)
from airflow_provider_commercetools.commercetools.writing.sync.actions.custom import asset_actions
from airflow_provider_commercetools.commercetools.writing.sync.actions.fields import wanted
from airflow_provider_commercetools.commercetools.writing.sync.actions.prices import embedded_price_actions
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange

Actions = list[dict[str, Any]]
Groups = frozenset[str] | None


def _identity(variant: Mapping[str, Any]) -> tuple[str, str] | None:
    if variant.get("key"):
        return ("key", str(variant["key"]))
    if variant.get("sku"):
        return ("sku", str(variant["sku"]))
    return None


def _draft_variants(draft: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    variants = [draft["masterVariant"]] if draft.get("masterVariant") else []
    variants += list(draft.get("variants") or [])
    seen: set[tuple[str, str]] = set()
    for index, variant in enumerate(variants):
        where = "masterVariant" if index == 0 and draft.get("masterVariant") else f"variants[{index - 1}]"
        if _identity(variant) is None:
            raise RefusedChange(
                "products",
                where,
                "has neither key nor sku.",
                "Give every variant a key (or a sku): they are matched by them.",
            )
        for field in ("key", "sku"):
            if variant.get(field):
                if (field, str(variant[field])) in seen:
                    raise RefusedChange(
                        "products",
                        where,
                        f"repeats the {field} {variant[field]!r}.",
                        f"Give every variant a unique {field}.",
                    )
                seen.add((field, str(variant[field])))
    return variants


def _pair(want: list[Mapping[str, Any]], have: list[Mapping[str, Any]]) -> list[Mapping[str, Any] | None]:
    """The current variant of each draft variant, one to one: by key first, then by sku (a sku is
    unique in the project, so a variant with the draft's sku is that variant, whatever its key)."""
    matched: list[Mapping[str, Any] | None] = [None] * len(want)
    taken: set[int] = set()
    for field in ("key", "sku"):
        for index, variant in enumerate(want):
            if matched[index] is not None or not variant.get(field):
                continue
            for candidate in have:
                if id(candidate) not in taken and candidate.get(field) == variant[field]:
                    matched[index] = candidate
                    taken.add(id(candidate))
                    break
    return matched


def _ref(variant: Mapping[str, Any]) -> dict[str, Any]:
    return {"sku": variant["sku"]} if variant.get("sku") else {"variantId": variant.get("id")}


def image_actions(want: list[Mapping[str, Any]], have: list[Mapping[str, Any]], ref: dict[str, Any]) -> Actions:
    """removeImage / addExternalImage / moveImageToPosition / setImageLabel for one variant."""
    want_by_url = {str(i.get("url")): i for i in want}
    have_by_url = {str(i.get("url")): i for i in have}
    actions: Actions = []
    kept: list[str] = []
    for url, image in have_by_url.items():
        other = want_by_url.get(url)
        if other is None or other.get("dimensions") != image.get("dimensions"):
            actions.append({"action": "removeImage", **ref, "imageUrl": url})
        else:
            kept.append(url)
    order = list(kept)
    for url, image in want_by_url.items():
        if url not in kept:
            actions.append({"action": "addExternalImage", **ref, "image": dict(image)})
            order.append(url)
    for position, url in enumerate(want_by_url):
        if order[position] != url:
            actions.append({"action": "moveImageToPosition", **ref, "imageUrl": url, "position": position})
            order.remove(url)
            order.insert(position, url)
    for url in kept:
        label = want_by_url[url].get("label")
        if label != have_by_url[url].get("label"):
            change = {"action": "setImageLabel", **ref, "imageUrl": url}
            if label is not None:
                change["label"] = label
            actions.append(change)
    return actions


def _identity_actions(want: Mapping[str, Any], have: Mapping[str, Any], staged: bool) -> Actions:
    """setSku / setProductVariantKey of a kept variant (named by id: its sku may be the one changing)."""
    actions: Actions = []
    for field, action in (("sku", "setSku"), ("key", "setProductVariantKey")):
        if want.get(field) != have.get(field):
            change = {"action": action, "variantId": have.get("id"), "staged": staged}
            if want.get(field):
                change[field] = want[field]
            actions.append(change)
    return actions


def _variant_actions(
    want: Mapping[str, Any], have: Mapping[str, Any], ctx: BuildContext, groups: Groups, staged: bool
) -> Actions:
    actions: Actions = []
    # after a setSku in the same request the old sku no longer names the variant: its id does
    ref = {"variantId": have.get("id")} if want.get("sku") != have.get("sku") else _ref(have)
    with_staged = {**ref, "staged": staged}
    if wanted(groups, "attributes"):
        actions += attribute_actions(want.get("attributes"), have.get("attributes"), ctx, "setAttribute", with_staged)
    if wanted(groups, "prices"):
        actions += embedded_price_actions(want.get("prices"), have.get("prices"), ctx, ref, staged)
    if wanted(groups, "images"):
        actions += [
            {**a, "staged": staged} for a in image_actions(want.get("images") or [], have.get("images") or [], ref)
        ]
    if wanted(groups, "assets"):
        actions += asset_actions(want.get("assets"), have.get("assets"), ctx, "products", with_staged)
    return actions


def _removal(variant: Mapping[str, Any], staged: bool) -> dict[str, Any]:
    return {"action": "removeVariant", "id": variant.get("id"), "staged": staged}


def _new_variant(variant: Mapping[str, Any], staged: bool) -> dict[str, Any]:
    fields = ("sku", "key", "prices", "images", "attributes", "assets")
    return {"action": "addVariant", **{f: variant[f] for f in fields if variant.get(f)}, "staged": staged}


def variants_actions(
    draft: Mapping[str, Any], projection: Mapping[str, Any], ctx: BuildContext, groups: Groups, staged: bool
) -> Actions:
    """The actions that make a product's variants (master and others) match the draft's.

    A draft without ``masterVariant`` and ``variants`` leaves the variants alone (a product always
    has a master variant); ``variants`` without ``masterVariant`` is refused, as ProductDraft.raml
    requires the master when variants are given.
    """
    if not draft.get("masterVariant"):
        if draft.get("variants"):
            raise RefusedChange(
                "products", "masterVariant", "is missing while variants are given.", "Give the master variant too."
            )
        return []
    want = _draft_variants(draft)
    have = [projection["masterVariant"]] if projection.get("masterVariant") else []
    have += list(projection.get("variants") or [])
    pairs = list(zip(want, _pair(want, have), strict=True))
    matched_ids = {id(h) for _, h in pairs if h is not None}
    current_master = have[0] if have else None
    actions: Actions = []
    if wanted(groups, "variants"):
        # identities first (a new variant may take a sku or key a kept one gives up), then the
        # removals (a removed variant's sku may be reused), the additions, the master, and last the
        # old master's removal (the master cannot be removed while it is the master)
        for w, h in pairs:
            if h is not None:
                actions += _identity_actions(w, h, staged)
        removed = [v for v in have if id(v) not in matched_ids]
        actions += [_removal(v, staged) for v in removed if v is not current_master]
        actions += [_new_variant(w, staged) for w, h in pairs if h is None]
        if pairs:
            master_want, master_have = pairs[0]
            if master_have is None or master_have is not current_master:
                if master_have is not None:
                    target: dict[str, Any] = {"variantId": master_have.get("id")}
                elif master_want.get("sku"):
                    target = {"sku": master_want["sku"]}
                else:
                    raise RefusedChange(
                        "products",
                        "masterVariant",
                        "a new master variant without a sku cannot be named in changeMasterVariant.",
                        "Give the new master variant a sku.",
                    )
                actions.append({"action": "changeMasterVariant", **target, "staged": staged})
        if current_master is not None and any(v is current_master for v in removed):
            actions.append(_removal(current_master, staged))
    per_variant: Actions = []
    for w, h in pairs:
        if h is not None:
            per_variant += _variant_actions(w, h, ctx, groups, staged)
    # all variants are the draft's only when variants are synced (added, removed) or all matched
    if wanted(groups, "variants") or len(matched_ids) == len(have):
        per_variant = _in_all_variants(per_variant, want, ctx, staged)
    return actions + per_variant


def _in_all_variants(actions: Actions, want: list[Mapping[str, Any]], ctx: BuildContext, staged: bool) -> Actions:
    """One ``setAttributeInAllVariants`` for an attribute every draft variant gives the same value
    (or none gives), instead of a ``setAttribute`` per variant: what a ``SameForAll`` attribute
    needs, and fewer actions for any other (the variants the draft adds already hold the value)."""
    if len(want) < 2:
        return actions
    names = {a["name"] for a in actions if a["action"] == "setAttribute"}
    shared: dict[str, Any] = {}
    for name in names:
        values = [attributes_by_name(v.get("attributes")).get(name) for v in want]
        if all(attribute_values_equal(values[0], other, ctx) for other in values[1:]):
            shared[name] = values[0]
    if not shared:
        return actions
    result: Actions = []
    sent: set[str] = set()
    for action in actions:
        name = action.get("name")
        if action["action"] != "setAttribute" or name not in shared:
            result.append(action)
        elif name not in sent:
            sent.add(name)
            change: dict[str, Any] = {"action": "setAttributeInAllVariants", "name": name}
            if not is_empty(shared[name]):
                change["value"] = shared[name]
            result.append({**change, "staged": staged})
    return result
