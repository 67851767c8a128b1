"""The action builders against the independent emulator (@labdigital/commercetools-mock).

For each resource type: a resource is created from a ``before`` draft, the builder diffs the
``after`` draft against the resource as the emulator returns it, the actions are sent as one update
request, and the resource read back is diffed again: the second diff must be empty (a second sync
run plans nothing) and the first must not be (the test could fail). This checks the action names
and shapes against an implementation that is not ours, and the equality against what a server
returns (its defaults, money and reference shapes). The scenarios use the actions the emulator
implements (4.4.0; it lacks e.g. ``changeOrderHint``, ``setExternalId`` of categories, ``setRoles``,
``changeLabel`` of Types, ``setCategoryOrderHint``, ``setPriceTiers``, price validity actions,
``setSupplyChannels``, ``setProductSelections``);
the others are covered by the golden cases and their model.

The conformance session's emulator (``tests/conformance/conftest.py``); each test has a project of its own.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.writing.sync import CREATE_OR_UPDATE, differences, sync_type
from emulator import Emulator
from tests.conformance.support import RawApi

_PATHS = {
    "category": "categories",
    "type": "types",
    "product-type": "product-types",
    "channel": "channels",
    "customer-group": "customer-groups",
    "state": "states",
    "tax-category": "tax-categories",
    "product": "products",
    "store": "stores",
}
_projects = itertools.count(1)


class EmulatorContext:
    """A BuildContext answered by reading the emulator (the operator's cache does it in batches)."""

    def __init__(self, api: RawApi) -> None:
        self.api = api

    def key_of(self, type_id: str, id: str) -> str | None:
        response = self.api.call("GET", f"{_PATHS[type_id]}/{id}")
        return response.json().get("key") if response.status_code == 200 else None

    def id_of(self, type_id: str, key: str) -> str | None:
        response = self.api.call("GET", f"{_PATHS[type_id]}/key={key}")
        return response.json().get("id") if response.status_code == 200 else None


@pytest.fixture
def api(emulator: Emulator) -> RawApi:
    return RawApi(emulator, f"sync-actions-{next(_projects)}")


def _sync(api: RawApi, type_name: str, before: dict[str, Any], after: dict[str, Any], **options: Any) -> list[Any]:
    """Create ``before``, sync it to ``after``; returns the first actions. Asserts the second diff is empty."""
    sync = sync_type(type_name)
    if options:
        sync = sync.with_options(**options)
    ctx = EmulatorContext(api)
    created = api.post(sync.entity, sync.draft_for_create(before))
    created = created.get("customer", created)  # POST /customers answers a CustomerSignInResult
    path = f"{sync.entity}/{created['id']}"
    if type_name == "custom-objects":
        path = f"custom-objects/{created['container']}/{created['key']}"
    actions = sync.build_actions(after, api.get(path), ctx, None)
    assert actions, "the scenario must change something"
    if actions[0]["action"] == CREATE_OR_UPDATE:
        api.post(sync.entity, actions[0]["draft"])
    else:
        api.post(path, {"version": created["version"], "actions": actions})
    again = api.get(path)
    assert sync.build_actions(after, again, ctx, None) == [], f"not converged after {actions}"
    return actions


def test_categories(api: RawApi) -> None:
    for key in ("parent-a", "parent-b"):
        api.post("categories", {"key": key, "name": {"en": key}, "slug": {"en": key}})
    api.post(
        "types",
        {
            "key": "cat-fields",
            "name": {"en": "f"},
            "resourceTypeIds": ["category"],
            "fieldDefinitions": [
                {
                    "name": "tags",
                    "label": {"en": "t"},
                    "required": False,
                    "type": {"name": "Set", "elementType": {"name": "String"}},
                },
                {"name": "rank", "label": {"en": "r"}, "required": False, "type": {"name": "Number"}},
            ],
        },
    )
    custom = {"type": {"typeId": "type", "key": "cat-fields"}, "fields": {"tags": ["a", "b"], "rank": 1}}
    before = {
        "key": "shoes",
        "name": {"en": "Shoes"},
        "slug": {"en": "shoes"},
        "description": {"en": "old"},
        "parent": {"typeId": "category", "key": "parent-a"},
        "custom": custom,
    }
    after = {
        **before,
        "name": {"en": "Shoes", "de": "Schuhe"},
        "slug": {"en": "shoes-2"},
        "description": None,
        "parent": {"typeId": "category", "key": "parent-b"},
        "metaTitle": {"en": "Shoes!"},
        "custom": {**custom, "fields": {"tags": ["b", "a", "c"]}},
        "assets": [{"key": "manual", "name": {"en": "Manual"}, "sources": [{"uri": "https://example.com/m.pdf"}]}],
    }
    names = [a["action"] for a in _sync(api, "categories", before, after)]
    assert names == [
        "changeName",
        "changeSlug",
        "setDescription",
        "changeParent",
        "setMetaTitle",
        "addAsset",
        "setCustomField",
        "setCustomField",
    ]


def test_customer_groups_channels_zones(api: RawApi) -> None:
    _sync(api, "customer-groups", {"key": "vip", "groupName": "VIP"}, {"key": "vip", "groupName": "Very important"})
    channel = {"key": "berlin", "name": {"en": "Berlin"}, "roles": ["InventorySupply"]}
    changed = {
        **channel,
        "name": {"en": "Berlin Mitte"},
        "description": {"en": "Store"},
        "address": {"country": "DE", "city": "Berlin"},
        "geoLocation": {"type": "Point", "coordinates": [13.4, 52.5]},
    }
    _sync(api, "channels", channel, changed)
    zone = {"key": "eu", "name": "EU", "locations": [{"country": "DE"}, {"country": "FR"}]}
    _sync(api, "zones", zone, {**zone, "description": "Europe", "locations": [{"country": "FR"}, {"country": "AT"}]})


def test_tax_categories(api: RawApi) -> None:
    before = {
        "key": "std",
        "name": "Standard",
        "rates": [
            {"name": "DE", "amount": 0.19, "includedInPrice": True, "country": "DE"},
            {"name": "FR", "amount": 0.2, "includedInPrice": True, "country": "FR"},
        ],
    }
    after = {
        "key": "std",
        "name": "Standard",
        "rates": [
            {"name": "DE", "amount": 0.07, "includedInPrice": True, "country": "DE"},
            {"key": "at", "name": "AT", "amount": 0.2, "includedInPrice": True, "country": "AT"},
        ],
    }
    names = sorted(a["action"] for a in _sync(api, "tax-categories", before, after))
    assert names == ["addTaxRate", "removeTaxRate", "replaceTaxRate"]


def test_states(api: RawApi) -> None:
    shipped = api.post("states", {"key": "shipped", "type": "OrderState", "initial": False})
    # the emulator creates states with initial false (StateDraft.raml: default true), so the drafts say it;
    # and it stores a transition given by key without its id, so this one is given by id
    before = {"key": "open", "type": "OrderState", "name": {"en": "Open"}, "initial": False}
    after = {**before, "name": {"en": "Opened"}, "transitions": [{"typeId": "state", "id": shipped["id"]}]}
    _sync(api, "states", before, after)


def test_types_and_product_types(api: RawApi) -> None:
    before = {
        "key": "t",
        "name": {"en": "T"},
        "resourceTypeIds": ["category"],
        "fieldDefinitions": [
            {"name": "old", "label": {"en": "Old"}, "required": False, "type": {"name": "String"}},
            {
                "name": "color",
                "label": {"en": "Color"},
                "required": False,
                "type": {"name": "Enum", "values": [{"key": "r", "label": "Red"}]},
            },
        ],
    }
    color = {
        "name": "color",
        "label": {"en": "Color"},
        "required": False,
        "type": {"name": "Enum", "values": [{"key": "r", "label": "Rot"}, {"key": "g", "label": "Green"}]},
    }
    size = {"name": "size", "label": {"en": "Size"}, "required": False, "type": {"name": "Number"}}
    after = {**before, "fieldDefinitions": [color, size]}
    _sync(api, "types", before, after)
    attribute = {"label": {"en": "x"}, "isRequired": False}
    before_pt = {
        "key": "shirt",
        "name": "Shirt",
        "description": "Shirts",
        "attributes": [
            {**attribute, "name": "legacy", "type": {"name": "text"}},
            {
                **attribute,
                "name": "size",
                "type": {"name": "enum", "values": [{"key": "S", "label": "S"}, {"key": "M", "label": "M"}]},
            },
        ],
    }
    after_pt = {
        **before_pt,
        "name": "Shirts",
        "attributes": [
            {**attribute, "name": "brand", "type": {"name": "text"}},
            {
                **attribute,
                "name": "size",
                "label": {"en": "Size"},
                "type": {"name": "enum", "values": [{"key": "S", "label": "S"}]},
            },
        ],
    }
    _sync(api, "product-types", before_pt, after_pt)


def test_customers(api: RawApi) -> None:
    api.post("customer-groups", {"key": "vip", "groupName": "VIP"})
    before = {
        "key": "c1",
        "email": "ada@example.com",
        "password": "not-sent-in-updates",
        "firstName": "Ada",
        "addresses": [{"key": "home", "country": "DE", "city": "Berlin"}, {"key": "old", "country": "DE"}],
        "defaultShippingAddress": 0,
    }
    after = {
        "key": "c1",
        "email": "ada.l@example.com",
        "password": "another-one",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "customerGroup": {"typeId": "customer-group", "key": "vip"},
        "addresses": [{"key": "home", "country": "DE", "city": "Hamburg"}, {"key": "work", "country": "GB"}],
        "defaultShippingAddress": 1,
        "billingAddresses": [0],
    }
    actions = _sync(api, "customers", {**before}, after)
    assert all("password" not in action for action in actions)


def test_inventory_standalone_prices_custom_objects(api: RawApi) -> None:
    entry = {"sku": "S1", "quantityOnStock": 5}
    _sync(
        api,
        "inventory",
        entry,
        {**entry, "quantityOnStock": 0, "restockableInDays": 3, "expectedDelivery": "2027-01-01T00:00:00Z"},
    )
    price = {"key": "p1", "sku": "S1", "value": {"currencyCode": "EUR", "centAmount": 1000}}
    # (the emulator has no validity actions: setValidFrom/Until are in the golden cases)
    after = {**price, "value": {"currencyCode": "EUR", "centAmount": 1200}, "active": False}
    _sync(api, "standalone-prices", price, after)
    obj = {"container": "config", "key": "flags", "value": {"a": [1, 2]}}
    _sync(api, "custom-objects", obj, {**obj, "value": {"a": [2, 1], "b": True}})


def test_products(api: RawApi) -> None:
    api.post("product-types", {"key": "shirt", "name": "Shirt", "description": "Shirts", "attributes": []})
    for key in ("men", "sale"):
        api.post("categories", {"key": key, "name": {"en": key}, "slug": {"en": key}})
    api.post("tax-categories", {"key": "std", "name": "Standard", "rates": []})
    eur = {"currencyCode": "EUR", "centAmount": 1000}
    before = {
        "key": "shirt-1",
        "productType": {"typeId": "product-type", "key": "shirt"},
        "name": {"en": "Shirt"},
        "slug": {"en": "shirt-1"},
        "categories": [{"typeId": "category", "key": "men"}],
        "masterVariant": {
            "key": "v1",
            "sku": "S1",
            "attributes": [{"name": "size", "value": "M"}, {"name": "tags", "value": ["a", "b"]}],
            "prices": [{"value": eur}, {"value": {"currencyCode": "USD", "centAmount": 1100}, "country": "US"}],
            "images": [
                {"url": "https://example.com/a.png", "dimensions": {"w": 1, "h": 1}},
                {"url": "https://example.com/b.png", "dimensions": {"w": 1, "h": 1}},
            ],
        },
        "variants": [{"key": "v2", "sku": "S2"}],
        "publish": True,
    }
    after = {
        **before,
        "name": {"en": "Shirt 2"},
        "description": {"en": "Cotton"},
        "categories": [{"typeId": "category", "key": "sale"}],
        "taxCategory": {"typeId": "tax-category", "key": "std"},
        "masterVariant": {"key": "v3", "sku": "S3", "attributes": [{"name": "size", "value": "L"}]},
        "variants": [
            {
                "key": "v1",
                "sku": "S1",
                "attributes": [{"name": "tags", "value": ["b", "a"]}],
                "prices": [
                    {"value": {**eur, "centAmount": 1500}},
                    {"value": {"currencyCode": "GBP", "centAmount": 900}},
                ],
                "images": [
                    {"url": "https://example.com/c.png", "dimensions": {"w": 1, "h": 1}},
                    {"url": "https://example.com/a.png", "dimensions": {"w": 1, "h": 1}},
                ],
            }
        ],
    }
    actions = _sync(api, "products", before, after)
    assert actions[-1] == {"action": "publish"}
    product = api.get("products/key=shirt-1")
    assert product["masterData"]["published"] is True
    assert differences({"name": after["name"]}, product["masterData"]["current"], None) == []  # type: ignore[arg-type]


def test_stores(api: RawApi) -> None:
    for key in ("berlin", "munich"):
        api.post("channels", {"key": key, "roles": ["ProductDistribution"]})
    before = {"key": "de", "name": {"en": "Germany"}, "languages": ["de"], "countries": [{"code": "DE"}]}
    after = {
        **before,
        "name": {"en": "Deutschland"},
        "languages": ["en", "de"],
        "countries": [{"code": "AT"}, {"code": "DE"}],
        "distributionChannels": [{"typeId": "channel", "key": "munich"}, {"typeId": "channel", "key": "berlin"}],
    }
    names = [a["action"] for a in _sync(api, "stores", before, after)]
    assert names == ["setName", "setLanguages", "setCountries", "setDistributionChannels"]


def test_products_attribute_in_all_variants(api: RawApi) -> None:
    api.post("product-types", {"key": "shirt", "name": "Shirt", "description": "Shirts", "attributes": []})
    variant = {"attributes": [{"name": "brand", "value": "Old"}]}
    before = {
        "key": "shirt-2",
        "productType": {"typeId": "product-type", "key": "shirt"},
        "name": {"en": "Shirt"},
        "slug": {"en": "shirt-2"},
        "masterVariant": {"sku": "A1", **variant},
        "variants": [{"sku": "A2", **variant}],
    }
    brand = {"attributes": [{"name": "brand", "value": "ACME"}]}
    after = {**before, "masterVariant": {"sku": "A1", **brand}, "variants": [{"sku": "A2", **brand}]}
    actions = _sync(api, "products", before, after)
    assert actions == [{"action": "setAttributeInAllVariants", "name": "brand", "value": "ACME", "staged": True}]
