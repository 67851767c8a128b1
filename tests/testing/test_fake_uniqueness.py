"""The fake's uniqueness rules (testing/fake/uniqueness.py) over real HTTP, and the rule table against the spec.

Each rule is refused on create and on update (400 ``DuplicateField``, nothing written), the cases
commercetools allows are allowed, seeding refuses duplicates, the Import API applies the same rules,
and every rule's claim is found in the spec's text as the platform SDK vendors it (the RAML
descriptions are the ``.d.ts`` doc comments of @commercetools/platform-sdk under emulator/node_modules).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_commercetools.testing import FakeCommercetools, FakeImportApi
from airflow_provider_commercetools.testing.fake.uniqueness import RULES
from tests.testing.plain_api import PlainApi

MODELS = (
    Path(__file__).resolve().parents[2]
    / "emulator/node_modules/@commercetools/platform-sdk/dist/declarations/src/generated/models"
)


class Api(PlainApi):
    def create(self, path: str, draft: dict[str, Any]) -> dict[str, Any]:
        response = self.post(path, draft)
        assert response.status_code == 201, response.text
        body = response.json()
        return body.get("customer", body) if path.endswith("customers") else body

    def update(self, resource: str, entity: dict[str, Any], *actions: dict[str, Any]) -> requests.Response:
        return self.post(f"{resource}/{entity['id']}", {"version": entity["version"], "actions": list(actions)})


@pytest.fixture
def api(ct: FakeCommercetools) -> Api:
    return Api(ct)


def duplicate(response: requests.Response, field: str, value: Any, other: dict[str, Any] | None) -> None:
    """The answer is 400 DuplicateField naming the field, the value and (for another entity's) that entity."""
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert (error["code"], error["field"], error["duplicateValue"]) == ("DuplicateField", field, value)
    if other is None:
        assert "conflictingResource" not in error
    else:
        assert error["conflictingResource"]["id"] == other["id"]


def ls(*values: str) -> dict[str, str]:
    """A LocalizedString: en, de, ... in turn."""
    return dict(zip(("en", "de", "fr"), values, strict=False))


def variant(sku: str | None = None, key: str | None = None) -> dict[str, Any]:
    return {k: v for k, v in (("sku", sku), ("key", key)) if v is not None}


def product(key: str, slug: dict[str, str], *variants: dict[str, Any]) -> dict[str, Any]:
    draft: dict[str, Any] = {"key": key, "name": ls(key), "slug": slug, "productType": {"typeId": "product-type"}}
    if variants:
        draft["masterVariant"] = variants[0]
        draft["variants"] = list(variants[1:])
    return draft


def customer(email: str, **extra: Any) -> dict[str, Any]:
    return {"email": email, "password": "s3cret", **extra}


def stores(*keys: str) -> list[dict[str, str]]:
    return [{"typeId": "store", "key": k} for k in keys]


# (id, path, first draft, second draft, field, duplicate value): the second is refused on create
CREATE_CLASHES = [
    ("email", "customers", customer("ann@example.com"), customer("ann@example.com"), "email", "ann@example.com"),
    (
        "email-case",
        "customers",
        customer("Ann@Example.com"),
        customer("ann@EXAMPLE.com"),
        "email",
        "ann@EXAMPLE.com",
    ),
    (
        "email-same-store",
        "customers",
        customer("bo@example.com", stores=stores("berlin")),
        customer("BO@example.com", stores=stores("paris", "berlin")),
        "email",
        "BO@example.com",
    ),
    (
        "email-in-store-path",
        "in-store/key=berlin/customers",
        customer("cy@example.com"),
        customer("cy@example.com"),
        "email",
        "cy@example.com",
    ),
    (
        "email-global-then-store",  # the docs are silent: the fake refuses (the stricter reading)
        "customers",
        customer("di@example.com"),
        customer("di@example.com", stores=stores("berlin")),
        "email",
        "di@example.com",
    ),
    (
        "email-store-then-global",
        "customers",
        customer("ed@example.com", stores=stores("berlin")),
        customer("Ed@example.com"),
        "email",
        "Ed@example.com",
    ),
    (
        "customerNumber",
        "customers",
        customer("a@example.com", customerNumber="C-1"),
        customer("b@example.com", customerNumber="C-1"),
        "customerNumber",
        "C-1",
    ),
    (
        "category-slug",
        "categories",
        {"key": "a", "name": ls("A"), "slug": ls("shoes", "schuhe")},
        {"key": "b", "name": ls("B"), "slug": ls("boots", "schuhe")},
        "slug.de",
        "schuhe",
    ),
    ("product-slug", "products", product("a", ls("tee")), product("b", ls("tee")), "slug.en", "tee"),
    (
        "sku-master-vs-variant",
        "products",
        product("a", ls("a"), variant("A-1"), variant("A-2")),
        product("b", ls("b"), variant("B-1"), variant("A-2")),
        "sku",
        "A-2",
    ),
    (
        "sku-variant-vs-master",
        "products",
        product("a", ls("a"), variant("A-1"), variant("A-2")),
        product("b", ls("b"), variant("A-1")),
        "sku",
        "A-1",
    ),
    (
        "inventory-sku-channel",
        "inventory",
        {"sku": "S", "quantityOnStock": 1, "supplyChannel": {"typeId": "channel", "id": "ch-1"}},
        {"sku": "S", "quantityOnStock": 2, "supplyChannel": {"typeId": "channel", "id": "ch-1"}},
        "sku",
        "S",
    ),
    (
        "inventory-sku-no-channel",
        "inventory",
        {"sku": "S", "quantityOnStock": 1},
        {"sku": "S", "quantityOnStock": 2},
        "sku",
        "S",
    ),
    ("key", "channels", {"key": "c", "roles": []}, {"key": "c", "roles": []}, "key", "c"),
    ("standalone-price-key", "standalone-prices", {"key": "p", "sku": "a"}, {"key": "p", "sku": "b"}, "key", "p"),
    ("discount-code", "discount-codes", {"code": "X"}, {"code": "X"}, "code", "X"),
    ("customer-group", "customer-groups", {"groupName": "vip"}, {"groupName": "vip"}, "groupName", "vip"),
    ("shipping-method", "shipping-methods", {"name": "dhl"}, {"name": "dhl"}, "name", "dhl"),
    ("product-discount", "product-discounts", {"sortOrder": "0.5"}, {"sortOrder": "0.5"}, "sortOrder", "0.5"),
    ("review", "reviews", {"uniquenessValue": "u"}, {"uniquenessValue": "u"}, "uniquenessValue", "u"),
    ("shopping-list", "shopping-lists", {"slug": ls("list")}, {"slug": ls("list")}, "slug.en", "list"),
    (
        "payment",
        "payments",
        {"interfaceId": "psp-1", "paymentMethodInfo": {"paymentInterface": "psp"}},
        {"interfaceId": "psp-1", "paymentMethodInfo": {"paymentInterface": "psp"}},
        "interfaceId",
        "psp-1",
    ),
]


@pytest.mark.parametrize(
    ("path", "first", "second", "field", "value"), [c[1:] for c in CREATE_CLASHES], ids=[c[0] for c in CREATE_CLASHES]
)
def test_a_create_with_another_entitys_unique_value_is_refused_and_nothing_is_written(
    ct: FakeCommercetools, api: Api, path: str, first: dict[str, Any], second: dict[str, Any], field: str, value: Any
) -> None:
    stored = api.create(path, first)
    duplicate(api.post(path, second), field, value, stored)
    resource = path.rsplit("/", 1)[-1]
    assert [e["id"] for e in ct.entities(resource)] == [stored["id"]]


@pytest.mark.parametrize(
    ("draft", "field", "value"),
    [
        (product("a", ls("a"), variant("S"), variant("T"), variant("S")), "sku", "S"),
        (product("a", ls("a"), variant("S", "k"), variant("T", "k")), "variants.key", "k"),
    ],
    ids=["sku-twice-in-one-product", "variant-key-twice-in-one-product"],
)
def test_a_product_holding_a_value_twice_where_it_must_be_unique_is_refused(
    ct: FakeCommercetools, api: Api, draft: dict[str, Any], field: str, value: str
) -> None:
    duplicate(api.post("products", draft), field, value, None)
    assert ct.entities("products") == []


# (id, path, drafts): all of them are created
ALLOWED = [
    ("slug-in-other-locale", "categories", [{"slug": ls("shoes")}, {"slug": {"de": "shoes"}}]),
    ("product-slug-in-other-locale", "products", [product("a", ls("tee", "t")), product("b", ls("t", "tee"))]),
    (
        "same-email-in-two-stores",
        "customers",
        [customer("ann@example.com", stores=stores("berlin")), customer("ANN@example.com", stores=stores("paris"))],
    ),
    (
        "same-variant-key-in-two-products",
        "products",
        [product("a", ls("a"), variant("A", "m")), product("b", ls("b"), variant("B", "m"))],
    ),
    (
        "same-sku-on-other-channels",
        "inventory",
        [
            {"sku": "S", "quantityOnStock": 1},
            {"sku": "S", "quantityOnStock": 1, "supplyChannel": {"typeId": "channel", "id": "ch-1"}},
            {"sku": "S", "quantityOnStock": 1, "supplyChannel": {"typeId": "channel", "id": "ch-2"}},
        ],
    ),
    ("same-custom-object-key-in-two-containers", "custom-objects", []),  # below
    ("no-values", "products", [product("a", {}), product("b", {})]),
]


@pytest.mark.parametrize(("path", "drafts"), [a[1:] for a in ALLOWED], ids=[a[0] for a in ALLOWED])
def test_what_commercetools_allows_is_created(ct: FakeCommercetools, api: Api, path: str, drafts: list[Any]) -> None:
    if path == "custom-objects":
        drafts = [{"container": c, "key": "k", "value": 1} for c in ("a", "b")]
    for draft in drafts:
        api.create(path, draft)
    assert len(ct.entities(path)) == len(drafts)


def test_a_product_holds_its_slug_and_skus_in_current_and_staged_data(ct: FakeCommercetools, api: Api) -> None:
    data = {"slug": ls("tee"), "masterVariant": variant("T-1"), "variants": [variant("T-2")]}
    tee = ct.add("products", {"key": "tee", "masterData": {"current": data, "staged": data, "published": True}})
    staged = {"slug": ls("cup-new"), "masterVariant": variant("C-1"), "variants": [variant("C-2")]}
    cup = ct.add("products", {"key": "cup", "masterData": {"current": {"slug": ls("cup")}, "staged": staged}})
    duplicate(api.post("products", product("x", ls("tee"))), "slug.en", "tee", tee)
    duplicate(api.post("products", product("x", ls("cup-new"))), "slug.en", "cup-new", cup)
    duplicate(api.post("products", product("y", ls("y"), variant("C-2"))), "sku", "C-2", cup)
    duplicate(api.post("products", product("z", ls("z"), variant("T-2"))), "sku", "T-2", tee)
    assert len(ct.entities("products")) == 2


# ------------------------------------------------------------------------------------------ updates
# (id, path, first, second, actions on the second, field, value): refused, nothing of the update written
UPDATE_CLASHES = [
    (
        "changeEmail",
        "customers",
        customer("ann@example.com"),
        customer("bo@example.com"),
        [{"action": "setFirstName", "firstName": "Bo"}, {"action": "changeEmail", "email": "ANN@example.com"}],
        "email",
        "ANN@example.com",
    ),
    (
        "setCustomerNumber",
        "customers",
        customer("ann@example.com", customerNumber="C-1"),
        customer("bo@example.com"),
        [{"action": "setCustomerNumber", "customerNumber": "C-1"}],
        "customerNumber",
        "C-1",
    ),
    (
        "category-changeSlug",
        "categories",
        {"key": "a", "slug": ls("shoes")},
        {"key": "b", "slug": ls("boots")},
        [{"action": "changeSlug", "slug": ls("boots-2", "shoes")}, {"action": "changeSlug", "slug": ls("shoes")}],
        "slug.en",
        "shoes",
    ),
    (
        "product-changeSlug",
        "products",
        product("a", ls("tee")),
        product("b", ls("cup")),
        [{"action": "changeSlug", "slug": ls("tee")}],
        "slug.en",
        "tee",
    ),
    ("changeKey", "channels", {"key": "a"}, {"key": "b"}, [{"action": "changeKey", "key": "a"}], "key", "a"),
    (
        "inventory-setSupplyChannel",
        "inventory",
        {"sku": "S", "quantityOnStock": 1, "supplyChannel": {"typeId": "channel", "id": "ch-1"}},
        {"sku": "S", "quantityOnStock": 1},
        [{"action": "setSupplyChannel", "supplyChannel": {"typeId": "channel", "id": "ch-1"}}],
        "sku",
        "S",
    ),
]


@pytest.mark.parametrize(
    ("path", "first", "second", "actions", "field", "value"),
    [u[1:] for u in UPDATE_CLASHES],
    ids=[u[0] for u in UPDATE_CLASHES],
)
def test_an_update_to_another_entitys_unique_value_is_refused_and_nothing_of_it_is_written(
    ct: FakeCommercetools,
    api: Api,
    path: str,
    first: dict[str, Any],
    second: dict[str, Any],
    actions: list[dict[str, Any]],
    field: str,
    value: Any,
) -> None:
    other = api.create(path, first)
    mine = api.create(path, second)
    duplicate(api.update(path, mine, *actions), field, value, other)
    assert ct.get_entity(path, mine["id"]) == mine


def test_freed_values_can_be_taken_and_own_values_kept(ct: FakeCommercetools, api: Api) -> None:
    ann = api.create("customers", customer("ann@example.com", stores=stores("berlin")))
    # a Customer changing its own email's case, and an update that leaves the email alone
    response = api.update("customers", ann, {"action": "changeEmail", "email": "Ann@Example.com"})
    assert response.status_code == 200, response.text
    ann = response.json()
    assert api.update("customers", ann, {"action": "setFirstName", "firstName": "Ann"}).status_code == 200
    # the slug a category leaves is free for another; a deleted product's SKU and slug too
    shoes = api.create("categories", {"key": "a", "slug": ls("shoes")})
    assert api.update("categories", shoes, {"action": "changeSlug", "slug": ls("footwear")}).status_code == 200
    api.create("categories", {"key": "b", "slug": ls("shoes")})
    tee = api.create("products", product("tee", ls("tee"), variant("T-1")))
    assert api.session.delete(f"{api.base}/products/{tee['id']}", params={"version": 1}, timeout=5).status_code == 200
    api.create("products", product("tee-2", ls("tee"), variant("T-1")))


def test_seeding_refuses_values_commercetools_would_refuse(ct: FakeCommercetools) -> None:
    ct.add("customers", {"email": "ann@example.com"})
    with pytest.raises(ValueError, match="'email'"):
        ct.add_many("customers", [{"email": "bo@example.com"}, {"email": "ANN@example.com"}])
    with pytest.raises(ValueError, match=r"'slug\.en'"):
        ct.add_many("categories", [{"slug": ls("a")}, {"slug": ls("a")}])
    assert len(ct.entities("categories")) == 1  # what came before the duplicate stays, as with the API


# --------------------------------------------------------------------------------------- Import API
def test_the_import_api_applies_the_same_rules(ct: FakeCommercetools) -> None:
    imports = FakeImportApi(ct, processing_delay=0, summary_delay=0)
    api = Api(ct)
    api.create("categories", {"key": "shoes", "slug": ls("shoes")})
    api.create("customers", customer("ann@example.com", key="ann"))
    session, base = api.session, f"{imports.url}/{ct.project_key}"
    assert session.post(f"{base}/import-containers", json={"key": "c"}, timeout=5).status_code == 201
    api.create("products", product("tee", ls("tee")))
    tee = {"typeId": "product", "key": "tee"}
    for segment, resource_type, resource in [
        ("categories", "category", {"key": "boots", "name": ls("Boots"), "slug": ls("shoes")}),
        ("customers", "customer", {"key": "ann-2", "email": "ANN@example.com"}),
        ("product-variants", "product-variant", {"key": "tee-s", "sku": "T", "product": tee}),
        ("product-variants", "product-variant", {"key": "tee-m", "sku": "T", "product": tee}),
    ]:
        body = {"type": resource_type, "resources": [resource]}
        sent = session.post(f"{base}/{segment}/import-containers/c", json=body, timeout=5)
        assert sent.status_code == 201, sent.text
        operation_id = sent.json()["operationStatus"][0]["operationId"]
        deadline = time.monotonic() + 5
        while True:
            operation = session.get(f"{base}/import-operations/{operation_id}", timeout=5).json()
            if operation["state"] != "processing" or time.monotonic() > deadline:
                break
        if resource["key"] == "tee-s":  # the first variant with its SKU is imported, the second refused
            assert operation["state"] == "imported", operation
            continue
        assert operation["state"] == "validationFailed", operation
        assert operation["errors"][0]["code"] == "DuplicateField"
    assert [c["key"] for c in ct.entities("categories")] == ["shoes"]
    assert [c["key"] for c in ct.entities("customers")] == ["ann"]
    assert [v["key"] for v in ct.entities("product-variants")] == ["tee-s"]


# -------------------------------------------------------------------------------- the table vs the spec
def _doc_comments(module: str, interface: str) -> tuple[str, dict[str, str]]:
    """(the interface's own doc comment, property -> its doc comment) from the SDK's ``.d.ts``."""
    text = (MODELS / f"{module}.d.ts").read_text(encoding="utf-8")
    match = re.search(r"(/\*\*(?:(?!\*/).)*\*/\s*)?export interface " + interface + r"\b[^{]*\{", text, re.S)
    assert match is not None, f"{interface} not in {module}.d.ts"
    end = text.index("\n}", match.end())
    properties = {
        m.group(2): m.group(1)
        for m in re.finditer(r"/\*\*((?:(?!\*/).)*)\*/\s*readonly (\w+)\??:", text[match.end() : end], re.S)
    }
    return match.group(1) or "", properties


def _plain(comment: str) -> str:
    return " ".join(line.strip(" *\t") for line in comment.splitlines())


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.resource}.{r.field}" for r in RULES])
def test_each_rule_is_stated_by_the_spec(rule: Any) -> None:
    module, interface, prop, phrase = rule.spec
    own, properties = _doc_comments(module, interface)
    comment = own if prop is None else properties.get(prop)
    assert comment is not None, f"{interface}.{prop} has no doc comment"
    assert phrase.lower() in _plain(comment).lower(), (rule.source, _plain(comment))


# Draft properties whose spec text says "unique" that no rule of the table names, and why
NOT_ENFORCED = {
    ("ProductVariantDraft", "prices"): "a unique Price scope within one variant: not modelled",
}


@pytest.mark.parametrize(
    ("module", "interface"),
    [
        ("customer", "CustomerDraft"),
        ("category", "CategoryDraft"),
        ("product", "ProductDraft"),
        ("product", "ProductVariantDraft"),
        ("inventory", "InventoryEntryDraft"),
        ("discount-code", "DiscountCodeDraft"),
        ("customer-group", "CustomerGroupDraft"),
        ("shipping-method", "ShippingMethodDraft"),
        ("review", "ReviewDraft"),
        ("payment", "PaymentDraft"),
    ],
)
def test_every_unique_field_of_these_drafts_has_a_rule(module: str, interface: str) -> None:
    _, properties = _doc_comments(module, interface)
    ruled = {(r.spec[1], r.spec[2]) for r in RULES}
    unruled = [
        prop
        for prop, comment in properties.items()
        if re.search(r"\bunique\b", _plain(comment), re.I)
        and not re.search(r"unique identifier of the referenced|not checked for uniqueness", _plain(comment), re.I)
        and (interface, prop) not in ruled
        and not (prop == "key" and interface != "ProductVariantDraft")  # the default rule: "*" key
        and (interface, prop) not in NOT_ENFORCED
    ]
    assert unruled == []
