"""The fake's create refuses a draft without a required field of the spec (spec_drafts.json), over real HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.spec_drafts import required_fields
from tests.testing.plain_api import PlainApi

#: one complete draft per resource (every required field of spec_drafts.json, values of the spec's types)
COMPLETE = {
    "customers": {"key": "cu1", "email": "a@example.com"},
    "inventory": {"key": "i1", "sku": "s1", "quantityOnStock": 3},
}


@pytest.fixture
def api(ct: FakeCommercetools) -> PlainApi:
    return PlainApi(ct)


@pytest.mark.parametrize("resource", sorted(COMPLETE))
def test_a_complete_draft_is_created(ct, api, resource):
    assert set(required_fields(resource)) <= set(COMPLETE[resource])
    response = api.post(resource, COMPLETE[resource])
    assert response.status_code == 201, response.text
    assert len(ct.entities(resource)) == 1


@pytest.mark.parametrize(("resource", "field"), [(r, f) for r in sorted(COMPLETE) for f in required_fields(r)])
@pytest.mark.parametrize("how", ["absent", "null"])
def test_a_draft_without_a_required_field_is_refused_and_nothing_is_written(ct, api, resource, field, how):
    draft = dict(COMPLETE[resource])
    if how == "absent":
        del draft[field]
    else:
        draft[field] = None
    response = api.post(resource, draft)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "InvalidJsonInput"
    assert error["detailedErrorMessage"] == f"{field}: Missing required value."
    assert ct.entities(resource) == []


def test_the_first_missing_field_in_the_specs_order_is_named(ct, api):
    response = api.post("inventory", {"key": "i1"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["detailedErrorMessage"] == "sku: Missing required value."
    assert ct.entities("inventory") == []


def test_seeding_stores_an_incomplete_draft(ct):
    ct.add("customers", {"key": "c1"})  # add / add_many store what the test gives
    assert [p["key"] for p in ct.entities("customers")] == ["c1"]
