"""Each update action the fake handles explicitly, sent over HTTP and read back; refusals write nothing.

The handlers (testing/fake/action_handlers.py, definition_actions.py, product_actions.py) each cite the
action's RAML file; a case here per (resource, action) shows the effect the fake claims, and
``test_every_handler_has_a_case`` keeps the list complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.action_handlers import COMMON
from airflow_provider_commercetools.testing.fake.update_actions import HANDLERS
from tests.testing.plain_api import PlainApi


class Api(PlainApi):
    def read(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def update(self, path: str, version: int, actions: list[dict[str, Any]]) -> requests.Response:
        return self.session.post(f"{self.base}/{path}", json={"version": version, "actions": actions}, timeout=5)


@pytest.fixture
def api(ct: FakeCommercetools) -> Api:
    return Api(ct)


@dataclass
class Case:
    resource: str
    seed: dict[str, Any]
    actions: list[dict[str, Any]]
    check: Callable[[dict[str, Any]], Any]
    #: the (resource, action) pairs the case covers besides the actions' own names
    id: str = field(default="")


def names(values: list[dict[str, Any]], key: str = "key") -> list[Any]:
    return [v.get(key) for v in values]


ADDRESSES = [{"key": "home", "id": "a1", "country": "DE"}, {"key": "work", "id": "a2", "country": "FR"}]
ENUM_FIELD = {"name": "colour", "type": {"name": "Enum", "values": [{"key": "r", "label": "Red"}]}}
LENUM_SET = {
    "name": "sizes",
    "type": {"name": "Set", "elementType": {"name": "LocalizedEnum", "values": [{"key": "s", "label": {"en": "S"}}]}},
}
TYPE_SEED = {
    "key": "t",
    "name": {"en": "T"},
    "resourceTypeIds": ["category"],
    "fieldDefinitions": [ENUM_FIELD, LENUM_SET],
}
ATTR_ENUM = {
    "name": "colour",
    "label": {"en": "Colour"},
    "type": {"name": "enum", "values": [{"key": "r", "label": "Red"}]},
}
ATTR_LENUM = {"name": "fit", "type": {"name": "lenum", "values": [{"key": "s", "label": {"en": "Slim"}}]}}
PRODUCT_TYPE_SEED = {"key": "pt", "name": "PT", "description": "", "attributes": [ATTR_ENUM, ATTR_LENUM]}
DATA = {
    "name": {"en": "Shirt"},
    "slug": {"en": "shirt"},
    "masterVariant": {"id": 1, "sku": "S-1"},
    "variants": [{"id": 2, "sku": "S-2"}],
}
PRODUCT = {"key": "p", "masterData": {"current": DATA, "staged": DATA, "published": True, "hasStagedChanges": False}}
CATEGORY_REF = {"typeId": "category", "id": "c-1"}


def staged(entity: dict[str, Any]) -> dict[str, Any]:
    return entity["masterData"]["staged"]


CASES = [
    # every resource with Custom Fields: categories stand for them
    Case(
        "categories",
        {"key": "c", "custom": {"type": {"typeId": "type", "id": "t1"}, "fields": {"a": 1}}},
        [{"action": "setCustomField", "name": "b", "value": 2}, {"action": "setCustomField", "name": "a"}],
        lambda e: e["custom"]["fields"] == {"b": 2},
    ),
    Case(
        "categories",
        {"key": "c"},
        [{"action": "setCustomType", "type": {"typeId": "type", "id": "t2"}, "fields": {"x": "y"}}],
        lambda e: e["custom"] == {"type": {"typeId": "type", "id": "t2"}, "fields": {"x": "y"}},
    ),
    # inventory
    Case(
        "inventory",
        {"key": "i", "sku": "s", "quantityOnStock": 10, "availableQuantity": 8},
        [{"action": "addQuantity", "quantity": 5}, {"action": "removeQuantity", "quantity": 2}],
        lambda e: (e["quantityOnStock"], e["availableQuantity"]) == (13, 11),
    ),
    Case(
        "inventory",
        {"key": "i", "sku": "s", "quantityOnStock": 10, "availableQuantity": 8},
        [{"action": "changeQuantity", "quantity": 4}],
        lambda e: (e["quantityOnStock"], e["availableQuantity"]) == (4, 2),  # reserved stock stays reserved
    ),
    Case(
        "inventory",
        {"key": "i", "sku": "s", "quantityOnStock": 1, "maxCartQuantity": 9},
        [{"action": "setInventoryLimits", "minCartQuantity": 2}],
        lambda e: e.get("minCartQuantity") == 2 and "maxCartQuantity" not in e,
    ),
    # standalone prices
    Case(
        "standalone-prices",
        {"key": "sp", "sku": "s", "value": {}, "validUntil": "2025-01-01T00:00:00.000Z"},
        [
            {"action": "setValidFromAndUntil", "validFrom": "2026-01-01T00:00:00.000Z"},  # validUntil removed
            {
                "action": "setValidFromAndUntil",
                "validFrom": "2026-02-01T00:00:00.000Z",
                "validUntil": "2027-01-01T00:00:00.000Z",
            },
        ],
        lambda e: (
            (e["validFrom"], e["validUntil"]) == ("2026-02-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z")
            and "validFromAndUntil" not in e
        ),
    ),
    Case(
        "standalone-prices",
        {"key": "sp", "sku": "s", "value": {}, "validUntil": "2025-01-01T00:00:00.000Z"},
        [{"action": "setValidFromAndUntil", "validFrom": "2026-01-01T00:00:00.000Z"}],
        lambda e: e["validFrom"] == "2026-01-01T00:00:00.000Z" and "validUntil" not in e,
    ),
    Case(
        "standalone-prices",
        {"key": "sp", "sku": "s", "value": {"currencyCode": "EUR", "centAmount": 1}},
        [
            {
                "action": "setPriceTiers",
                "tiers": [{"minimumQuantity": 5, "value": {"currencyCode": "EUR", "centAmount": 1}}],
            }
        ],
        lambda e: names(e["tiers"], "minimumQuantity") == [5] and "priceTiers" not in e,
    ),
    Case(
        "standalone-prices",
        {"key": "sp", "sku": "s", "value": {"currencyCode": "EUR", "centAmount": 9}},
        [{"action": "setDiscountedPrice", "discounted": {"value": {"currencyCode": "EUR", "centAmount": 5}}}],
        lambda e: e["discounted"]["value"]["centAmount"] == 5 and "discountedPrice" not in e,
    ),
    Case(
        "standalone-prices",
        {"key": "sp", "sku": "s", "value": {}, "tiers": [{"minimumQuantity": 5, "value": {}}]},
        [
            {"action": "addPriceTier", "tier": {"minimumQuantity": 10, "value": {}}},
            {"action": "removePriceTier", "minimumQuantity": 5},
        ],
        lambda e: names(e["tiers"], "minimumQuantity") == [10],
    ),
    Case(
        "standalone-prices",
        {"key": "sp", "sku": "s", "value": {"currencyCode": "EUR", "centAmount": 1}},
        [{"action": "changeValue", "value": {"currencyCode": "EUR", "centAmount": 7}}],
        lambda e: e["value"]["centAmount"] == 7,
    ),
    # customers
    Case(
        "customers",
        {"email": "a@b.c", "addresses": [ADDRESSES[0]]},
        [{"action": "addAddress", "address": {"key": "new", "country": "US"}}],
        lambda e: names(e["addresses"]) == ["home", "new"] and e["addresses"][1]["id"] not in (None, "a1"),
    ),
    Case(
        "customers",
        {"email": "a@b.c", "addresses": ADDRESSES},
        [{"action": "changeAddress", "addressKey": "work", "address": {"key": "work", "country": "IT"}}],
        lambda e: e["addresses"][1] == {"key": "work", "country": "IT", "id": "a2"},
    ),
    Case(
        "customers",
        {
            "email": "a@b.c",
            "addresses": ADDRESSES,
            "shippingAddressIds": ["a1", "a2"],
            "defaultShippingAddressId": "a1",
        },
        [{"action": "removeAddress", "addressId": "a1"}],
        lambda e: (
            names(e["addresses"]) == ["work"]
            and e["shippingAddressIds"] == ["a2"]
            and "defaultShippingAddressId" not in e
        ),
    ),
    Case(
        "customers",
        {"email": "a@b.c", "addresses": ADDRESSES},
        [
            {"action": "addShippingAddressId", "addressKey": "home"},
            {"action": "addBillingAddressId", "addressId": "a2"},
            {"action": "setDefaultShippingAddress", "addressKey": "work"},
            {"action": "setDefaultBillingAddress", "addressId": "a1"},
        ],
        lambda e: (
            (e["shippingAddressIds"], e["billingAddressIds"]) == (["a1", "a2"], ["a2", "a1"])
            and (e["defaultShippingAddressId"], e["defaultBillingAddressId"]) == ("a2", "a1")
        ),
    ),
    Case(
        "customers",
        {
            "email": "a@b.c",
            "addresses": ADDRESSES,
            "shippingAddressIds": ["a1"],
            "billingAddressIds": ["a2"],
            "defaultBillingAddressId": "a2",
        },
        [
            {"action": "removeShippingAddressId", "addressKey": "home"},
            {"action": "removeBillingAddressId", "addressId": "a2"},
        ],
        lambda e: (e["shippingAddressIds"], e["billingAddressIds"]) == ([], []) and "defaultBillingAddressId" not in e,
    ),
    Case(
        "customers",
        {"email": "a@b.c", "password": "hashed"},
        [{"action": "setAuthenticationMode", "authMode": "ExternalAuth"}],
        lambda e: e["authenticationMode"] == "ExternalAuth" and "password" not in e and "authMode" not in e,
    ),
    Case(
        "customers",
        {"email": "a@b.c", "stores": [{"typeId": "store", "key": "s1"}]},
        [
            {"action": "addStore", "store": {"typeId": "store", "key": "s2"}},
            {"action": "removeStore", "store": {"typeId": "store", "key": "s1"}},
        ],
        lambda e: e["stores"] == [{"typeId": "store", "key": "s2"}],
    ),
    # roles
    *(
        Case(
            resource,
            {"key": "x", "roles": ["A", "B"]},
            [{"action": "addRoles", "roles": ["C", "A"]}, {"action": "removeRoles", "roles": ["B"]}],
            lambda e: e["roles"] == ["A", "C"],
        )
        for resource in ("channels", "states")
    ),
    # stores
    Case(
        "stores",
        {"key": "st", "countries": [{"code": "DE"}]},
        [{"action": "addCountry", "country": {"code": "FR"}}, {"action": "removeCountry", "country": {"code": "DE"}}],
        lambda e: e["countries"] == [{"code": "FR"}],
    ),
    *(
        Case(
            "stores",
            {"key": "st", field: [{"typeId": "channel", "id": "ch1"}]},
            [
                {"action": f"add{prop[:1].upper()}{prop[1:]}", prop: {"typeId": "channel", "id": "ch2"}},
                {"action": f"remove{prop[:1].upper()}{prop[1:]}", prop: {"typeId": "channel", "id": "ch1"}},
            ],
            lambda e, field=field: e[field] == [{"typeId": "channel", "id": "ch2"}],
        )
        for field, prop in (("distributionChannels", "distributionChannel"), ("supplyChannels", "supplyChannel"))
    ),
    Case(
        "stores",
        {"key": "st", "productSelections": []},
        [
            {"action": "addProductSelection", "productSelection": {"typeId": "product-selection", "id": "ps1"}},
            {"action": "addProductSelection", "productSelection": {"typeId": "product-selection", "id": "ps2"}},
            {
                "action": "changeProductSelectionActive",
                "productSelection": {"typeId": "product-selection", "id": "ps2"},
                "active": True,
            },
            {"action": "removeProductSelection", "productSelection": {"typeId": "product-selection", "id": "ps1"}},
        ],
        lambda e: (
            e["productSelections"]
            == [{"productSelection": {"typeId": "product-selection", "id": "ps2"}, "active": True}]
        ),
    ),
    Case(
        "stores",
        {"key": "st", "productSelections": []},
        [
            {
                "action": "setProductSelections",
                "productSelections": [{"productSelection": {"typeId": "product-selection", "id": "p"}}],
            }
        ],
        lambda e: (
            e["productSelections"]
            == [{"productSelection": {"typeId": "product-selection", "id": "p"}, "active": False}]
        ),
    ),
    # orders
    Case(
        "orders",
        {"orderNumber": "o-1", "customerEmail": "old@example.com"},
        [{"action": "setCustomerEmail", "email": "new@example.com"}],
        lambda e: e["customerEmail"] == "new@example.com" and "email" not in e,
    ),
    # tax categories
    Case(
        "tax-categories",
        {"key": "tc", "name": "TC", "rates": [{"id": "r1", "key": "de", "country": "DE", "amount": 0.19}]},
        [
            {"action": "addTaxRate", "taxRate": {"key": "fr", "country": "FR", "amount": 0.2}},
            {"action": "replaceTaxRate", "taxRateKey": "de", "taxRate": {"key": "de", "country": "DE", "amount": 0.07}},
        ],
        lambda e: (
            [(r["key"], r["amount"]) for r in e["rates"]] == [("de", 0.07), ("fr", 0.2)]
            and e["rates"][0]["id"] == "r1"
            and e["rates"][1]["id"]
        ),
    ),
    Case(
        "tax-categories",
        {"key": "tc", "name": "TC", "rates": [{"id": "r1", "country": "DE"}, {"id": "r2", "country": "FR"}]},
        [{"action": "removeTaxRate", "taxRateId": "r1"}],
        lambda e: names(e["rates"], "id") == ["r2"],
    ),
    # zones
    Case(
        "zones",
        {"key": "z", "name": "Z", "locations": [{"country": "DE"}]},
        [
            {"action": "addLocation", "location": {"country": "AT"}},
            {"action": "removeLocation", "location": {"country": "DE"}},
        ],
        lambda e: e["locations"] == [{"country": "AT"}],
    ),
    # category assets
    Case(
        "categories",
        {"key": "c", "assets": [{"id": "as1", "key": "one", "name": {"en": "One"}, "sources": []}]},
        [
            {"action": "addAsset", "asset": {"key": "two", "name": {"en": "Two"}, "sources": []}, "position": 0},
            {"action": "changeAssetName", "assetKey": "one", "name": {"en": "Uno"}},
            {"action": "setAssetDescription", "assetId": "as1", "description": {"en": "D"}},
            {"action": "setAssetSources", "assetKey": "one", "sources": [{"uri": "https://x.test/1.png"}]},
            {"action": "setAssetTags", "assetKey": "one", "tags": ["t"]},
            {"action": "setAssetKey", "assetId": "as1", "assetKey": "uno"},
        ],
        lambda e: (
            names(e["assets"]) == ["two", "uno"]
            and e["assets"][1]
            == {
                "id": "as1",
                "key": "uno",
                "name": {"en": "Uno"},
                "description": {"en": "D"},
                "sources": [{"uri": "https://x.test/1.png"}],
                "tags": ["t"],
            }
        ),
    ),
    Case(
        "categories",
        {"key": "c", "assets": [{"id": "a", "name": {}}, {"id": "b", "name": {}}, {"id": "c", "name": {}}]},
        [{"action": "changeAssetOrder", "assetOrder": ["c", "a", "b"]}, {"action": "removeAsset", "assetId": "a"}],
        lambda e: names(e["assets"], "id") == ["c", "b"],
    ),
    # types
    Case(
        "types",
        TYPE_SEED,
        [
            {"action": "addFieldDefinition", "fieldDefinition": {"name": "n", "type": {"name": "String"}, "label": {}}},
            {"action": "changeFieldDefinitionOrder", "fieldNames": ["n", "sizes", "colour"]},
            {"action": "removeFieldDefinition", "fieldName": "sizes"},
            {"action": "changeLabel", "fieldName": "n", "label": {"en": "N"}},
            {"action": "changeInputHint", "fieldName": "n", "inputHint": "MultiLine"},
        ],
        lambda e: (
            names(e["fieldDefinitions"], "name") == ["n", "colour"]
            and (e["fieldDefinitions"][0]["label"], e["fieldDefinitions"][0]["inputHint"]) == ({"en": "N"}, "MultiLine")
        ),
    ),
    Case(
        "types",
        TYPE_SEED,
        [
            {"action": "addEnumValue", "fieldName": "colour", "value": {"key": "g", "label": "Green"}},
            {"action": "changeEnumValueLabel", "fieldName": "colour", "value": {"key": "r", "label": "Rot"}},
            {"action": "changeEnumValueOrder", "fieldName": "colour", "keys": ["g", "r"]},
            {"action": "addLocalizedEnumValue", "fieldName": "sizes", "value": {"key": "m", "label": {"en": "M"}}},
            {
                "action": "changeLocalizedEnumValueLabel",
                "fieldName": "sizes",
                "value": {"key": "s", "label": {"en": "Sm"}},
            },
            {"action": "changeLocalizedEnumValueOrder", "fieldName": "sizes", "keys": ["m", "s"]},
        ],
        lambda e: (
            e["fieldDefinitions"][0]["type"]["values"] == [{"key": "g", "label": "Green"}, {"key": "r", "label": "Rot"}]
            and e["fieldDefinitions"][1]["type"]["elementType"]["values"]
            == [{"key": "m", "label": {"en": "M"}}, {"key": "s", "label": {"en": "Sm"}}]
        ),
    ),
    # product types
    Case(
        "product-types",
        PRODUCT_TYPE_SEED,
        [
            {"action": "addAttributeDefinition", "attribute": {"name": "size", "type": {"name": "text"}, "label": {}}},
            {"action": "changeAttributeOrderByName", "attributeNames": ["size", "fit", "colour"]},
            {"action": "removeAttributeDefinition", "name": "fit"},
            {"action": "changeAttributeName", "attributeName": "size", "newAttributeName": "length"},
            {"action": "changeLabel", "attributeName": "length", "label": {"en": "Length"}},
            {"action": "setInputTip", "attributeName": "length", "inputTip": {"en": "cm"}},
            {"action": "changeIsSearchable", "attributeName": "length", "isSearchable": False},
            {"action": "changeInputHint", "attributeName": "length", "newValue": "MultiLine"},
            {"action": "changeAttributeConstraint", "attributeName": "length", "newValue": "None"},
        ],
        lambda e: (
            names(e["attributes"], "name") == ["length", "colour"]
            and {
                k: e["attributes"][0][k]
                for k in ("label", "inputTip", "isSearchable", "inputHint", "attributeConstraint")
            }
            == {
                "label": {"en": "Length"},
                "inputTip": {"en": "cm"},
                "isSearchable": False,
                "inputHint": "MultiLine",
                "attributeConstraint": "None",
            }
        ),
    ),
    Case(
        "product-types",
        PRODUCT_TYPE_SEED,
        [
            {"action": "addPlainEnumValue", "attributeName": "colour", "value": {"key": "g", "label": "Green"}},
            {
                "action": "changePlainEnumValueLabel",
                "attributeName": "colour",
                "newValue": {"key": "r", "label": "Rot"},
            },
            {
                "action": "changePlainEnumValueOrder",
                "attributeName": "colour",
                "values": [{"key": "g", "label": "Green"}, {"key": "r", "label": "Rot"}],
            },
            {"action": "changeEnumKey", "attributeName": "colour", "key": "g", "newKey": "green"},
            {"action": "addLocalizedEnumValue", "attributeName": "fit", "value": {"key": "w", "label": {"en": "Wide"}}},
            {
                "action": "changeLocalizedEnumValueLabel",
                "attributeName": "fit",
                "newValue": {"key": "s", "label": {"en": "S"}},
            },
            {"action": "changeLocalizedEnumValueOrder", "attributeName": "fit", "values": [{"key": "w"}, {"key": "s"}]},
            {"action": "removeEnumValues", "attributeName": "fit", "keys": ["w"]},
        ],
        lambda e: (
            e["attributes"][0]["type"]["values"] == [{"key": "green", "label": "Green"}, {"key": "r", "label": "Rot"}]
            and e["attributes"][1]["type"]["values"] == [{"key": "s", "label": {"en": "S"}}]
        ),
    ),
    # products (with masterData: staged by default, both with staged false)
    Case(
        "products",
        PRODUCT,
        [
            {"action": "changeName", "name": {"en": "New"}},
            {"action": "changeSlug", "slug": {"en": "new"}, "staged": False},
            {"action": "setDescription", "description": {"en": "D"}},
            {"action": "setMetaTitle", "metaTitle": {"en": "MT"}},
            {"action": "setMetaDescription", "metaDescription": {"en": "MD"}},
            {"action": "setMetaKeywords", "metaKeywords": {"en": "MK"}},
            {"action": "setSearchKeywords", "searchKeywords": {"en": [{"text": "k"}]}},
        ],
        lambda e: (
            staged(e)["name"] == {"en": "New"}
            and e["masterData"]["current"]["name"] == {"en": "Shirt"}
            and e["masterData"]["current"]["slug"] == staged(e)["slug"] == {"en": "new"}
            and (staged(e)["description"], staged(e)["metaTitle"], staged(e)["metaDescription"])
            == ({"en": "D"}, {"en": "MT"}, {"en": "MD"})
            and staged(e)["metaKeywords"] == {"en": "MK"}
            and staged(e)["searchKeywords"] == {"en": [{"text": "k"}]}
            and e["masterData"]["hasStagedChanges"] is True
            and "name" not in e
        ),
    ),
    Case(
        "products",
        PRODUCT,
        [
            {"action": "addToCategory", "category": CATEGORY_REF, "orderHint": "0.5"},
            {"action": "setCategoryOrderHint", "categoryId": "c-1", "orderHint": "0.7"},
            {"action": "publish"},
        ],
        lambda e: (
            e["masterData"]["current"]["categories"] == [CATEGORY_REF]
            and e["masterData"]["current"]["categoryOrderHints"] == {"c-1": "0.7"}
            and e["masterData"]["hasStagedChanges"] is False
        ),
    ),
    Case(
        "products",
        {**PRODUCT, "masterData": {**PRODUCT["masterData"], "staged": {**DATA, "categories": [CATEGORY_REF]}}},
        [{"action": "removeFromCategory", "category": CATEGORY_REF}, {"action": "unpublish"}],
        lambda e: staged(e)["categories"] == [] and e["masterData"]["published"] is False,
    ),
    Case(
        "products",
        PRODUCT,
        [
            {"action": "setAttribute", "sku": "S-2", "name": "size", "value": "L"},
            {"action": "setAttributeInAllVariants", "name": "colour", "value": "red"},
            {"action": "setProductAttribute", "name": "brand", "value": "B"},
            {"action": "setSku", "variantId": 1, "sku": "S-1b"},
            {"action": "setProductVariantKey", "variantId": 2, "key": "v2"},
        ],
        lambda e: (
            staged(e)["variants"][0]["attributes"]
            == [{"name": "size", "value": "L"}, {"name": "colour", "value": "red"}]
            and staged(e)["masterVariant"]
            == {"id": 1, "sku": "S-1b", "attributes": [{"name": "colour", "value": "red"}]}
            and staged(e)["attributes"] == [{"name": "brand", "value": "B"}]
            and staged(e)["variants"][0]["key"] == "v2"
        ),
    ),
    Case(
        "products",
        PRODUCT,
        [
            {"action": "addVariant", "sku": "S-3", "key": "v3"},
            {"action": "changeMasterVariant", "sku": "S-3"},
            {"action": "removeVariant", "id": 2},
        ],
        lambda e: (
            staged(e)["masterVariant"] == {"id": 3, "sku": "S-3", "key": "v3"}
            and names(staged(e)["variants"], "sku") == ["S-1"]
        ),
    ),
]


def case_id(case: Case) -> str:
    return f"{case.resource}:{'+'.join(a['action'] for a in case.actions)}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_an_action_sent_over_http_does_what_the_spec_says(ct: FakeCommercetools, api: Api, case: Case) -> None:
    entity = ct.add(case.resource, case.seed)
    response = api.update(f"{case.resource}/{entity['id']}", entity["version"], case.actions)
    assert response.status_code == 200, response.text
    stored = api.read(f"{case.resource}/{entity['id']}")
    assert stored["version"] == entity["version"] + 1
    assert case.check(stored), stored


def test_every_handler_has_a_case() -> None:
    covered = {(case.resource, a["action"]) for case in CASES for a in case.actions}
    handled = {(resource, name) for resource, handlers in HANDLERS.items() for name in handlers}
    assert handled - covered == set()
    assert {name for _, name in covered} >= set(COMMON)


# ------------------------------------------------------------------------------------------ refusals


def refused(ct: FakeCommercetools, api: Api, resource: str, seed: dict[str, Any], actions: list[Any]) -> dict[str, Any]:
    """Send ``actions``; assert a 400 and that nothing was written; the first error."""
    entity = ct.add(resource, seed)
    response = api.update(f"{resource}/{entity['id']}", entity["version"], actions)
    assert response.status_code == 400, response.text
    assert api.read(f"{resource}/{entity['id']}") == entity  # the whole update is refused
    error: dict[str, Any] = response.json()["errors"][0]
    assert response.json()["message"] == error["message"]
    return error


@pytest.mark.parametrize(
    ("resource", "name"),
    [("customers", "changeSlug"), ("categories", "setCustomerNumber"), ("inventory", "publish"), ("zones", "setKy")],
)
def test_an_action_the_resource_does_not_have_is_refused_and_nothing_is_written(ct, api, resource, name):
    seed = {"key": "x", "email": "a@b.c", "sku": "s"}
    error = refused(ct, api, resource, seed, [{"action": "setKey", "key": "changed"}, {"action": name}])
    assert error["code"] == "InvalidJsonInput"
    assert f"'{name}' is not an update action of {resource}" in error["detailedErrorMessage"]
    assert error["detailedErrorMessage"].startswith("actions[1] -> action:")


@pytest.mark.parametrize(
    ("resource", "seed", "action"),
    [
        ("products", {"key": "p", "name": {"en": "P"}}, {"action": "addPrice", "variantId": 1, "price": {}}),
        ("standalone-prices", {"key": "sp", "value": {}}, {"action": "applyStagedChanges"}),
        ("customers", {"email": "a@b.c"}, {"action": "setAddressCustomType", "addressId": "a"}),
        ("inventory", {"sku": "s"}, {"action": "setSafetyStock", "quantity": 1}),
    ],
)
def test_an_action_the_fake_does_not_model_is_refused_and_nothing_is_written(ct, api, resource, seed, action):
    error = refused(ct, api, resource, seed, [{"action": "setKey", "key": "changed"}, action])
    assert error["code"] == "InvalidOperation"
    assert f"the fake does not model action '{action['action']}' of {resource}" in error["message"]


def test_updates_of_a_resource_outside_the_list_are_refused(ct, api):
    error = refused(ct, api, "gadgets", {"key": "g"}, [{"action": "setKey", "key": "h"}])
    assert error["code"] == "InvalidOperation" and "does not model update actions of 'gadgets'" in error["message"]


def test_a_generic_action_sets_the_field_it_names_and_a_change_needs_its_value(ct, api):
    entity = ct.add("categories", {"key": "c", "name": {"en": "C"}, "externalId": "e"})
    body = api.update(f"categories/{entity['id']}", 1, [{"action": "setExternalId"}, {"action": "setKey", "key": "k"}])
    assert body.status_code == 200 and "externalId" not in body.json() and body.json()["key"] == "k"
    error = refused(ct, api, "categories", {"key": "d", "name": {"en": "D"}}, [{"action": "changeName"}])
    assert (
        error["code"] == "InvalidJsonInput"
        and error["detailedErrorMessage"] == "actions[0] -> name: Missing required value."
    )


@pytest.mark.parametrize(
    ("resource", "seed", "action", "message"),
    [
        (
            "customers",
            {"email": "a@b.c", "addresses": ADDRESSES},
            {"action": "removeAddress", "addressKey": "x"},
            "no address with addressKey 'x'",
        ),
        (
            "customers",
            {"email": "a@b.c"},
            {"action": "setAuthenticationMode", "authMode": "Password"},
            "password: Missing required value",
        ),
        (
            "types",
            TYPE_SEED,
            {"action": "addEnumValue", "fieldName": "sizes", "value": {"key": "x"}},
            "'sizes' is not of type enum",
        ),
        (
            "types",
            TYPE_SEED,
            {"action": "changeFieldDefinitionOrder", "fieldNames": ["colour"]},
            "must name each field name once",
        ),
        (
            "product-types",
            PRODUCT_TYPE_SEED,
            {"action": "removeEnumValues", "attributeName": "fit", "keys": ["q"]},
            "no enum values with keys ['q']",
        ),
        (
            "zones",
            {"key": "z", "locations": []},
            {"action": "removeLocation", "location": {"country": "DE"}},
            "is not in locations",
        ),
        ("products", PRODUCT, {"action": "removeVariant", "sku": "S-1"}, "master variant cannot be removed"),
        ("categories", {"key": "c"}, {"action": "setCustomField", "name": "a", "value": 1}, "needs a Custom Type set"),
        (
            "categories",
            {"key": "c", "custom": {"type": {"typeId": "type", "id": "t"}, "fields": {}}},
            {"action": "setCustomField", "name": "a"},
            "no Custom Field 'a' to remove",
        ),
    ],
)
def test_an_action_naming_what_the_resource_does_not_have_is_refused(ct, api, resource, seed, action, message):
    error = refused(ct, api, resource, seed, [action])
    assert message in error["message"], error


@pytest.mark.parametrize(
    ("resource", "seed", "action"),
    [
        ("customers", {"email": "a@b.c"}, {"action": "addAddress", "address": "Main Street 1"}),
        ("tax-categories", {"key": "t", "rates": []}, {"action": "addTaxRate", "taxRate": [1]}),
        ("types", TYPE_SEED, {"action": "addEnumValue", "fieldName": "colour", "value": "g"}),
        ("categories", {"key": "c", "assets": []}, {"action": "addAsset", "asset": {}, "position": "first"}),
    ],
)
def test_a_value_of_another_type_than_the_specs_is_a_400_not_a_crash(ct, api, resource, seed, action):
    error = refused(ct, api, resource, seed, [action])
    assert error["code"] == "InvalidJsonInput" and "do not have the types of the spec" in error["message"]
