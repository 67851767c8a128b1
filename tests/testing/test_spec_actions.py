"""The fake's update actions against the spec: names per resource, and how each action is treated.

``airflow_provider_commercetools/testing/fake/spec_actions.json`` holds the names (read from the
RAML by ``scripts/spec_actions.py``); here they are compared with the TypeScript types that
commercetools generates from the same RAML, the npm package ``@commercetools/platform-sdk`` (a
devDependency in emulator/package.json, installed by ``npm ci --prefix emulator``), so a newer SDK
pinned there shows a spec change as a failing test. Then every (resource, action) of the list is
walked: handled, generic (checked against the SDK's property names) or refused as not modelled.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from airflow_provider_commercetools.testing.fake import update_actions
from airflow_provider_commercetools.testing.fake.spec_actions import resource_actions, resources

ROOT = Path(__file__).resolve().parents[2]
FACTS = json.loads(
    (ROOT / "airflow_provider_commercetools" / "testing" / "fake" / "spec_actions.json").read_text(encoding="utf-8")
)
SDK = ROOT / "emulator" / "node_modules" / "@commercetools" / "platform-sdk"
MODELS = SDK / "dist" / "declarations" / "src" / "generated" / "models"


@cache
def sdk_text() -> str:
    if not MODELS.is_dir():
        pytest.fail(
            f"{MODELS} is missing: the spec check reads the @commercetools/platform-sdk types; install the "
            "emulator's npm packages with `npm ci --prefix emulator` (scripts/setup.sh does)"
        )
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(MODELS.glob("*.d.ts")))


def interface_fields(name: str) -> list[str]:
    """The properties of ``export interface <name>``, or of every member of ``export type <name> = A | B``."""
    text = sdk_text()
    match = re.search(rf"export interface {name}\b[^{{]*\{{(.*?)\n\}}", text, re.S)
    if match:
        return re.findall(r"readonly (\w+)\??:", match.group(1))
    union = re.search(rf"export type {name} = ([^;]+);", text)
    assert union, name
    found: list[str] = []
    for member in re.findall(r"\w+", union.group(1)):
        found += [f for f in interface_fields(member) if f not in found]
    return found


def sdk_actions(union_name: str) -> dict[str, list[str]]:
    """``action`` literal -> the other properties, for every member of ``export type <union_name> = ...``."""
    text = sdk_text()
    union = re.search(rf"export type {union_name} = ([^;]+);", text)
    assert union, union_name
    found = {}
    for member in re.findall(r"\w+", union.group(1)):
        block = re.search(rf"export interface {member} extends \w+ \{{(.*?)\n\}}", text, re.S)
        assert block, member
        (name,) = re.findall(r"readonly action: '(\w+)'", block.group(1))
        found[name] = [p for p in re.findall(r"readonly (\w+)\??:", block.group(1)) if p != "action"]
    return found


def stem(raml_path: str) -> str:
    return raml_path.rsplit("/", 1)[1].removesuffix(".raml")


RESOURCES = resources()

# ------------------------------------------------------------------------------ the list vs the SDK


def test_the_list_names_its_spec_commit_files_and_sdk():
    assert re.fullmatch(r"[0-9a-f]{40}", FACTS["commit"])
    assert FACTS["spec_repository"] == "commercetools/commercetools-api-reference"
    assert len(RESOURCES) >= 28
    for resource in RESOURCES:
        entry = FACTS["resources"][resource]
        assert entry["update_action"].startswith("api-specs/api/types/") and entry["update_action"].endswith(
            "UpdateAction.raml"
        ), resource
        assert entry["shape"].startswith("api-specs/api/types/"), resource
        assert set(entry["deprecated"]) <= set(entry["actions"]), resource


def test_the_sdk_is_the_pinned_version():
    sdk_text()  # a clear failure when it is not installed
    package = json.loads((SDK / "package.json").read_text(encoding="utf-8"))
    assert package["version"] == FACTS["sdk"]["version"]
    emulator = json.loads((ROOT / "emulator" / "package.json").read_text(encoding="utf-8"))
    assert emulator["devDependencies"][FACTS["sdk"]["package"]] == FACTS["sdk"]["version"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_action_names_and_properties_are_the_sdks(resource):
    entry = FACTS["resources"][resource]
    sdk = sdk_actions(stem(entry["update_action"]))
    newer = FACTS["not_in_sdk"].get(resource, {"actions": [], "fields": []})
    # the RAML's actions = the SDK's + the deprecated ones (the SDK leaves them out) + the newer ones
    assert sorted(entry["actions"]) == sorted([*sdk, *entry["deprecated"], *newer["actions"]])
    newer_properties = newer.get("properties", {})
    for name, properties in sdk.items():
        assert sorted(entry["actions"][name]) == sorted([*properties, *newer_properties.get(name, [])]), name


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_resource_fields_are_the_sdks(resource):
    entry = FACTS["resources"][resource]
    newer = FACTS["not_in_sdk"].get(resource, {"actions": [], "fields": []})
    assert sorted(entry["fields"]) == sorted([*interface_fields(stem(entry["shape"])), *newer["fields"]])


# ---------------------------------------------------------------------- how the fake treats each action

#: the actions of the resources the sync and the publisher use that the fake refuses as not modelled
NOT_MODELLED = {
    "categories": {"setAssetCustomField", "setAssetCustomType"},
    "product-types": {"changeAttributeOrder"},  # deprecated
    "types": {"changeFieldDefinitionLabel"},  # deprecated
    "customer-groups": set(),
    "channels": {"setAddressCustomField", "setAddressCustomType"},
    "tax-categories": set(),
    "states": set(),
    "zones": set(),
    "customers": {
        "addCustomerGroupAssignment",
        "removeCustomerGroupAssignment",
        "setAddressCustomField",
        "setAddressCustomType",
    },
    "inventory": {"setReorderPoint", "setSafetyStock"},  # their fields are not on InventoryEntry
    "standalone-prices": {"applyStagedChanges", "removeStagedChanges"},
    # the storefront URLs: no such fields on Store (they are in 'storefront', added after the SDK)
    "stores": {a for a in FACTS["resources"]["stores"]["actions"] if a.endswith(("Url", "UrlTemplate"))},
    "products": {
        *(a for a in FACTS["resources"]["products"]["actions"] if re.search("Asset|Image", a)),
        "addPrice",
        "changePrice",
        "setDiscountedPrice",
        "setPriceKey",
        "setProductPriceCustomField",
        "setProductPriceCustomType",
        "removePrice",
        "setPrices",
        "revertStagedChanges",
        "revertStagedVariantChanges",
        "setDefaultVariant",
        "setSKU",  # deprecated
        "transitionState",
    },
}


def sdk_properties(resource: str, name: str) -> list[str]:
    """The action's properties as the SDK has them (the list's for actions newer than the SDK)."""
    entry = FACTS["resources"][resource]
    sdk = sdk_actions(stem(entry["update_action"]))
    return sdk.get(name, entry["actions"][name])


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_action_of_the_spec_is_handled_generic_or_refused(resource):
    spec = resource_actions(resource)
    assert spec is not None
    shape = set(interface_fields(stem(spec.shape))) | set(FACTS["not_in_sdk"].get(resource, {}).get("fields", []))
    kinds = {name: update_actions.kind_of(resource, name) for name in spec.actions}
    assert set(kinds.values()) <= {"handled", "generic", "not modelled"}
    for name, kind in kinds.items():
        if kind == "generic":  # a plain set of one field: the SDK agrees on the property and the field
            match = re.fullmatch(r"(set|change)(\w+)", name)
            assert match, name
            field = match.group(2)[:1].lower() + match.group(2)[1:]
            assert sdk_properties(resource, name) == [field], (resource, name)
            assert field in shape, (resource, name)
    if resource in NOT_MODELLED:
        assert {n for n, k in kinds.items() if k == "not modelled"} == NOT_MODELLED[resource], resource
    assert update_actions.kind_of(resource, "noSuchAction") == "unknown"


def test_every_handler_is_an_action_of_its_resource_in_the_spec():
    for resource, handlers in update_actions.HANDLERS.items():
        spec = resource_actions(resource)
        assert spec is not None, resource
        assert set(handlers) <= set(spec.actions), (resource, set(handlers) - set(spec.actions))
        assert all(update_actions.kind_of(resource, n) == "handled" for n in handlers)


def test_actions_of_another_resource_are_unknown():
    assert update_actions.kind_of("customers", "changeSlug") == "unknown"  # a category's and a product's
    assert update_actions.kind_of("categories", "setCustomerNumber") == "unknown"
    assert update_actions.kind_of("inventory", "publish") == "unknown"
    assert update_actions.kind_of("no-such-resource", "setKey") == "unknown"
