"""Products and categories in the fake as commercetools holds them, over HTTP.

A product created with ``POST /products`` is read back as a Product (``masterData`` with ``current`` and
``staged``: product_shape.py); its JSON's keys are checked against the TypeScript types commercetools
generates from its RAML (``@commercetools/platform-sdk``, as test_spec_actions.py does for the actions).
Categories keep ``ancestors`` (category_tree.py).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.demo import demo_catalogue
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.testing.plain_api import PlainApi
from tests.testing.test_spec_actions import interface_fields, sdk_text


class Api(PlainApi):
    def created(self, path: str, body: Any) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def updated(self, path: str, version: int, actions: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.post(path, {"version": version, "actions": actions})
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def api(ct: FakeCommercetools) -> Api:
    return Api(ct)


def required_fields(name: str) -> set[str]:
    """The properties of ``export interface <name>`` without ``?`` (required in the RAML)."""
    match = re.search(rf"export interface {name}\b[^{{]*\{{(.*?)\n\}}", sdk_text(), re.S)
    assert match, name
    return set(re.findall(r"readonly (\w+):", match.group(1)))


def draft(key: str = "tee", **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "productType": {"typeId": "product-type", "key": "shirt"},
        "name": {"en": "Tee"},
        "slug": {"en": key},
        "masterVariant": {"sku": f"{key}-s", "prices": [{"value": {"currencyCode": "EUR", "centAmount": 1999}}]},
        "variants": [{"sku": f"{key}-m"}, {"sku": f"{key}-l", "key": "large"}],
        **extra,
    }


@pytest.fixture
def shirt(ct: FakeCommercetools) -> dict[str, Any]:
    return ct.add("product-types", {"key": "shirt", "name": "Shirt"})


# ------------------------------------------------------------------------------ the Product's shape


def test_a_created_product_has_the_shape_of_the_sdks_product(ct, api, shirt):
    created = api.created("products", draft(description={"en": "Soft"}))
    read = api.get(f"products/{created['id']}").json()
    assert read == created
    listed = api.get("products").json()["results"]
    assert listed == [created]

    assert set(created) <= set(interface_fields("Product")) and required_fields("Product") - {"masterData"} <= set(
        created
    )
    master = created["masterData"]
    assert set(master) == set(interface_fields("ProductCatalogData")) == required_fields("ProductCatalogData")
    for data in (master["current"], master["staged"]):
        assert set(data) <= set(interface_fields("ProductData"))
        assert required_fields("ProductData") <= set(data)
        for variant in (data["masterVariant"], *data["variants"]):
            assert set(variant) <= set(interface_fields("ProductVariant")) and "id" in variant
        (price,) = data["masterVariant"]["prices"]
        assert set(price) <= set(interface_fields("Price")) and required_fields("Price") <= set(price)
        assert set(price["value"]) == set(interface_fields("CentPrecisionMoney"))


def test_the_draft_becomes_current_and_staged_data_with_variant_ids_and_references_by_id(ct, api, shirt):
    category = ct.add("categories", {"key": "tops", "name": {"en": "Tops"}, "slug": {"en": "tops"}})
    created = api.created(
        "products",
        draft(
            categories=[{"typeId": "category", "key": "tops"}],
            categoryOrderHints={category["id"]: "0.5"},
            searchKeywords={"en": [{"text": "tee"}]},
        ),
    )
    assert created["key"] == "tee" and created["version"] == 1
    assert created["productType"] == {"typeId": "product-type", "id": shirt["id"]}
    assert created["priceMode"] == "Embedded"  # ProductDraft.raml: default Embedded
    master = created["masterData"]
    # ProductDraft.raml publish: default false; at creation current holds the draft's data as staged does
    assert (master["published"], master["hasStagedChanges"]) == (False, False)
    assert master["current"] == master["staged"]
    data = master["staged"]
    assert data["name"] == {"en": "Tee"} and data["slug"] == {"en": "tee"}
    assert data["categories"] == [{"typeId": "category", "id": category["id"]}]
    assert data["categoryOrderHints"] == {category["id"]: "0.5"}
    assert data["searchKeywords"] == {"en": [{"text": "tee"}]} and data["attributes"] == []
    assert [(v["id"], v["sku"]) for v in (data["masterVariant"], *data["variants"])] == [
        (1, "tee-s"),
        (2, "tee-m"),
        (3, "tee-l"),
    ]
    (price,) = data["masterVariant"]["prices"]
    assert isinstance(price["id"], str) and len(price["id"]) == 36
    assert price["value"] == {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1999, "fractionDigits": 2}
    assert "publish" not in created and "name" not in created  # nothing of the draft left flat on top

    published = api.created("products", draft("cap", publish=True, priceMode="Standalone"))
    assert published["masterData"]["published"] is True and published["priceMode"] == "Standalone"
    bare = api.created("products", {**draft("bare"), "masterVariant": None, "variants": []})
    assert bare["masterData"]["staged"]["masterVariant"] == {"id": 1} and bare["masterData"]["staged"]["variants"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"masterVariant": None}, "masterVariant is required when variants are given"),
        ({"categoryOrderHints": {"some-category": "0.1"}}, "categoryOrderHints names categories"),
    ],
)
def test_a_draft_the_spec_refuses_is_refused_and_nothing_is_stored(ct, api, shirt, change, message):
    response = api.post("products", {**draft(), **change})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "InvalidOperation" and message in error["message"]
    assert ct.entities("products") == []


def test_queries_on_the_product_data_find_the_created_product(ct, api, shirt):
    tee = api.created("products", draft())
    api.created("products", draft("cap"))
    for where in (
        'masterData(current(slug(en = "tee")))',
        'masterData(staged(masterVariant(sku = "tee-s")))',
        'masterData(staged(variants(key = "large"))) and key = "tee"',
    ):
        found = api.get("products", where=where).json()["results"]
        assert [p["id"] for p in found] == [tee["id"]], where
    assert api.get("products", where='slug(en = "tee")').json()["results"] == []  # nothing flat to match


def test_slugs_and_skus_stay_unique_in_the_product_shape(ct, api, shirt):
    api.created("products", draft())
    clash = api.post("products", {**draft("other"), "slug": {"en": "tee"}})
    assert clash.status_code == 400 and clash.json()["errors"][0]["field"] == "slug.en"
    clash = api.post("products", {**draft("other"), "variants": [{"sku": "tee-m"}]})
    assert clash.status_code == 400 and clash.json()["errors"][0]["field"] == "sku"


def test_seeding_a_draft_stores_the_product_it_makes(ct):
    stored = ct.add("products", {"key": "seeded", "name": {"en": "S"}, "publish": True})
    master = stored["masterData"]
    assert master["published"] is True and master["staged"]["name"] == {"en": "S"}
    assert master["staged"]["masterVariant"] == {"id": 1} and "name" not in stored
    kept = {"key": "as-is", "masterData": {"current": {}, "staged": {}, "published": False}}
    assert {k: v for k, v in ct.add("products", kept).items() if k in kept} == kept


# ------------------------------------------------------------------------------- publish / unpublish


def test_publish_and_unpublish_of_a_product_created_over_http(ct, api, shirt):
    created = api.created("products", draft())
    staged_only = api.updated(f"products/{created['id']}", 1, [{"action": "changeName", "name": {"en": "New"}}])
    master = staged_only["masterData"]
    assert master["staged"]["name"] == {"en": "New"} and master["current"]["name"] == {"en": "Tee"}
    assert (master["published"], master["hasStagedChanges"]) == (False, True)

    published = api.updated(f"products/{created['id']}", 2, [{"action": "publish"}])["masterData"]
    assert published["current"] == published["staged"] and published["current"]["name"] == {"en": "New"}
    assert (published["published"], published["hasStagedChanges"]) == (True, False)

    both = api.updated(
        f"products/{created['id']}", 3, [{"action": "setDescription", "description": {"en": "d"}, "staged": False}]
    )["masterData"]
    assert both["current"]["description"] == both["staged"]["description"] == {"en": "d"}

    unpublished = api.updated(f"products/{created['id']}", 4, [{"action": "unpublish"}])["masterData"]
    assert unpublished["published"] is False and unpublished["current"]["name"] == {"en": "New"}


# ------------------------------------------------------------------------------------------ messages


def test_product_messages_carry_projections(ct, api, shirt):
    messages = FakeMessages(ct)
    created = api.created("products", draft())
    api.updated(f"products/{created['id']}", 1, [{"action": "changeSlug", "slug": {"en": "tee-2"}}])
    deleted = api.session.delete(f"{api.base}/products/{created['id']}", params={"version": 2}, timeout=5)
    assert deleted.status_code == 200
    by_type = {m["type"]: m for m in messages.all()}
    projection = by_type["ProductCreated"]["productProjection"]
    assert set(projection) <= set(interface_fields("ProductProjection")) | {"createdAt", "lastModifiedAt"}
    assert projection["slug"] == {"en": "tee"} and projection["masterVariant"]["id"] == 1
    assert "masterData" not in projection
    assert by_type["ProductSlugChanged"]["slug"] == {"en": "tee-2"}
    assert by_type["ProductSlugChanged"]["oldSlug"] == {"en": "tee"}
    assert by_type["ProductDeleted"]["currentProjection"]["slug"] == {"en": "tee"}  # current: not published
    # UserProvidedIdentifiers.raml: the slug of the current projection (changeSlug wrote staged only)
    assert {m["resourceUserProvidedIdentifiers"]["slug"]["en"] for m in messages.all()} == {"tee"}
    assert by_type["ProductCreated"]["resourceUserProvidedIdentifiers"]["key"] == "tee"


# ------------------------------------------------------------------------------------------ ancestors


def category(api: Api, key: str, parent: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"key": key, "name": {"en": key}, "slug": {"en": key}}
    if parent is not None:
        body["parent"] = {"typeId": "category", "key": parent}
    return api.created("categories", body)


def ref(entity: dict[str, Any]) -> dict[str, str]:
    return {"typeId": "category", "id": entity["id"]}


def test_categories_keep_their_ancestors_root_first(ct, api):
    root = category(api, "root")
    women = category(api, "women", "root")
    dresses = category(api, "dresses", "women")
    assert set(interface_fields("Category")) >= set(dresses)
    assert root["ancestors"] == []
    assert women["ancestors"] == [ref(root)]
    assert dresses["ancestors"] == [ref(root), ref(women)]
    assert api.get(f"categories/{dresses['id']}").json()["ancestors"] == [ref(root), ref(women)]


def test_change_parent_moves_the_ancestors_of_the_category_and_its_descendants(ct, api):
    root, other = category(api, "root"), category(api, "other")
    women = category(api, "women", "root")
    dresses = category(api, "dresses", "women")
    long_ = category(api, "long", "dresses")
    moved = api.updated(
        f"categories/{women['id']}", 1, [{"action": "changeParent", "parent": {"typeId": "category", "key": "other"}}]
    )
    assert moved["parent"] == ref(other) and moved["ancestors"] == [ref(other)]
    assert api.get(f"categories/{dresses['id']}").json()["ancestors"] == [ref(other), ref(women)]
    below = api.get(f"categories/{long_['id']}").json()
    assert below["ancestors"] == [ref(other), ref(women), ref(dresses)] and below["version"] == 1
    assert root["ancestors"] == []


def test_a_parent_below_the_category_is_refused_and_nothing_changes(ct, api):
    root = category(api, "root")
    child = category(api, "child", "root")
    for parent in (child, root):
        response = api.post(
            f"categories/{root['id']}",
            {"version": 1, "actions": [{"action": "changeParent", "parent": ref(parent)}]},
        )
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == "InvalidOperation"
    stored = api.get(f"categories/{root['id']}").json()
    assert stored["version"] == 1 and "parent" not in stored and stored["ancestors"] == []


def test_the_demo_catalogues_products_have_the_product_shape():
    for product in demo_catalogue()["products"]:
        master = product["masterData"]
        assert set(master) == set(interface_fields("ProductCatalogData"))
        for data in (master["current"], master["staged"]):
            assert required_fields("ProductData") <= set(data) <= set(interface_fields("ProductData"))
            assert [v["id"] for v in (data["masterVariant"], *data["variants"])] == list(
                range(1, len(data["variants"]) + 2)
            )
