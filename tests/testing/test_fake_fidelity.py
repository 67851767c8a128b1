"""The fake as a claim about commercetools: key / id index look-ups, API defaults, references by key."""

from __future__ import annotations

import pytest

from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.indexed import candidate_ids
from airflow_provider_commercetools.testing.fake.store import Collection
from airflow_provider_commercetools.testing.predicates import conjuncts, parse_where
from tests.testing.plain_api import PlainApi


@pytest.fixture
def api(ct: FakeCommercetools) -> PlainApi:
    return PlainApi(ct)


# ----------------------------------------------------------------------------- key / id index


@pytest.fixture
def items(ct: FakeCommercetools) -> list[str]:
    """60 inventory entries in creation order (ids random, so id order differs), some updated, one deleted."""
    ids = ct.add_many("inventory", [{"key": f"k{i:02d}", "n": i % 7, "even": i % 2 == 0} for i in range(60)])
    ct.add("inventory", {"n": 99})  # no key
    return ids


def _scan_form(where: str) -> str:
    # the same predicate as an "or" that pins nothing: the fake answers it by scanning every entity
    return f'({where}) or key = "no-such-key"'


WHERES = [
    'key in ("k05", "k01", "k40", "k59", "nope", "k01")',
    'key = "k33"',
    'key in ("k02", "k03", "k04", "k10", "k11", "k12", "k20") and n >= 3',
    'key in ("k02", "k03", "k04") and key = "k03"',
    "key in :keys and even = true",
    "key = :one",
    'id in ("{a}", "{b}", "{c}", "unknown-id")',
    'id = "{a}" and key in ("k00", "k01", "k02", "k03", "k04", "k05", "k06")',
    'key in ("k10", "k11", "k12", "k13", "k14", "k15") and id > "{lowest}"',
]
PAGING = [
    {},
    {"limit": "2", "offset": "1"},
    {"sort": "id asc", "limit": "3"},
    {"sort": "id desc", "offset": "2"},
    {"sort": ["n desc", "key asc"], "limit": "4", "offset": "1"},
    {"sort": "n asc"},  # ties: creation order decides (a stable sort)
    {"withTotal": "false", "limit": "2"},
]


@pytest.mark.parametrize("where", WHERES)
def test_key_and_id_lookups_answer_as_the_scan_does(
    ct: FakeCommercetools, api: PlainApi, items: list[str], where: str
) -> None:
    # updates keep an entity's place in creation order; a delete removes it from the index
    for i in (3, 10, 40):
        entity = ct.get_entity("inventory", items[i])
        assert entity is not None
        assert (
            api.post(
                f"inventory/{items[i]}",
                {"version": entity["version"], "actions": [{"action": "setRestockableInDays", "restockableInDays": 5}]},
            ).status_code
            == 200
        )
    victim = ct.get_entity("inventory", items[11])
    assert victim is not None
    assert ct.project_api.delete("inventory", items[11], {"version": [str(victim["version"])]}).status == 200
    a, b, c = items[1], items[40], items[11]  # c: deleted
    text = where.format(a=a, b=b, c=c, lowest=min(items))  # all but the lowest id
    variables = {"var.keys": ["k01", "k02", "k04", "k40", "k44"], "var.one": "k40"}
    with ct.lock:
        coll = ct.store.get("inventory")
        assert coll is not None
        pinned = candidate_ids(coll, conjuncts(parse_where(text)), {"keys": variables["var.keys"], "one": ["k40"]})
    assert pinned is not None and len(pinned) <= 7  # looked up, not scanned
    for paging in PAGING:
        indexed = api.get("inventory", where=text, **paging, **variables)
        scanned = api.get("inventory", where=_scan_form(text), **paging, **variables)
        assert indexed.status_code == scanned.status_code == 200, indexed.text
        assert indexed.json() == scanned.json(), (text, paging)
    # the answers are not all empty: the comparison proves something
    assert api.get("inventory", where=text, **variables).json()["total"] > 0


def test_pinning_predicates_only() -> None:
    coll = Collection((("key",),))
    for i, key in enumerate(("a", "b", "c")):
        coll.insert({"id": f"id-{i}", "key": key})

    def ids(where: str, **variables: list[str]) -> list[str] | None:
        return candidate_ids(coll, conjuncts(parse_where(where)), variables)

    assert ids('key in ("c", "a", "zz")') == ["id-2", "id-0"]
    assert ids('key = "b" and id in ("id-0", "id-1")') == ["id-1"]  # the fewest candidates win
    assert ids("key in :k", k=["b", "b"]) == ["id-1"]
    for unpinned in ('key not in ("a")', 'key != "a"', 'key = "a" or key = "b"', "key is defined", 'name = "a"'):
        assert ids(unpinned) is None, unpinned
    assert ids("key = :missing") is None  # binding the filter answers the 400 for the missing variable
    assert candidate_ids(Collection((("container", "key"),)), conjuncts(parse_where('key = "a"')), {}) is None


def test_custom_objects_by_key_still_scan(ct: FakeCommercetools, api: PlainApi) -> None:
    # a custom object's key is unique per container only: no key index, the scan answers
    for container in ("c1", "c2"):
        assert api.post("custom-objects", {"container": container, "key": "same", "value": 1}).status_code == 201
    page = api.get("custom-objects", where='key = "same"').json()
    assert sorted(o["container"] for o in page["results"]) == ["c1", "c2"]


# ------------------------------------------------------------------------------ draft defaults


def test_standalone_price_active_defaults_to_true(api: PlainApi) -> None:
    draft = {"sku": "SKU-1", "value": {"currencyCode": "EUR", "centAmount": 100}}
    created = api.post("standalone-prices", draft)
    assert created.status_code == 201, created.text
    assert created.json()["active"] is True
    inactive = api.post("standalone-prices", {**draft, "key": "off", "active": False})
    assert inactive.json()["active"] is False
    # other resources get no such field
    assert "active" not in api.post("categories", {"key": "c", "name": {"en": "C"}, "slug": {"en": "c"}}).json()


# -------------------------------------------------------------------------- references by key


def test_references_by_key_are_stored_by_id(ct: FakeCommercetools, api: PlainApi) -> None:
    parent = ct.add("categories", {"key": "parent", "name": {"en": "P"}})
    product_type = ct.add("product-types", {"key": "shirt", "name": "Shirt"})
    custom_type = ct.add("types", {"key": "extra"})
    channel = ct.add("channels", {"key": "berlin"})
    created = api.post(
        "categories",
        {
            "key": "child",
            "name": {"en": "C"},
            "parent": {"typeId": "category", "key": "parent"},
            "custom": {"type": {"typeId": "type", "key": "extra"}, "fields": {}},
        },
    )
    assert created.status_code == 201, created.text
    child = created.json()
    assert child["parent"] == {"typeId": "category", "id": parent["id"]}
    assert child["custom"]["type"] == {"typeId": "type", "id": custom_type["id"]}
    product = api.post(
        "products",
        {
            "key": "p",
            "productType": {"typeId": "product-type", "key": "shirt"},
            "categories": [{"typeId": "category", "key": "child"}, {"typeId": "category", "id": parent["id"]}],
        },
    ).json()
    assert product["productType"] == {"typeId": "product-type", "id": product_type["id"]}
    for data in ("current", "staged"):  # a Product: the draft's data in both (product_shape.py)
        assert product["masterData"][data]["categories"] == [
            {"typeId": "category", "id": child["id"]},
            {"typeId": "category", "id": parent["id"]},
        ]
    price = api.post(
        "standalone-prices",
        {
            "sku": "S",
            "value": {"currencyCode": "EUR", "centAmount": 1},
            "channel": {"typeId": "channel", "key": "berlin"},
        },
    ).json()
    assert price["channel"] == {"typeId": "channel", "id": channel["id"]}
    # update actions too
    updated = api.post(
        f"categories/{child['id']}",
        {
            "version": child["version"],
            "actions": [{"action": "changeParent", "parent": {"typeId": "category", "key": "parent"}}],
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["parent"] == {"typeId": "category", "id": parent["id"]}
    assert ct.get_entity("categories", child["id"])["parent"] == {"typeId": "category", "id": parent["id"]}


def test_unknown_key_is_referenced_resource_not_found(ct: FakeCommercetools, api: PlainApi) -> None:
    answer = api.post("categories", {"key": "orphan", "parent": {"typeId": "category", "key": "missing"}})
    assert answer.status_code == 400
    body = answer.json()
    assert body["statusCode"] == 400
    error = body["errors"][0]
    assert error["code"] == "ReferencedResourceNotFound"
    assert (error["typeId"], error["key"]) == ("category", "missing")
    assert "'category' with key 'missing' was not found" in error["message"]
    assert ct.entities("categories") == []  # nothing created
    existing = ct.add("categories", {"key": "x"})
    failed = api.post(
        f"categories/{existing['id']}",
        {"version": 1, "actions": [{"action": "setCustomType", "type": {"typeId": "type", "key": "nope"}}]},
    )
    assert failed.status_code == 400
    assert failed.json()["errors"][0]["code"] == "ReferencedResourceNotFound"
    assert ct.get_entity("categories", existing["id"])["version"] == 1  # nothing applied


def test_key_references_stay_by_key(ct: FakeCommercetools, api: PlainApi) -> None:
    # StoreKeyReference / BusinessUnitKeyReference: commercetools keeps these by key
    order = api.post(
        "orders",
        {
            "orderNumber": "1",
            "store": {"typeId": "store", "key": "berlin"},
            "businessUnit": {"typeId": "business-unit", "key": "bu"},
        },
    )
    assert order.status_code == 201, order.text
    assert order.json()["store"] == {"typeId": "store", "key": "berlin"}
    assert order.json()["businessUnit"] == {"typeId": "business-unit", "key": "bu"}
    # an object that merely has typeId, key and more is not a ResourceIdentifier by key
    extra = {"typeId": "category", "key": "nope", "name": "x"}
    assert api.post("categories", {"key": "c", "meta": extra}).json()["meta"] == extra
