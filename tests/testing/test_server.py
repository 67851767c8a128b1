"""Tests of the fake commercetools server over real HTTP with plain ``requests``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.predicate_eval import bind
from airflow_provider_commercetools.testing.predicates import PredicateError, parse_where

PK = "test-project"
REPO_ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------------ helpers


def grant(ct: FakeCommercetools, scope: str | None = None, auth: tuple[str, str] | None = None) -> requests.Response:
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return requests.post(f"{ct.url}/oauth/token", auth=auth or (ct.client_id, ct.client_secret), data=data, timeout=5)


class Api:
    """A tiny client: a pooled session with a bearer token."""

    def __init__(self, ct: FakeCommercetools, scope: str | None = None) -> None:
        self.ct = ct
        self.session = requests.Session()
        response = grant(ct, scope)
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def url(self, path: str) -> str:
        return f"{self.ct.url}/{self.ct.project_key}/{path.lstrip('/')}" if path else f"{self.ct.url}/{PK}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url(path), timeout=kw.pop("timeout", 5), **kw)

    def head(self, path: str, **kw: Any) -> requests.Response:
        return self.session.head(self.url(path), timeout=5, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.url(path), json=body, timeout=kw.pop("timeout", 5), **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.session.delete(self.url(path), timeout=5, **kw)

    def query(self, resource: str, **params: Any) -> dict[str, Any]:
        response = self.get(resource, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def first_error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert body["message"] == body["errors"][0]["message"]
    return body["errors"][0]


@pytest.fixture
def api(ct: FakeCommercetools) -> Api:
    return Api(ct)


# -------------------------------------------------------------------------------------------- auth


def test_token_grant_default_scopes_and_counts(ct: FakeCommercetools) -> None:
    response = grant(ct)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 172800
    assert body["scope"] == f"manage_project:{PK}"
    assert len(body["access_token"]) >= 20
    assert ct.token_grants == 1
    assert grant(ct).json()["access_token"] != body["access_token"]
    assert ct.token_grants == 2


def test_token_grant_wrong_or_missing_credentials(ct: FakeCommercetools) -> None:
    for auth in [(ct.client_id, "wrong"), ("someone", ct.client_secret)]:
        response = grant(ct, auth=auth)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert first_error(response)["code"] == "invalid_client"
        assert "HTTP Basic" in response.json()["message"]
    response = requests.post(f"{ct.url}/oauth/token", data={"grant_type": "client_credentials"}, timeout=5)
    assert response.status_code == 401
    assert ct.token_grants == 0


def test_token_grant_type_and_scopes() -> None:
    scopes = [f"view_products:{PK}", f"manage_orders:{PK}"]
    with FakeCommercetools(scopes=scopes, token_lifetime=3600) as ct:
        response = requests.post(
            f"{ct.url}/oauth/token", auth=(ct.client_id, ct.client_secret), data={"grant_type": "password"}, timeout=5
        )
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

        response = grant(ct, scope=f"view_products:{PK} view_orders:{PK}")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"
        assert f"view_orders:{PK}" in response.json()["message"]

        body = grant(ct, scope=f"view_products:{PK}").json()
        assert body["scope"] == f"view_products:{PK}"
        assert body["expires_in"] == 3600

        assert grant(ct).json()["scope"] == " ".join(scopes)  # omitted: every scope of the client

        response = requests.post(
            f"{ct.url}/oauth/token",
            params={"scope": f"manage_orders:{PK}"},
            auth=(ct.client_id, ct.client_secret),
            data={"grant_type": "client_credentials"},
            timeout=5,
        )
        assert response.json()["scope"] == f"manage_orders:{PK}"
        assert ct.token_grants == 3


def test_api_requires_valid_token(ct: FakeCommercetools, api: Api) -> None:
    products = f"{ct.url}/{PK}/products"
    for headers in [{}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {api.token}"}]:
        response = requests.get(products, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert first_error(response)["code"] == "invalid_token"
        assert response.json()["message"] == "The provided access token is invalid."
    assert api.get("products").status_code == 200


def test_revoked_token_is_rejected_and_new_grant_works(ct: FakeCommercetools, api: Api) -> None:
    assert api.get("products").status_code == 200
    ct.revoke_tokens()
    response = api.get("products")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert Api(ct).get("products").status_code == 200


def test_token_expires() -> None:
    with FakeCommercetools(token_lifetime=1) as ct:
        api = Api(ct)
        assert api.get("").status_code == 200
        time.sleep(1.1)
        assert api.get("").status_code == 401
        assert Api(ct).get("").status_code == 200


def test_scopes_are_enforced() -> None:
    scopes = [f"view_products:{PK}", f"manage_customers:{PK}", f"view_orders:{PK}:berlin"]
    with FakeCommercetools(scopes=scopes) as ct:
        api = Api(ct)
        assert api.get("products").status_code == 200
        assert api.get("product-projections").status_code == 200
        assert api.get("product-types").status_code == 200
        assert api.get("inventory").status_code == 200
        assert api.get("custom-objects").status_code == 200  # view_products grants custom objects

        response = api.post("products", {"key": "a"})
        assert response.status_code == 403
        assert response.json()["error"] == "insufficient_scope"
        assert first_error(response)["code"] == "insufficient_scope"
        assert (
            response.json()["message"] == "Insufficient scope. One of the following scopes is missing: manage_products"
        )

        response = api.get("orders")
        assert response.status_code == 403
        assert response.json()["message"].endswith("view_orders")
        assert api.get("in-store/key=berlin/orders").status_code == 200  # store-scoped scope
        assert api.get("in-store/key=paris/orders").status_code == 403

        assert api.post("customers", {"email": "a@b.c"}).status_code == 201
        assert api.get("").status_code == 200  # the project: any scope of the project

        response = api.get("product-discounts")
        assert response.status_code == 403
        assert response.json()["message"].endswith("view_product_discounts")


def test_other_project_is_forbidden(ct: FakeCommercetools, api: Api) -> None:
    response = api.session.get(f"{ct.url}/other-project/products", timeout=5)
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert "other-project" in response.json()["message"]


def test_project_endpoint(api: Api) -> None:
    response = api.get("")
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == PK
    assert body["name"] == f"Test project {PK}"
    assert body["countries"] == ["DE", "US"]
    assert body["currencies"] == ["EUR", "USD"]
    assert body["languages"] == ["en", "de"]
    assert body["version"] == 1
    assert body["createdAt"].endswith("Z")


# -------------------------------------------------------------------------------------------- CRUD


def test_create_get_update_delete(ct: FakeCommercetools, api: Api) -> None:
    response = api.post("categories", {"key": "shirts", "name": {"en": "Shirts"}, "orderHint": "0.1"})
    assert response.status_code == 201
    created = response.json()
    assert created["version"] == 1
    assert created["key"] == "shirts"
    assert len(created["id"]) == 36
    assert created["createdAt"] == created["lastModifiedAt"]
    assert len(created["createdAt"]) == len("2026-11-27T10:00:00.000Z")
    cid = created["id"]

    assert api.get(f"categories/{cid}").json() == created
    assert api.get("categories/key=shirts").json() == created
    response = api.head(f"categories/{cid}")
    assert response.status_code == 200
    assert response.content == b""
    assert api.head("categories/key=nope").status_code == 404

    response = api.get("categories/0000")
    assert response.status_code == 404
    assert first_error(response)["code"] == "ResourceNotFound"
    assert response.json()["message"] == "The Resource with ID '0000' was not found."

    response = api.post(
        f"categories/{cid}",
        {
            "version": 1,
            "actions": [{"action": "changeName", "name": {"en": "T-Shirts"}}, {"action": "setKey", "key": "t"}],
        },
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["version"] == 2
    assert updated["name"] == {"en": "T-Shirts"}
    assert updated["key"] == "t"
    assert updated["createdAt"] == created["createdAt"]
    assert updated["lastModifiedAt"] >= created["lastModifiedAt"]
    assert api.get("categories/key=shirts").status_code == 404
    assert api.get("categories/key=t").json()["version"] == 2

    response = api.post("categories/key=t", {"version": 1, "actions": []})
    assert response.status_code == 409
    error = first_error(response)
    assert error["code"] == "ConcurrentModification"
    assert error["currentVersion"] == 2
    assert response.json()["message"] == (
        f"Object {cid} has a different version than expected. Expected: 1 - Actual: 2."
    )

    response = api.delete(f"categories/{cid}")
    assert response.status_code == 400
    assert first_error(response)["code"] == "InvalidInput"
    assert "Missing version" in response.json()["message"]
    response = api.delete(f"categories/{cid}", params={"version": 1})
    assert response.status_code == 409
    assert first_error(response)["currentVersion"] == 2
    response = api.delete("categories/key=t", params={"version": 2})
    assert response.status_code == 200
    assert response.json()["id"] == cid
    assert api.get(f"categories/{cid}").status_code == 404
    assert ct.get_entity("categories", cid) is None


def test_update_validation(api: Api) -> None:
    eid = api.post("products", {"key": "p"}).json()["id"]
    cases = [
        ({"actions": []}, "version"),
        ({"version": "1", "actions": []}, "version"),
        ({"version": 1}, "actions"),
        ({"version": 1, "actions": {"action": "setKey"}}, "actions"),
    ]
    for body, named in cases:
        response = api.post(f"products/{eid}", body)
        assert response.status_code == 400, body
        assert first_error(response)["code"] in ("InvalidJsonInput", "RequiredField")
        assert named in response.json()["message"]
    response = api.post(f"products/{eid}", {"version": 1, "actions": [{"name": "x"}]})
    assert response.status_code == 400
    assert first_error(response)["code"] == "InvalidJsonInput"  # no action name: not an update action
    response = api.session.post(api.url(f"products/{eid}"), data=b"{not json", timeout=5)
    assert response.status_code == 400
    assert first_error(response)["code"] == "InvalidJsonInput"
    assert api.get(f"products/{eid}").json()["version"] == 1  # nothing applied


def test_create_validation_and_duplicates(api: Api) -> None:
    for raw in [b"{oops", b"[1, 2]", b""]:
        response = api.session.post(api.url("products"), data=raw, timeout=5)
        assert response.status_code == 400
        assert first_error(response)["code"] == "InvalidJsonInput"
    first = api.post("products", {"key": "dup"}).json()
    response = api.post("products", {"key": "dup"})
    assert response.status_code == 400
    error = first_error(response)
    assert error["code"] == "DuplicateField"
    assert error["field"] == "key"
    assert error["duplicateValue"] == "dup"
    assert error["conflictingResource"]["id"] == first["id"]
    # same key in another resource is fine
    assert api.post("categories", {"key": "dup"}).status_code == 201
    # an update may not take a key in use
    other = api.post("products", {"key": "other"}).json()
    response = api.post(f"products/{other['id']}", {"version": 1, "actions": [{"action": "setKey", "key": "dup"}]})
    assert response.status_code == 400
    assert first_error(response)["code"] == "DuplicateField"
    assert api.get(f"products/{other['id']}").json()["key"] == "other"


def test_orders_order_number(api: Api) -> None:
    order = api.post("orders", {"orderNumber": "1001", "totalPrice": {"centAmount": 100}}).json()
    response = api.post("orders", {"orderNumber": "1001"})
    assert response.status_code == 400
    assert first_error(response)["field"] == "orderNumber"
    assert api.get("orders/order-number=1001").json()["id"] == order["id"]
    response = api.post(
        "orders/order-number=1001",
        {"version": 1, "actions": [{"action": "changeOrderState", "orderState": "Complete"}]},
    )
    assert response.json()["orderState"] == "Complete"
    assert api.delete("orders/order-number=1001", params={"version": 2}).status_code == 200
    assert api.get("orders/order-number=1001").status_code == 404


def test_customers_create_is_wrapped(api: Api) -> None:
    response = api.post("customers", {"email": "jane@example.com", "key": "jane"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"customer"}
    assert body["customer"]["email"] == "jane@example.com"
    fetched = api.get("customers/key=jane").json()
    assert fetched == body["customer"]
    updated = api.post("customers/key=jane", {"version": 1, "actions": [{"action": "changeEmail", "email": "j@x.y"}]})
    assert updated.json()["email"] == "j@x.y"  # updates are not wrapped


def test_inventory_update_actions(ct: FakeCommercetools, api: Api) -> None:
    type_id = ct.add("types", {"key": "t"})["id"]
    eid = api.post("inventory", {"sku": "s1", "quantityOnStock": 10}).json()["id"]
    actions = [
        {"action": "addQuantity", "quantity": 5},
        {"action": "removeQuantity", "quantity": 2},
        {"action": "setRestockableInDays", "restockableInDays": 3},
        {"action": "setCustomType", "type": {"key": "t", "typeId": "type"}, "fields": {"a": 1}},
        {"action": "setCustomField", "name": "b", "value": "x"},
        {"action": "setCustomField", "name": "a"},
        {"action": "setExpectedDelivery", "expectedDelivery": "2026-12-01T00:00:00.000Z"},
        {"action": "setExpectedDelivery"},
    ]
    body = api.post(f"inventory/{eid}", {"version": 1, "actions": actions}).json()
    assert body["quantityOnStock"] == body["availableQuantity"] == 13  # inventory keeps stock there
    assert "quantity" not in body
    assert body["restockableInDays"] == 3
    assert body["custom"] == {"type": {"typeId": "type", "id": type_id}, "fields": {"b": "x"}}  # key -> id
    assert "expectedDelivery" not in body
    assert body["version"] == 2
    body = api.post(f"inventory/{eid}", {"version": 2, "actions": [{"action": "changeQuantity", "quantity": 7}]}).json()
    assert body["quantityOnStock"] == 7
    assert body["version"] == 3


# ----------------------------------------------------------------------------------- custom objects


def test_custom_objects(ct: FakeCommercetools, api: Api) -> None:
    response = api.post("custom-objects", {"container": "c1", "key": "k1", "value": {"a": 1}})
    assert response.status_code == 201
    created = response.json()
    assert created["version"] == 1
    response = api.post("custom-objects", {"container": "c1", "key": "k1", "value": {"a": 2}})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["id"] == created["id"]
    response = api.post("custom-objects", {"container": "c1", "key": "k1", "value": 3, "version": 1})
    assert response.status_code == 409
    assert first_error(response)["currentVersion"] == 2
    assert api.post("custom-objects", {"container": "c1", "key": "k1", "value": 3, "version": 2}).json()["value"] == 3
    api.post("custom-objects", {"container": "c1", "key": "k2", "value": "v"})
    api.post("custom-objects", {"container": "c2", "key": "k1", "value": "w"})  # same key, other container
    response = api.post("custom-objects", {"container": "c3", "key": "k"})
    assert response.status_code == 400
    assert "value" in response.json()["message"]

    assert api.get("custom-objects/c1/k1").json()["value"] == 3
    assert api.get("custom-objects/c2/k1").json()["value"] == "w"
    assert api.get("custom-objects/c9/k1").status_code == 404
    page = api.query("custom-objects/c1", sort="key desc")
    assert [o["key"] for o in page["results"]] == ["k2", "k1"]
    assert page["total"] == 2
    assert api.query("custom-objects")["total"] == 3
    assert api.query("custom-objects", where='container = "c2"')["count"] == 1

    assert api.delete("custom-objects/c1/k1", params={"version": 1}).status_code == 409
    assert api.delete("custom-objects/c1/k1", params={"version": 3}).status_code == 200
    assert api.delete("custom-objects/c1/k2").status_code == 200  # version optional
    assert api.delete("custom-objects/c1/k2").status_code == 404
    assert [o["container"] for o in ct.entities("custom-objects")] == ["c2"]


# ------------------------------------------------------------------------------------------ queries


@pytest.fixture
def seeded(ct: FakeCommercetools) -> list[str]:
    entities = []
    for i in range(30):
        e: dict[str, Any] = {
            "key": f"k{i:02d}",
            "n": i,
            "lastModifiedAt": f"2026-11-{1 + i // 10:02d}T10:00:{i % 10:02d}.000Z",
            "masterData": {"current": {"name": {"en": f"Name {i}"}, "slug": {"en": f"s{i}"}}},
            "variants": [{"sku": f"sku-{i}-a"}, {"sku": f"sku-{i}-b"}],
        }
        if i % 3 == 0:
            e["tag"] = "fizz"
        if i % 2 == 0:
            e["published"] = True
        entities.append(e)
    return ct.add_many("products", entities)


def keys(page: dict[str, Any]) -> list[str]:
    return [e["key"] for e in page["results"]]


def test_list_defaults_and_paging(api: Api, seeded: list[str]) -> None:
    page = api.query("products")
    assert page["limit"] == 20
    assert page["offset"] == 0
    assert page["count"] == 20
    assert page["total"] == 30
    assert keys(page) == [f"k{i:02d}" for i in range(20)]  # creation order
    page = api.query("products", limit=7, offset=25)
    assert keys(page) == [f"k{i:02d}" for i in range(25, 30)]
    assert page["count"] == 5
    page = api.query("products", limit=5, withTotal="false")
    assert "total" not in page
    assert page["count"] == 5
    assert api.query("products", limit=0)["total"] == 30
    assert api.query("products", limit=0)["results"] == []
    assert api.query("nothing-here") == {"limit": 20, "offset": 0, "count": 0, "total": 0, "results": []}


def test_list_limits_rejected(api: Api, seeded: list[str]) -> None:
    cases = [
        ({"limit": 501}, "The limit must not be greater than 500."),
        ({"offset": 10001}, "The offset must not be greater than 10000."),
        ({"limit": -1}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "id sideways"}, "sort"),
    ]
    for params, text in cases:
        response = api.get("products", params=params)
        assert response.status_code == 400, params
        assert first_error(response)["code"] == "InvalidInput"
        assert text in response.json()["message"]
    assert api.query("products", limit=500, offset=10000)["count"] == 0


def test_where_predicates(api: Api, seeded: list[str]) -> None:
    def where(*predicates: str, **params: Any) -> list[str]:
        return keys(api.query("products", where=list(predicates), limit=500, **params))

    assert where(f'id = "{seeded[3]}"') == ["k03"]
    ordered = sorted(seeded)
    assert len(where(f'id > "{ordered[9]}"')) == 20
    assert where('key = "k05"') == ["k05"]
    assert where('key = "k05" or key = "k07"') == ["k05", "k07"]
    assert where('key in ("k01", "k02", "zz")') == ["k01", "k02"]
    assert len(where('key not in ("k01", "k02")')) == 28
    assert where('key != "k00"', "n < 3") == ["k01", "k02"]
    assert where('key <> "k00" and n <= 2') == ["k01", "k02"]
    assert where("n >= 28") == ["k28", "k29"]
    assert where('lastModifiedAt >= "2026-11-02T00:00:00.000Z" and lastModifiedAt < "2026-11-02T10:00:02.000Z"') == [
        "k10",
        "k11",
    ]
    assert where("(n < 2 or n > 27) and not(n = 0)") == ["k01", "k28", "k29"]
    assert where("tag is defined", "n < 10") == ["k00", "k03", "k06", "k09"]
    assert len(where("tag is not defined")) == 20
    assert where("published = true", "n < 5") == ["k00", "k02", "k04"]
    assert where("published = false") == []
    assert where('masterData(current(name(en = "Name 4")))') == ["k04"]
    assert where('masterData(current(name(en = "Name 4") and slug(en = "s4")))') == ["k04"]
    assert where('masterData.current.slug.en = "s6"') == ["k06"]
    assert where('variants(sku = "sku-8-b")') == ["k08"]
    assert where('variants.sku = "sku-9-a"') == ["k09"]
    assert where('noSuchField = "x"') == []
    assert where('noSuchField != "x"') == []
    expected = [f"k{i:02d}" for i, entity_id in enumerate(seeded) if entity_id > ordered[-3]]
    assert len(expected) == 2
    assert where("id > :last and n < :max", **{"var.last": ordered[-3], "var.max": "100"}) == expected
    assert where("id > :last and n < :max", **{"var.last": ordered[-3], "var.max": "0"}) == []
    assert where("key in :keys", **{"var.keys": ["k01", "k09"]}) == ["k01", "k09"]
    assert where('key = "with \\"quote\\""') == []  # escapes parse


def test_where_malformed(api: Api, seeded: list[str]) -> None:
    for predicate in ['key = "unterminated', "key ==", "key", "(n = 1", "n = 1 garbage", "id > :missing", "", "n = @"]:
        response = api.get("products", params={"where": predicate})
        assert response.status_code == 400, predicate
        error = first_error(response)
        assert error["code"] == "InvalidInput"
        assert response.json()["message"].startswith("Malformed parameter: where: "), response.text


def test_predicate_module_directly() -> None:
    node = parse_where('a.b = 1 and c(d in ("x", "y")) and not(e is defined)')
    assert parse_where('a.b = 1 and c(d in ("x", "y")) and not(e is defined)') is node  # cached
    pred = bind(node)
    assert pred({"a": {"b": 1}, "c": {"d": "y"}})
    assert not pred({"a": {"b": 1}, "c": {"d": "y"}, "e": 0})
    assert not pred({"a": {"b": 2}, "c": {"d": "y"}})
    assert bind(parse_where('tags contains any ("a", "z")'))({"tags": ["z"]})
    assert not bind(parse_where('tags contains all ("a", "z")'))({"tags": ["z"]})
    assert bind(parse_where("tags is empty"))({"tags": []})
    assert bind(parse_where("n > :v"), {"v": ["1.5"]})({"n": 2})
    with pytest.raises(PredicateError):
        bind(parse_where("n > :v"))
    with pytest.raises(PredicateError):
        parse_where("n > ")
    assert bind(parse_where('s = "a \\"b\\" \\\\ c"'))({"s": 'a "b" \\ c'})


def test_sorting(ct: FakeCommercetools, api: Api) -> None:
    ct.add_many(
        "things",
        [
            {"key": "a", "rank": 2, "name": {"en": "b"}},
            {"key": "b", "rank": 1, "name": {"en": "a"}},
            {"key": "c", "name": {"en": "c"}},
            {"key": "d", "rank": 2, "name": {"en": "a"}},
            {"key": "e", "rank": 3},
        ],
    )
    assert keys(api.query("things", sort="rank asc")) == ["b", "a", "d", "e", "c"]
    assert keys(api.query("things", sort="rank desc")) == ["e", "a", "d", "b", "c"]  # stable; missing last
    assert keys(api.query("things", sort=["rank asc", "name.en desc"])) == ["b", "a", "d", "e", "c"]
    assert keys(api.query("things", sort=["rank desc", "name.en asc"])) == ["e", "d", "a", "b", "c"]
    assert keys(api.query("things", sort="name.en asc")) == ["b", "d", "a", "c", "e"]
    assert keys(api.query("things", sort="key desc", limit=2, offset=1)) == ["d", "c"]
    by_id = sorted(ct.entities("things"), key=lambda e: e["id"])
    assert keys(api.query("things", sort="id asc")) == [e["key"] for e in by_id]
    assert keys(api.query("things", sort="id desc")) == [e["key"] for e in reversed(by_id)]
    page = api.query("things", sort="id desc", where=f'id < "{by_id[3]["id"]}"', limit=2, offset=1)
    assert keys(page) == [by_id[1]["key"], by_id[0]["key"]]
    assert page["total"] == 3


def test_keyset_fast_path_ranges(ct: FakeCommercetools, api: Api) -> None:
    ids = sorted(ct.add_many("items", [{"n": i, "even": i % 2 == 0} for i in range(200)]))
    page = api.query("items", sort="id asc", where=[f'id >= "{ids[10]}"', f'id < "{ids[20]}"'], limit=500)
    assert [e["id"] for e in page["results"]] == ids[10:20]
    assert page["total"] == 10
    page = api.query("items", sort="id asc", where=f'id > "{ids[10]}" and id <= "{ids[20]}" and even = true')
    assert [e["id"] for e in page["results"]] == [i for i in ids[11:21] if ct.get_entity("items", i)["even"]]
    page = api.query("items", sort="id asc", where=f'id > "{ids[5]}" and id > "{ids[7]}"', limit=2)
    assert [e["id"] for e in page["results"]] == ids[8:10]
    page = api.query("items", sort="id asc", where=f'id = "{ids[50]}"')
    assert [e["id"] for e in page["results"]] == [ids[50]]
    page = api.query("items", sort="id asc", where=f'id > "{ids[-1]}"', withTotal="false")
    assert page["results"] == []


def test_in_store(ct: FakeCommercetools, api: Api) -> None:
    ct.add("orders", {"orderNumber": "1", "store": {"typeId": "store", "key": "berlin"}})
    ct.add("orders", {"orderNumber": "2", "store": {"typeId": "store", "key": "paris"}})
    ct.add("orders", {"orderNumber": "3"})
    page = api.query("in-store/key=berlin/orders")
    assert [o["orderNumber"] for o in page["results"]] == ["1"]
    assert page["total"] == 1
    created = api.post("in-store/key=berlin/orders", {"orderNumber": "4"})
    assert created.status_code == 201
    assert created.json()["store"] == {"typeId": "store", "key": "berlin"}
    assert [o["orderNumber"] for o in api.query("in-store/key=berlin/orders")["results"]] == ["1", "4"]
    paris = ct.entities("orders")[1]
    assert api.get(f"in-store/key=berlin/orders/{paris['id']}").status_code == 404
    assert api.get(f"in-store/key=paris/orders/{paris['id']}").status_code == 200
    assert api.get("in-store/key=paris/orders/order-number=2").status_code == 200
    assert api.get("in-store/key=berlin/orders/order-number=2").status_code == 404
    response = api.post("in-store/key=berlin/customers", {"email": "x@y.z"})
    assert response.json()["customer"]["store"]["key"] == "berlin"


# ------------------------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("429", 429, None), ("500", 500, "General"), ("502", 502, None), ("503", 503, "OverCapacity"), ("504", 504, None)],
)
def test_status_faults(ct: FakeCommercetools, api: Api, kind: str, status: int, code: str | None) -> None:
    ct.inject(kind, path_prefix=f"/{PK}/products")
    assert api.get("categories").status_code == 200  # path does not match
    response = api.post("products", {"key": "x"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["statusCode"] == status
    if code:
        assert first_error(response)["code"] == code
    if kind == "429":
        assert response.headers["Retry-After"] == "1"
    assert ct.entities("products") == []  # not applied
    assert api.post("products", {"key": "x"}).status_code == 201  # once only
    assert ct.faults_injected == {kind: 1}
    assert ct.requests[-2].fault == kind
    assert ct.requests[-2].status == status


def test_fault_options_times_method_retry_after(ct: FakeCommercetools, api: Api) -> None:
    ct.inject("429", times=2, method="GET", retry_after=0.25)
    ct.inject("503", method="GET")
    assert api.post("products", {"key": "a"}).status_code == 201  # method does not match
    first = api.get("products")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "0.25"
    assert api.get("products").status_code == 429
    assert api.get("products").status_code == 503  # queued in order
    assert api.get("products").status_code == 200
    assert ct.faults_injected == {"429": 2, "503": 1}
    with pytest.raises(ValueError, match="unknown fault"):
        ct.inject("418")


def test_token_endpoint_faults_only_when_asked(ct: FakeCommercetools) -> None:
    ct.inject("503")
    assert grant(ct).status_code == 200  # /oauth is not matched by a fault without path_prefix
    ct.clear_faults()
    ct.inject("503", path_prefix="/oauth")
    assert grant(ct).status_code == 503
    assert grant(ct).status_code == 200
    assert ct.token_grants == 2


def test_html_502_and_garbage_200(ct: FakeCommercetools, api: Api) -> None:
    ct.inject("html_502")
    response = api.get("products")
    assert response.status_code == 502
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text == "<html><body><h1>502 Bad Gateway</h1></body></html>"
    ct.inject("garbage_200")
    response = api.get("products")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.content == b"not json"
    with pytest.raises(ValueError):
        response.json()
    assert api.get("products").json()["count"] == 0


def test_drop_before_is_not_applied(ct: FakeCommercetools, api: Api) -> None:
    assert api.get("products").status_code == 200  # open a pooled connection first
    ct.inject("drop_before", method="POST")
    with pytest.raises(requests.ConnectionError):
        api.post("products", {"key": "lost"})
    assert ct.entities("products") == []
    assert ct.requests[-1].status == 0
    assert ct.requests[-1].fault == "drop_before"
    assert ct.requests[-1].body == b'{"key": "lost"}'
    assert api.post("products", {"key": "lost"}).status_code == 201  # the session recovers


def test_drop_after_is_applied(ct: FakeCommercetools, api: Api) -> None:
    ct.inject("drop_after", method="POST", path_prefix=f"/{PK}/orders")
    with pytest.raises(requests.ConnectionError):
        api.post("orders", {"orderNumber": "42"})
    assert [o["orderNumber"] for o in ct.entities("orders")] == ["42"]
    assert ct.requests[-1].status == 0
    assert ct.faults_injected == {"drop_after": 1}
    response = api.post("orders", {"orderNumber": "42"})  # a blind re-send now conflicts
    assert first_error(response)["code"] == "DuplicateField"


def test_slow_exceeds_client_timeout_but_is_applied(ct: FakeCommercetools, api: Api) -> None:
    ct.inject("slow", delay=0.6)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        api.post("products", {"key": "slow"}, timeout=0.2)
    assert time.monotonic() - started < 0.5
    assert len(ct.entities("products")) == 1
    ct.inject("slow", delay=0.2)
    started = time.monotonic()
    assert api.get("products").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert ct.faults_injected == {"slow": 2}


def run_with_random_faults(seed: int, rate: float = 0.3) -> list[int]:
    with FakeCommercetools() as ct:
        api = Api(ct)
        ct.set_random_faults(rate, ["500", "503", "429"], seed=seed, path_prefix=f"/{PK}/")
        statuses = [api.get("products").status_code for _ in range(40)]
        assert sum(ct.faults_injected.values()) == sum(1 for s in statuses if s != 200)
        ct.set_random_faults(0, ["500"])
        assert api.get("products").status_code == 200
        return statuses


def test_random_faults_are_deterministic_by_seed() -> None:
    first = run_with_random_faults(7)
    assert first == run_with_random_faults(7)
    assert first != run_with_random_faults(8)
    assert set(first) <= {200, 500, 503, 429}
    assert len(set(first)) >= 3  # faults of several kinds
    assert 4 <= sum(1 for s in first if s != 200) <= 25
    assert set(run_with_random_faults(7, rate=0.0)) == {200}


# ------------------------------------------------------------------------------- protocol, logging


def test_correlation_id_and_headers(ct: FakeCommercetools, api: Api) -> None:
    response = api.get("products", headers={"X-Correlation-ID": "my-id-1"})
    assert response.headers["X-Correlation-ID"] == "my-id-1"
    generated = api.get("products").headers["X-Correlation-ID"]
    assert generated.startswith(f"projects-{PK}-")
    assert api.get("products/nope").headers["X-Correlation-ID"]
    assert api.get("products/nope").headers["Content-Type"] == "application/json; charset=utf-8"


def test_keep_alive_reuses_one_connection(ct: FakeCommercetools, api: Api) -> None:
    for _ in range(20):
        assert api.get("products").status_code == 200
        assert api.post("products", {}).status_code == 201
        assert api.get("products/missing").status_code == 404
    assert ct.accepted_connections == 2  # the token grant (plain requests.post) + the session


def test_request_log(ct: FakeCommercetools, api: Api) -> None:
    api.post("products", {"key": "a"}, headers={"X-Custom": "v"})
    api.get("products", params={"where": ['key = "a"', "n > 1"], "limit": 3})
    api.get("categories")
    assert ct.count_requests() == 4
    assert ct.count_requests("POST") == 2  # the token grant and the create
    assert ct.count_requests("get", f"/{PK}/products") == 1
    assert ct.count_requests(path_prefix="/oauth") == 1
    create = ct.requests[1]
    assert (create.method, create.path, create.status, create.fault) == ("POST", f"/{PK}/products", 201, None)
    assert create.headers["x-custom"] == "v"
    assert create.headers["authorization"].startswith("Bearer ")
    assert json.loads(create.body) == {"key": "a"}
    listing = ct.requests[2]
    assert listing.query == {"where": ['key = "a"', "n > 1"], "limit": ["3"]}
    ct.reset_log()
    assert ct.requests == []
    assert ct.count_requests() == 0
    assert ct.token_grants == 0


def test_latency() -> None:
    """Each answer waits ``latency`` seconds (a lower bound, which load cannot break); with latency 0 the
    fake asks for no wait at all (counted, not timed)."""
    with FakeCommercetools(latency=0.15) as ct:
        waits: list[float] = []
        real_sleep = ct.core.sleep

        def counting_sleep(seconds: float) -> None:
            waits.append(seconds)
            real_sleep(seconds)

        ct.core.sleep = counting_sleep  # type: ignore[method-assign]
        started = time.monotonic()
        assert grant(ct).status_code == 200
        assert time.monotonic() - started >= 0.15
        assert 0.15 in waits
        ct.latency = 0.0
        waits.clear()
        assert grant(ct).status_code == 200
        assert all(seconds <= 0 for seconds in waits), waits


def test_unknown_routes_and_methods(api: Api) -> None:
    assert api.get("products/a/b/c").status_code == 404
    response = api.session.put(api.url("products"), json={}, timeout=5)
    assert response.status_code == 405
    assert response.json()["statusCode"] == 405
    assert api.session.get(f"{api.ct.url}/oauth/token", timeout=5).status_code == 405


def test_concurrent_writers(ct: FakeCommercetools) -> None:
    api = Api(ct)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {api.token}"
        try:
            for i in range(10):
                response = session.post(f"{ct.url}/{PK}/products", json={"key": f"{worker}-{i}"}, timeout=5)
                assert response.status_code == 201
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({e["id"] for e in ct.entities("products")}) == 320
    assert api.query("products", limit=0)["total"] == 320


def test_stop_is_fast_and_closes_the_port() -> None:
    ct = FakeCommercetools().start()
    url = ct.url
    api = Api(ct)
    api.get("products")  # leaves an idle keep-alive connection
    ct.inject("slow", delay=30)
    outcome: list[object] = []

    def slow_request() -> None:
        try:
            outcome.append(api.get("products", timeout=10).status_code)
        except requests.RequestException as exc:
            outcome.append(type(exc))

    worker = threading.Thread(target=slow_request)
    worker.start()
    time.sleep(0.1)
    started = time.monotonic()
    ct.stop()
    assert time.monotonic() - started < 1.5
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert outcome == [requests.ConnectionError]  # the slow request is dropped, not answered
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)
    with pytest.raises(RuntimeError):
        _ = ct.url
    ct.stop()  # idempotent


# ---------------------------------------------------------------------------------------- seeding


def test_seeding_api(ct: FakeCommercetools) -> None:
    entity = ct.add("products", {"key": "a", "nested": {"x": [1]}})
    assert entity["version"] == 1
    assert entity["createdAt"] == entity["lastModifiedAt"]
    entity["nested"]["x"].append(2)  # a copy
    assert ct.get_entity("products", entity["id"])["nested"] == {"x": [1]}
    fixed = ct.add("products", {"id": "fixed-id", "version": 5, "lastModifiedAt": "2020-01-01T00:00:00.000Z"})
    assert (fixed["id"], fixed["version"], fixed["lastModifiedAt"]) == ("fixed-id", 5, "2020-01-01T00:00:00.000Z")
    with pytest.raises(ValueError):
        ct.add("products", {"key": "a"})
    with pytest.raises(ValueError):
        ct.add("products", {"id": "fixed-id"})
    ids = ct.add_many("products", ({"key": f"m{i}"} for i in range(100)))
    assert len(ids) == len(set(ids)) == 100
    assert all(uuid.UUID(i).version == 4 and str(uuid.UUID(i)) == i for i in ids)
    assert [e["id"] for e in ct.entities("products")] == [entity["id"], "fixed-id", *ids]
    with pytest.raises(ValueError):
        ct.add_many("products", [{"key": "dup-in-batch"}, {"key": "dup-in-batch"}])
    assert ct.entities("products")[-1]["key"] == "dup-in-batch"  # the first one was stored
    assert len(ct.entities("products")) == 103
    assert ct.get_entity("products", "nope") is None
    assert ct.get_entity("nothing", "nope") is None
    ct.clear()
    assert ct.entities("products") == []


def test_add_many_50k_is_fast_and_keyset_scan_is_complete(ct: FakeCommercetools) -> None:
    started = time.perf_counter()
    ids = ct.add_many("products", ({"key": f"p{i}", "n": i} for i in range(50_000)))
    seeded = time.perf_counter() - started
    api = Api(ct)
    started = time.perf_counter()
    seen: list[str] = []
    last: str | None = None
    requests_made = 0
    while True:
        params: dict[str, Any] = {"sort": "id asc", "limit": 500, "withTotal": "false"}
        if last is not None:
            params["where"] = "id > :last"
            params["var.last"] = last
        page = api.query("products", **params)
        requests_made += 1
        assert "total" not in page
        seen.extend(e["id"] for e in page["results"])
        if page["count"] < 500:
            break
        last = page["results"][-1]["id"]
    scanned = time.perf_counter() - started
    assert seen == sorted(ids)
    assert requests_made == 101
    print(
        f"\nadd_many(50,000): {seeded:.2f} s; keyset scan 50,000 at limit 500 ({requests_made} requests): "
        f"{scanned:.2f} s wall (client + server)"
    )


# ------------------------------------------------------------------------------------ pytest plugin


def test_connection_json(ct: FakeCommercetools) -> None:
    conn = json.loads(connection_json(ct))
    assert conn == {
        "conn_type": "commercetools",
        "host": ct.url,
        "login": "test-client",
        "password": "test-secret",
        "extra": {"project_key": PK, "auth_url": ct.url},
    }
    conn = json.loads(connection_json(ct, password="bad", timeout=3, auth_url=None))
    assert conn["password"] == "bad"
    assert conn["extra"] == {"project_key": PK, "timeout": 3}


def test_pytest_plugin_fixtures(tmp_path: Path) -> None:
    test_file = tmp_path / "test_uses_plugin.py"
    test_file.write_text(
        textwrap.dedent(
            """
            import json, os, sys
            import requests

            def test_fixtures(commercetools_connection, commercetools_server):
                assert commercetools_connection is commercetools_server
                conn = json.loads(os.environ["AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"])
                assert conn["host"] == commercetools_server.url
                r = requests.post(conn["extra"]["auth_url"] + "/oauth/token", auth=(conn["login"], conn["password"]),
                                  data={"grant_type": "client_credentials"}, timeout=5)
                assert r.status_code == 200
                assert not any(m == "airflow" or m.startswith("airflow.") for m in sys.modules)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:commercetools",
            "-p",
            "airflow_provider_commercetools.testing.pytest_plugin",
            str(test_file),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_head_on_collection_and_record_requests_off() -> None:
    with FakeCommercetools(record_requests=False) as ct:
        api = Api(ct)
        assert api.head("products").status_code == 404
        ct.add("products", {"key": "a"})
        response = api.head("products", params={"where": 'key = "a"'})
        assert response.status_code == 200
        assert response.content == b""
        assert api.head("products", params={"where": 'key = "b"'}).status_code == 404
        assert ct.requests == []
        assert ct.token_grants == 1


# -- plug-in points for other APIs -------------------------------------------------------------------


def _token(ct: FakeCommercetools) -> str:
    import requests

    answer = requests.post(
        f"{ct.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(ct.client_id, ct.client_secret)
    )
    return str(answer.json()["access_token"])


def test_on_write_tells_every_create_update_and_delete() -> None:
    import requests

    with FakeCommercetools() as ct:
        seen: list[tuple[str, str, int, int | None]] = []
        ct.on_write(
            lambda change, resource, e, old: seen.append((change, resource, e["version"], old and old["version"]))
        )
        headers = {"Authorization": f"Bearer {_token(ct)}"}
        base = f"{ct.url}/{ct.project_key}/categories"
        created = requests.post(base, json={"key": "c1"}, headers=headers).json()
        requests.post(f"{base}/{created['id']}", json={"version": 1, "actions": []}, headers=headers)
        requests.delete(f"{base}/{created['id']}", params={"version": 2}, headers=headers)
        requests.post(
            f"{ct.url}/{ct.project_key}/custom-objects",
            json={"container": "a", "key": "b", "value": 1},
            headers=headers,
        )
    assert seen == [
        ("created", "categories", 1, None),
        ("updated", "categories", 2, 1),
        ("deleted", "categories", 2, 2),
        ("created", "custom-objects", 1, None),
    ]


def test_listen_serves_another_api_with_the_same_tokens_faults_and_log() -> None:
    import requests

    from airflow_provider_commercetools.testing.fake.http import Response, dumps

    def other_api(method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        if path != "/other":
            return None
        ct.token_scopes(headers)  # the same bearer tokens as the project API
        return Response(200, dumps({"served": method}))

    with FakeCommercetools() as ct:
        url = ct.listen(other_api)
        assert url != ct.url
        headers = {"Authorization": f"Bearer {_token(ct)}"}
        assert requests.get(f"{url}/other", headers=headers).json() == {"served": "GET"}
        assert requests.get(f"{url}/other").status_code == 401
        assert requests.get(f"{url}/elsewhere", headers=headers).status_code == 404
        ct.inject("503", path_prefix="/other")
        assert requests.get(f"{url}/other", headers=headers).status_code == 503
        assert ct.count_requests("GET", "/other") == 3
