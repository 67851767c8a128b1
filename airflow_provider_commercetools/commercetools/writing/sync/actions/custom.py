"""Custom fields and assets: the parts several resource types share, as actions.

Custom fields (api-specs/api/types/type/CustomFields.raml, CustomFieldsDraft.raml): a draft's
``custom`` is ``{"type": {"typeId": "type", "key": ...}, "fields": {...}}``. A different type (or
none) is one ``setCustomType`` with all the fields; the same type is one ``setCustomField`` per field
that differs (a field the draft leaves out is removed: ``setCustomField`` without ``value``). Every
list a custom field holds is a ``Set`` field type (the only list FieldType), so lists compare
order-insensitively.

Assets (api-specs/api/types/common/Asset.raml, AssetDraft.raml) are matched by ``key`` (a draft asset
without a key cannot be matched and is refused). Removed first, then the kept ones reordered
(``changeAssetOrder`` takes their ids), then new ones added at their draft position, then each
kept asset's name, description, tags, sources and custom fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_commercetools.commercetools.writing.compare import (
    data_equal,
    is_empty,
    is_reference,
    references_equal,
    sets_equal,
    values_equal,
)
from airflow_provider_commercetools.commercetools.writing.sync.types import BuildContext, RefusedChange


def field_value_equal(want: Any, have: Any, ctx: BuildContext) -> bool:
    """A custom field's value: lists are Sets (order-insensitive), the rest as :func:`values_equal`."""
    if isinstance(want, list) and isinstance(have, list):
        return sets_equal(want, have, ctx, data_equal)
    return data_equal(want, have, ctx)


def custom_actions(
    draft: Mapping[str, Any] | None,
    current: Mapping[str, Any] | None,
    ctx: BuildContext,
    prefix: str = "",
    extra: Mapping[str, Any] | None = None,
    resource_type: str = "resource",
) -> list[dict[str, Any]]:
    """``set<Prefix>CustomType`` / ``set<Prefix>CustomField`` actions (prefix "Asset", "Address"...)."""
    extra = dict(extra or {})
    set_type, set_field = f"set{prefix}CustomType", f"set{prefix}CustomField"
    if is_empty(draft):
        return [] if is_empty(current) else [{"action": set_type, **extra}]
    assert draft is not None
    want_type = draft.get("type")
    if not isinstance(want_type, Mapping) or not is_reference(want_type) or want_type.keys() <= {"typeId", "obj"}:
        raise RefusedChange(
            resource_type,
            f"{prefix[:1].lower()}{prefix[1:]}{'.' if prefix else ''}custom.type",
            f"{want_type!r} names no Type.",
            'Give custom fields their Type: {"typeId": "type", "key": "<type key>"}.',
        )
    want_fields = {k: v for k, v in (draft.get("fields") or {}).items() if v is not None}
    if is_empty(current) or not references_equal(want_type, (current or {}).get("type"), ctx):
        action: dict[str, Any] = {"action": set_type, "type": want_type, **extra}
        if want_fields:
            action["fields"] = want_fields
        return [action]
    assert current is not None
    have_fields = current.get("fields") or {}
    actions = []
    for name in sorted(set(want_fields) | set(have_fields)):
        want, have = want_fields.get(name), have_fields.get(name)
        if field_value_equal(want, have, ctx):
            continue
        action = {"action": set_field, "name": name, **extra}
        if not is_empty(want):
            action["value"] = want
        actions.append(action)
    return actions


def _keyed(assets: list[Mapping[str, Any]], resource_type: str, where: str) -> dict[str, Mapping[str, Any]]:
    by_key: dict[str, Mapping[str, Any]] = {}
    for index, asset in enumerate(assets):
        key = asset.get("key")
        if not key:
            raise RefusedChange(
                resource_type,
                f"{where}[{index}]",
                "an asset without a key cannot be matched with the target's assets.",
                "Give every asset a unique key.",
            )
        if key in by_key:
            raise RefusedChange(
                resource_type, f"{where}[{index}]", f"the asset key {key!r} is repeated.", "Keys must be unique."
            )
        by_key[key] = asset
    return by_key


def asset_actions(
    draft_assets: list[Mapping[str, Any]] | None,
    current_assets: list[Mapping[str, Any]] | None,
    ctx: BuildContext,
    resource_type: str,
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The asset actions of a category or a product variant (``extra``: the variant's ``sku``/``staged``)."""
    extra = dict(extra or {})
    want = _keyed(list(draft_assets or []), resource_type, "assets")
    have_list = list(current_assets or [])
    have = {a.get("key"): a for a in have_list if a.get("key")}
    actions: list[dict[str, Any]] = []
    for asset in have_list:
        if asset.get("key") not in want:
            ref = {"assetKey": asset["key"]} if asset.get("key") else {"assetId": asset.get("id")}
            actions.append({"action": "removeAsset", **ref, **extra})
    kept = [a for a in have_list if a.get("key") in want]
    draft_order = [k for k in want if k in have]
    if [a.get("key") for a in kept] != draft_order:
        actions.append({"action": "changeAssetOrder", "assetOrder": [have[k].get("id") for k in draft_order], **extra})
    for position, (key, asset) in enumerate(want.items()):
        if key not in have:
            actions.append({"action": "addAsset", "asset": dict(asset), "position": position, **extra})
    for key, asset in want.items():
        if key in have:
            actions.extend(_changed_asset(key, asset, have[key], ctx, extra))
    return actions


def _changed_asset(
    key: str, want: Mapping[str, Any], have: Mapping[str, Any], ctx: BuildContext, extra: Mapping[str, Any]
) -> list[dict[str, Any]]:
    ref = {"assetKey": key, **extra}
    actions: list[dict[str, Any]] = []
    if not values_equal(want.get("name"), have.get("name"), ctx):
        actions.append({"action": "changeAssetName", **ref, "name": want.get("name")})
    if not values_equal(want.get("description"), have.get("description"), ctx):
        action = {"action": "setAssetDescription", **ref}
        if not is_empty(want.get("description")):
            action["description"] = want.get("description")
        actions.append(action)
    if not sets_equal(want.get("tags"), have.get("tags"), ctx):
        action = {"action": "setAssetTags", **ref}
        if not is_empty(want.get("tags")):
            action["tags"] = want.get("tags")
        actions.append(action)
    if not values_equal(want.get("sources"), have.get("sources"), ctx):
        actions.append({"action": "setAssetSources", **ref, "sources": want.get("sources") or []})
    actions.extend(custom_actions(want.get("custom"), have.get("custom"), ctx, prefix="Asset", extra=ref))
    return actions
