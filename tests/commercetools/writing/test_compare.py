"""duplicates.draft_differences: a draft and the resource commercetools made from it are equal (as the sync
compares them, for the entities it knows; field by field for the others); a change is named by path."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.writing.duplicates import draft_differences

CATEGORY_ID = "8d4cbd8f-0000-4000-8000-000000000001"
#: an entity the sync has no builder for: compared field by field
OTHER = "shopping-lists"


class Keys:
    """A BuildContext that knows keys by id through ``key_of`` and no id by key."""

    def __init__(self, key_of: Any = None) -> None:
        self._key_of = key_of

    def key_of(self, type_id: str, id: str) -> str | None:
        return self._key_of(type_id, id) if self._key_of else None

    def id_of(self, type_id: str, key: str) -> str | None:
        return None


def differences(draft: dict[str, Any], resource: dict[str, Any], key_of: Any = None, entity: str = OTHER) -> list[str]:
    return draft_differences(entity, draft, resource, Keys(key_of))


def created(draft: dict[str, Any], **filled: Any) -> dict[str, Any]:
    """The resource as commercetools returns it: the draft plus the fields the API fills in."""
    return {
        "id": "e1",
        "version": 3,
        "createdAt": "2026-01-01T00:00:00.000Z",
        "lastModifiedAt": "2026-01-02T00:00:00.000Z",
        "createdBy": {"clientId": "c"},
        **draft,
        **filled,
    }


def test_a_resource_made_from_the_draft_equals_it():
    draft = {
        "key": "shirt",
        "name": {"en": "Shirt", "de": "Hemd"},
        "price": {"currencyCode": "EUR", "centAmount": 1999},
        "roles": ["InventorySupply", "ProductDistribution"],
        "validFrom": "2026-01-01T00:00:00Z",
        "weight": 1,
        "custom": {"type": {"typeId": "type", "key": "extra"}, "fields": {}},
        "isDefault": False,
        "password": "secret",
    }
    resource = created(
        draft,
        name={"de": "Hemd", "en": "Shirt"},  # another key order
        price={"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1999, "fractionDigits": 2},
        roles=["ProductDistribution", "InventorySupply"],  # a set
        validFrom="2026-01-01T00:00:00.000Z",
        weight=1.0,
        custom={"type": {"typeId": "type", "id": "t1", "obj": {"key": "extra"}}},
        password="****hashed****",
        orderHint="0.5",  # filled in by the API
    )
    del resource["isDefault"]
    assert differences(draft, resource) == []


def test_each_difference_is_named_by_its_path():
    draft = {
        "key": "shirt",
        "name": {"en": "Shirt", "de": "Hemd"},
        "price": {"currencyCode": "EUR", "centAmount": 1999},
        "tags": ["a", "b"],
        "roles": ["InventorySupply"],
    }
    resource = created(
        draft,
        name={"en": "Shirt", "de": "Bluse"},
        price={"type": "centPrecision", "currencyCode": "EUR", "centAmount": 2099, "fractionDigits": 2},
        tags=["b", "a"],  # not a set: order matters
        roles=["InventorySupply", "ProductDistribution"],
    )
    assert differences(draft, resource) == ["name.de", "price", "roles", "tags"]


@pytest.mark.parametrize(
    ("key_of", "expected"),
    [
        (lambda type_id, id: "women" if (type_id, id) == ("category", CATEGORY_ID) else None, []),
        (lambda type_id, id: "men", ["parent"]),
        (None, ["parent"]),
    ],
    ids=["resolved-equal", "resolved-other", "unknown"],
)
def test_a_reference_by_key_is_resolved_only_when_its_key_is_known(key_of, expected):
    draft = {"key": "dresses", "parent": {"typeId": "category", "key": "women"}}
    resource = created(draft, parent={"typeId": "category", "id": CATEGORY_ID})
    assert differences(draft, resource, key_of) == expected


def test_a_product_is_compared_with_its_staged_projection():
    draft = {"key": "p1", "productType": {"typeId": "product-type", "id": "pt"}, "name": {"en": "P"}, "publish": True}
    product = {
        "id": "p",
        "version": 2,
        "key": "p1",
        "productType": {"typeId": "product-type", "id": "pt"},
        "masterData": {"published": True, "staged": {"name": {"en": "P"}}, "current": {"name": {"en": "P"}}},
    }
    assert differences(draft, product, entity="products") == []
    product["masterData"]["staged"]["name"] = {"en": "Q"}
    product["masterData"]["published"] = False
    assert differences(draft, product, entity="products") == ["name.en", "publish"]


def test_high_precision_money_and_missing_fields():
    draft = {
        "key": "k",
        "value": {"type": "highPrecision", "currencyCode": "EUR", "preciseAmount": 12345, "fractionDigits": 4},
    }
    assert differences(draft, created(draft)) == []
    assert differences(draft, created(draft, value={**draft["value"], "preciseAmount": 1})) == ["value"]
    assert differences({"key": "k", "description": {"en": "d"}}, created({"key": "k"})) == ["description"]
    assert differences({"key": "k", "description": {}}, created({"key": "k"})) == []


def test_a_category_is_equal_when_the_sync_would_send_no_action():
    """For an entity the sync knows, equal means its action builder plans nothing (the same comparison)."""
    parent = {"typeId": "category", "key": "p"}
    draft = {"key": "c1", "name": {"en": "Shoes"}, "slug": {"en": "shoes"}, "parent": parent}
    resource = created(draft, parent={"typeId": "category", "id": CATEGORY_ID}, orderHint="0.1", ancestors=[])
    parent_key = lambda type_id, id: "p" if id == CATEGORY_ID else None  # noqa: E731
    assert differences(draft, resource, parent_key, entity="categories") == []
    changed = {**resource, "name": {"en": "Boots"}}
    assert differences(draft, changed, parent_key, entity="categories") == ["name.en"]
