"""The required draft fields the fake enforces, against the spec's generated SDK types.

``airflow_provider_commercetools/testing/fake/spec_drafts.json`` (read from the RAML by
``scripts/spec_drafts.py``) is compared with the ``*Draft`` interfaces of ``@commercetools/platform-sdk``
(generated from the same RAML; a property without ``?`` is required).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from airflow_provider_commercetools.testing.fake.spec_drafts import draft_file, required_fields, resources
from tests.testing.test_spec_actions import sdk_text

ROOT = Path(__file__).resolve().parents[2]
FACTS = json.loads(
    (ROOT / "airflow_provider_commercetools" / "testing" / "fake" / "spec_drafts.json").read_text(encoding="utf-8")
)
ACTIONS = json.loads(
    (ROOT / "airflow_provider_commercetools" / "testing" / "fake" / "spec_actions.json").read_text(encoding="utf-8")
)
RESOURCES = resources()


def sdk_required(name: str) -> list[str]:
    """The properties of ``export interface <name>`` declared without ``?``; for ``export type <name> = A | B``
    (BusinessUnitDraft = CompanyDraft | DivisionDraft) the ones every member requires."""
    match = re.search(rf"export interface {name}\b[^{{]*\{{(.*?)\n\}}", sdk_text(), re.S)
    if match is None:
        union = re.search(rf"export type {name} = ([^;]+);", sdk_text())
        assert union, name
        members = [sdk_required(member) for member in re.findall(r"\w+", union.group(1))]
        return [f for f in members[0] if all(f in m for m in members)]
    return re.findall(r"readonly (\w+):", match.group(1))


def test_the_list_names_its_spec_commit_and_covers_the_resources_with_actions():
    assert FACTS["commit"] == ACTIONS["commit"]
    assert FACTS["spec_repository"] == "commercetools/commercetools-api-reference"
    assert set(ACTIONS["resources"]) | {"custom-objects"} == set(RESOURCES)


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_required_fields_are_the_sdks(resource):
    path = draft_file(resource)
    assert path is not None and path.startswith("api-specs/api/types/") and path.endswith("Draft.raml")
    name = path.rsplit("/", 1)[1].removesuffix(".raml")
    assert sorted(required_fields(resource)) == sorted(sdk_required(name))


def test_known_required_fields():
    # spot checks of the list, so a regenerated list that lost them fails here too
    assert required_fields("products") == ("productType", "name", "slug")
    assert required_fields("categories") == ("name", "slug")
    assert required_fields("customers") == ("email",)
    assert required_fields("inventory") == ("sku", "quantityOnStock")
    assert required_fields("no-such-resource") == ()
