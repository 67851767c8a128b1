"""The fake Import API over real HTTP with plain ``requests``: limits, expiry, asynchrony, states, scopes.

Each behaviour is the spec's (commercetools/commercetools-api-reference ``api-specs/import/``) or the
docs'; the sources are in ``airflow_provider_commercetools/testing/fake/import_*.py`` and in
docs/import-api.md. Time moves with ``FakeCommercetools.clock_offset`` (no sleeping).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_commercetools.testing import FakeCommercetools, FakeImportApi
from airflow_provider_commercetools.testing.fake.import_model import TYPES

PK = "test-project"
NARROW = (
    "manage_products",
    "manage_standalone_prices",
    "manage_product_selections",
    "manage_types",
    "manage_orders",
    "manage_import_containers",
    "view_import_containers",
)


@pytest.fixture
def fake() -> Iterator[FakeCommercetools]:
    scopes = [f"manage_project:{PK}", *(f"{s}:{PK}" for s in NARROW)]
    with FakeCommercetools(project_key=PK, scopes=scopes) as server:
        yield server


@pytest.fixture
def imports(fake: FakeCommercetools) -> FakeImportApi:
    return FakeImportApi(fake, processing_delay=0, summary_delay=0.5)


class Client:
    """A bearer token (of the given scopes) and the Import API's URL."""

    def __init__(self, imports: FakeImportApi, *scopes: str) -> None:
        fake = imports.fake
        data = {"grant_type": "client_credentials"}
        if scopes:
            data["scope"] = " ".join(f"{s}:{PK}" for s in scopes)
        grant = requests.post(
            f"{fake.url}/oauth/token", auth=(fake.client_id, fake.client_secret), data=data, timeout=5
        )
        assert grant.status_code == 200, grant.text
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
        self.base = f"{imports.url}/{PK}"

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}/{path}", json=body, params=params or None, timeout=5)

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.call(method, path, body, **params)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def send(self, segment: str, container: str, resource_type: str, resources: list[dict[str, Any]]) -> list[str]:
        field = TYPES[resource_type][1]
        body = {"type": resource_type, field: resources}
        statuses = self.ok("POST", f"{segment}/import-containers/{container}", body)["operationStatus"]
        return [s["operationId"] for s in statuses]


@pytest.fixture
def client(imports: FakeImportApi) -> Client:
    return Client(imports)


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()["errors"][0]


def category(key: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "name": {"en": key}, "slug": {"en": key}, **extra}


# ---------------------------------------------------------------------------------------- queries


def test_operation_queries_cap_offset_and_limit_and_take_only_the_specs_parameters(imports, client):
    client.ok("POST", "import-containers", {"key": "c"})
    ids = client.send("categories", "c", "category", [category(f"k{i}") for i in range(3)])
    path = "import-containers/c/import-operations"
    assert client.ok("GET", path, offset=10_000)["results"] == []
    assert "offset" in error_of(client.call("GET", path, offset=10_001), 400)["message"]
    assert "limit" in error_of(client.call("GET", path, limit=501), 400)["message"]
    assert client.ok("GET", path, limit=500)["total"] == 3
    assert error_of(client.call("GET", path, states="imported"), 400)["field"] == "states"
    assert error_of(client.call("GET", path, state="done"), 400)["field"] == "state"
    assert "offset" in error_of(client.call("GET", "import-containers", offset=10_001), 400)["message"]
    assert [o["id"] for o in client.ok("GET", path, state="imported", sort="createdAt asc")["results"]] != []
    assert client.ok("GET", path, resourceKey="k1")["results"][0]["id"] == ids[1]
    assert client.ok("GET", f"import-operations/{ids[2]}")["resourceKey"] == "k2"
    assert client.call("GET", "import-operations/nope").status_code == 404


def test_unresolved_references_show_in_a_query_only_with_debug(imports, client):
    client.ok("POST", "import-containers", {"key": "c"})
    (op,) = client.send("categories", "c", "category", [category("child", parent={"typeId": "category", "key": "p"})])
    path = "import-containers/c/import-operations"
    plain = client.ok("GET", path, state="unresolved")["results"]
    assert [o["id"] for o in plain] == [op] and "unresolvedReferences" not in plain[0]
    debug = client.ok("GET", path, state="unresolved", debug="true")["results"]
    assert debug[0]["unresolvedReferences"] == [{"typeId": "category", "key": "p"}]
    assert client.ok("GET", f"import-operations/{op}")["unresolvedReferences"] == [{"typeId": "category", "key": "p"}]
    client.send("categories", "c", "category", [category("p")])
    assert client.ok("GET", f"import-operations/{op}")["state"] == "imported"
    assert imports.history(op) == ["processing", "unresolved", "imported"]


def test_operations_of_one_request_come_in_a_new_order_in_each_query_unless_ties_are_kept(imports, client):
    client.ok("POST", "import-containers", {"key": "c"})
    ids = client.send("categories", "c", "category", [category(f"k{i:02}") for i in range(20)])
    path = "import-containers/c/import-operations"
    orders = {tuple(o["id"] for o in client.ok("GET", path, sort="createdAt asc")["results"]) for _ in range(3)}
    assert len(orders) > 1  # equal createdAt: no stable order between queries
    assert all(sorted(order) == sorted(ids) for order in orders)
    seeded = []
    for _ in range(2):
        imports.seed(7)
        seeded.append([o["id"] for o in client.ok("GET", path, sort="createdAt asc")["results"]])
    assert seeded[0] == seeded[1]  # reproducible from a seed
    imports.shuffle_ties = False
    assert [o["id"] for o in client.ok("GET", path)["results"]] == ids


# ----------------------------------------------------------------------------------- containers


def test_at_most_1000_containers_the_1001st_is_refused_until_one_goes(imports, client):
    for i in range(999):
        imports.add_container(f"seeded-{i}")
    assert client.call("POST", "import-containers", {"key": "last"}).status_code == 201
    error = error_of(client.call("POST", "import-containers", {"key": "one-too-many"}), 400)
    assert error["code"] == "MaxResourceLimitExceeded" and "1000" in error["message"]
    with pytest.raises(ValueError, match="1000"):
        imports.add_container("seeded-too")
    assert client.call("DELETE", "import-containers/seeded-0").status_code == 200
    assert client.call("POST", "import-containers", {"key": "one-too-many"}).status_code == 201
    assert client.ok("GET", "import-containers", limit=500, offset=500)["total"] == 1000


def test_containers_expire_72_hours_after_creation_or_per_their_retention_policy(fake, imports, client):
    default = client.ok("POST", "import-containers", {"key": "default"})
    policy = {"strategy": "ttl", "config": {"timeToLive": "2h"}}
    short = client.ok("POST", "import-containers", {"key": "short", "retentionPolicy": policy})
    assert short["retentionPolicy"] == policy
    assert hours_between(default["createdAt"], default["expiresAt"]) == 72
    assert hours_between(short["createdAt"], short["expiresAt"]) == 2
    for bad in ("31d", "59m", "2w", ""):
        body = {"key": "bad", "retentionPolicy": {"strategy": "ttl", "config": {"timeToLive": bad}}}
        assert error_of(client.call("POST", "import-containers", body), 400)["field"].endswith("timeToLive")
    body = {"key": "bad", "retentionPolicy": {"strategy": "forever"}}
    assert error_of(client.call("POST", "import-containers", body), 400)["field"] == "retentionPolicy"
    (op,) = client.send("categories", "short", "category", [category("a")])
    fake.clock_offset = 2 * 3600 + 1
    assert client.call("GET", "import-containers/short").status_code == 404
    assert client.call("GET", f"import-operations/{op}").status_code == 404  # gone with its container
    assert client.call("GET", "import-containers/default").status_code == 200
    fake.clock_offset = 72 * 3600 + 1
    assert client.call("GET", "import-containers/default").status_code == 404


def test_operations_are_deleted_48_hours_after_their_creation(fake, imports, client):
    policy = {"strategy": "ttl", "config": {"timeToLive": "30d"}}
    client.ok("POST", "import-containers", {"key": "long", "retentionPolicy": policy})
    (op,) = client.send("categories", "long", "category", [category("a")])
    created = client.ok("GET", f"import-operations/{op}")
    assert hours_between(created["createdAt"], created["expiresAt"]) == 48
    fake.clock_offset = 48 * 3600 + 1
    assert client.call("GET", f"import-operations/{op}").status_code == 404
    assert client.ok("GET", "import-containers/long/import-summaries")["total"] == 0


def test_a_container_update_needs_its_current_version(client):
    client.ok("POST", "import-containers", {"key": "c"})
    assert error_of(client.call("PUT", "import-containers/c", {"version": 7}), 409)["code"] == "ConcurrentModification"
    updated = client.ok("PUT", "import-containers/c", {"version": 1, "resourceType": "category"})
    assert (updated["version"], updated["resourceType"]) == (2, "category")
    body = {"type": "customer", "resources": [{"key": "x", "email": "x@example.com"}]}
    assert client.call("POST", "customers/import-containers/c", body).status_code == 400


def hours_between(start: str, end: str) -> float:
    from datetime import datetime

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return round((parse(end) - parse(start)).total_seconds() / 3600, 3)


# ------------------------------------------------------------------------------------ asynchrony


def test_the_summary_lags_the_operations_by_summary_delay(fake, imports, client):
    client.ok("POST", "import-containers", {"key": "c"})
    client.send("categories", "c", "category", [category(f"k{i}") for i in range(3)])
    summary = client.ok("GET", "import-containers/c/import-summaries")
    assert summary["total"] == 0 and sum(summary["states"].values()) == 0  # stale: the operations are not in it yet
    assert imports.summary("c", exact=True)["states"]["imported"] == 3
    assert client.ok("GET", "import-containers/c/import-operations", state="imported")["total"] == 3
    fake.clock_offset = imports.summary_delay + 0.01
    summary = client.ok("GET", "import-containers/c/import-summaries")
    assert summary["total"] == 3 and summary["states"]["imported"] == 3
    assert set(summary["states"]) == {
        "processing",
        "validationFailed",
        "unresolved",
        "waitForMasterVariant",
        "imported",
        "rejected",
        "canceled",
        "partiallyImported",
    }


def test_operations_become_final_only_after_processing_delay(fake, imports, client):
    imports.processing_delay = 60
    client.ok("POST", "import-containers", {"key": "c"})
    (op,) = client.send("categories", "c", "category", [category("a")])
    for _ in range(3):
        assert client.ok("GET", f"import-operations/{op}")["state"] == "processing"
    fake.clock_offset = 60.001
    assert client.ok("GET", f"import-operations/{op}")["state"] == "imported"
    assert fake.entities("categories")[0]["key"] == "a"


def test_default_knobs_are_not_zero():
    with FakeCommercetools() as server:
        imports = FakeImportApi(server)
        assert imports.summary_delay > 0 and imports.processing_delay > 0
        assert (imports.max_containers, imports.catalog_model, imports.shuffle_ties) == (1000, "Classic", True)


# ---------------------------------------------------------------------------------------- states


def product_type(fake: FakeCommercetools, key: str, required: bool) -> None:
    attribute = {"name": "size", "type": {"name": "text"}, "isRequired": required, "label": {"en": "Size"}}
    fake.add("product-types", {"key": key, "name": key, "description": key, "attributes": [attribute]})


def product(key: str, product_type_key: str) -> dict[str, Any]:
    return {**category(key), "productType": {"typeId": "product-type", "key": product_type_key}}


def test_a_product_waits_for_its_master_variant_until_a_variant_import_supplies_it(fake, imports, client):
    product_type(fake, "shirt", required=True)
    product_type(fake, "mug", required=False)
    client.ok("POST", "import-containers", {"key": "c"})
    waiting, plain = client.send("products", "c", "product", [product("tee", "shirt"), product("cup", "mug")])
    for _ in range(2):  # it stays
        assert client.ok("GET", f"import-operations/{waiting}")["state"] == "waitForMasterVariant"
    assert client.ok("GET", f"import-operations/{plain}")["state"] == "imported"
    assert [p["key"] for p in fake.entities("products")] == ["cup"]
    variant = {"key": "tee-m", "sku": "tee-m", "isMasterVariant": False, "attributes": [{"name": "size"}]}
    (variant_op,) = client.send(
        "product-variants", "c", "product-variant", [{**variant, "product": {"typeId": "product", "key": "tee"}}]
    )
    assert client.ok("GET", f"import-operations/{waiting}")["state"] == "imported"
    assert client.ok("GET", f"import-operations/{variant_op}")["state"] == "imported"
    tee = next(p for p in fake.entities("products") if p["key"] == "tee")
    # a Product: the variant is the master variant (id 1) of its data (product_shape.py)
    assert tee["masterData"]["staged"]["masterVariant"]["sku"] == "tee-m"
    assert tee["masterData"]["staged"]["masterVariant"]["id"] == 1
    assert imports.history(waiting) == ["processing", "waitForMasterVariant", "imported"]


def test_product_imports_store_products_and_publish_decides_what_current_gets(fake, imports, client):
    product_type(fake, "mug", required=False)
    client.ok("POST", "import-containers", {"key": "c"})

    def imported(**fields: Any) -> dict[str, Any]:
        (operation,) = client.send("products", "c", "product", [{**product("cup", "mug"), **fields}])
        assert client.ok("GET", f"import-operations/{operation}")["state"] == "imported"
        (stored,) = fake.entities("products")
        return stored

    created = imported(name={"en": "Cup"})  # a new Product, as from a ProductDraft (publish: false)
    master = created["masterData"]
    assert created["productType"]["id"] and master["current"] == master["staged"]
    assert (master["published"], master["hasStagedChanges"], master["staged"]["masterVariant"]) == (
        False,
        False,
        {"id": 1},
    )
    staged_only = imported(name={"en": "Mug"})["masterData"]  # no publish: current kept
    assert (staged_only["staged"]["name"], staged_only["current"]["name"]) == ({"en": "Mug"}, {"en": "Cup"})
    assert staged_only["hasStagedChanges"] is True
    published = imported(name={"en": "Big mug"}, publish=True)["masterData"]
    assert published["current"] == published["staged"] and published["current"]["name"] == {"en": "Big mug"}
    assert (published["published"], published["hasStagedChanges"]) == (True, False)
    unpublished = imported(name={"en": "Small mug"}, publish=False)["masterData"]
    assert unpublished["published"] is False and unpublished["current"]["name"] == {"en": "Big mug"}


@pytest.mark.parametrize("state", ["rejected", "canceled", "partiallyImported"])
def test_forced_outcomes_end_in_their_state_with_errors(fake, imports, client, state):
    imports.force_outcome("a", state)
    client.ok("POST", "import-containers", {"key": "c"})
    first, second = client.send("categories", "c", "category", [category("a"), category("b")])
    operation = client.ok("GET", f"import-operations/{first}")
    assert operation["state"] == state
    assert bool(operation.get("errors")) == (state != "canceled")
    assert client.ok("GET", f"import-operations/{second}")["state"] == "imported"
    stored = {c["key"] for c in fake.entities("categories")}
    assert stored == ({"a", "b"} if state == "partiallyImported" else {"b"})
    assert imports.summary("c", exact=True)["states"][state] == 1
    (again,) = client.send("categories", "c", "category", [category("a")])  # forced once only
    assert client.ok("GET", f"import-operations/{again}")["state"] == "imported"
    with pytest.raises(ValueError, match="rejected"):
        imports.force_outcome("a", "imported")


def test_order_imports_only_create(fake, imports, client):
    client.ok("POST", "import-containers", {"key": "c"})
    order = {"orderNumber": "o-1", "totalPrice": {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 100}}
    (first,) = client.send("orders", "c", "order", [order])
    (second,) = client.send("orders", "c", "order", [order])
    assert client.ok("GET", f"import-operations/{first}")["state"] == "imported"
    again = client.ok("GET", f"import-operations/{second}")
    assert again["state"] == "validationFailed" and again["errors"][0]["code"] == "DuplicateField"
    assert len(fake.entities("orders")) == 1


# -------------------------------------------------------------------------------- types and scopes


def test_every_import_resource_type_has_its_endpoint(imports, client):
    client.ok("POST", "import-containers", {"key": "c"})
    assert len(TYPES) == 18
    for name, (segment, field, *_rest) in TYPES.items():
        body = {"type": name, field: [{}]}
        response = client.call("POST", f"{segment}/import-containers/c", body)
        if name == "variant":
            assert error_of(response, 400)["code"] == "InvalidOperation"  # a Classic project
            imports.catalog_model = "Modular"
            response = client.call("POST", f"{segment}/import-containers/c", body)
        assert response.status_code == 201, (name, response.text)
        assert response.json()["operationStatus"][0]["state"] == "validationFailed"


@pytest.mark.parametrize(
    ("segment", "resource_type", "needed"),
    [
        ("standalone-prices", "standalone-price", "manage_standalone_prices"),
        ("product-selections", "product-selection", "manage_product_selections"),
        ("types", "type", "manage_types"),
        ("orders", "order", "manage_orders"),
        ("categories", "category", "manage_products"),
    ],
)
def test_import_requests_need_the_scope_of_their_resource_type(imports, segment, resource_type, needed):
    imports.add_container("c")
    body = {"type": resource_type, TYPES[resource_type][1]: [{}]}
    others = [s for s in NARROW if s != needed]
    error = error_of(Client(imports, *others).call("POST", f"{segment}/import-containers/c", body), 403)
    assert error["code"] == "insufficient_scope" and needed in error["message"]
    assert Client(imports, needed).call("POST", f"{segment}/import-containers/c", body).status_code == 201
    assert Client(imports, "manage_project").call("POST", f"{segment}/import-containers/c", body).status_code == 201


def test_container_endpoints_need_the_import_container_scopes(imports):
    viewer = Client(imports, "view_import_containers")
    error = error_of(viewer.call("POST", "import-containers", {"key": "c"}), 403)
    assert "manage_import_containers" in error["message"]
    assert (
        Client(imports, "manage_import_containers").call("POST", "import-containers", {"key": "c"}).status_code == 201
    )
    assert viewer.call("GET", "import-containers/c/import-summaries").status_code == 200
    assert error_of(Client(imports, "manage_products").call("GET", "import-containers/c"), 403)["code"] == (
        "insufficient_scope"
    )
