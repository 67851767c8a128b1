"""The Import API layer (no Airflow) against the fake Import API over real HTTP.

What is checked comes from the Import API's spec (commercetools/commercetools-api-reference,
``api-specs/importapi``): ``types/import-request.raml`` (one request type per resource type, at most
20 resources, ``patches`` for the patch types), ``types/common.raml`` (``ImportResourceType``,
``ProcessingState``), ``types/import-operation.raml`` (``ImportOperationPagedResponse``,
``unresolvedReferences``), ``types/import-container.raml`` (container keys) and
``types/import-summary.raml`` / ``examples/import-summary.json`` (``OperationStates``).
"""

from __future__ import annotations

import time

import pytest

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    OutcomeUnknownError,
)
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.importer import Importer
from airflow_provider_commercetools.commercetools.imports.records import (
    FINISHED,
    MASTER_VARIANT_TIMEOUT,
    TIMEOUT,
    UNRESOLVED_TIMEOUT,
    WaitPolicy,
)
from airflow_provider_commercetools.commercetools.imports.resources import (
    RESOURCE_TYPES,
    container_key_for,
    get_resource_type,
)
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
from tests.commercetools.imports.support import PK, import_client


@pytest.fixture
def imports(commercetools_server):
    """Processed at the next read, exact summaries: these tests are about requests, not timing (the
    lagging summary and the asynchronous states: test_tracking.py)."""
    return FakeImportApi(commercetools_server, processing_delay=0, summary_delay=0)


@pytest.fixture
def client(commercetools_server, imports):
    return import_client(commercetools_server, imports)


@pytest.fixture
def api(client):
    return ImportApi(client)


def category(i: int, **extra) -> dict:
    return {"key": f"c{i}", "name": {"en": f"C{i}"}, "slug": {"en": f"c{i}"}, **extra}


def test_a_container_is_created_when_missing_and_reused_by_key(api, commercetools_server, imports):
    ct = commercetools_server
    first = api.ensure_container("catalogue-1", get_resource_type("category"))
    again = api.ensure_container("catalogue-1")
    assert first["key"] == again["key"] == "catalogue-1" and first["resourceType"] == "category"
    assert ct.count_requests("POST", f"/{PK}/import-containers") == 1
    assert ct.count_requests("GET", f"/{PK}/import-containers/catalogue-1") == 2
    with pytest.raises(ConfigurationError, match="container_key"):
        api.ensure_container("no spaces")
    with pytest.raises(ConfigurationError, match="'catalogue-1' exists for category resources, not product"):
        api.ensure_container("catalogue-1", get_resource_type("product"))


def test_a_container_created_concurrently_is_reused(api, imports, monkeypatch):
    real_get = api._get_container
    calls = []

    def get(key):
        calls.append(key)
        if len(calls) == 1:  # not found; then another task creates it before our POST
            api.client.request("POST", "import-containers", payload={"key": key})
            raise NotFoundError("not found", status_code=404)
        return real_get(key)

    monkeypatch.setattr(api, "_get_container", get)
    assert api.ensure_container("shared")["key"] == "shared"  # the POST met DuplicateField: read it
    assert list(imports.containers) == ["shared"] and calls == ["shared", "shared"]


@pytest.mark.parametrize("name", sorted(RESOURCE_TYPES))
def test_every_resource_type_of_the_spec_has_its_import_endpoint(api, imports, name):
    resource_type = RESOURCE_TYPES[name]
    if name == "variant":
        imports.catalog_model = "Modular"  # variant imports: Modular Catalog projects only (api.raml)
    api.ensure_container(f"every-{name}")
    # an empty resource: the request is accepted and its one operation fails validation (RequiredField)
    (status,) = api.send(resource_type, f"every-{name}", [{}])
    assert status["state"] == "validationFailed"
    assert status["errors"][0]["code"] == "RequiredField"
    assert get_resource_type(resource_type.segment) is resource_type


def test_request_limits_and_validation_errors(api, client, imports):
    api.ensure_container("limits")
    with pytest.raises(ValueError, match="1 to 20 resources"):
        api.send(get_resource_type("category"), "limits", [category(i) for i in range(21)])
    with pytest.raises(BadRequestError, match="must not contain more than 20 items"):
        client.request(
            "POST", "categories/import-containers/limits", payload={"type": "category", "resources": [category(1)] * 21}
        )
    with pytest.raises(BadRequestError, match="type must be 'category'"):
        client.request("POST", "categories/import-containers/limits", payload={"type": "product", "resources": [{}]})
    with pytest.raises(NotFoundError):
        client.request("POST", "carts/import-containers/limits", payload={"type": "cart", "resources": [{}]})
    with pytest.raises(NotFoundError, match="ImportContainer with key 'missing'"):
        api.send(get_resource_type("category"), "missing", [category(1)])
    with pytest.raises(ConfigurationError, match="resource_type: 'cart' is not an Import API resource type"):
        get_resource_type("cart")
    statuses = api.send(get_resource_type("category"), "limits", [category(1), category(2, name="plain")])
    assert [s["state"] for s in statuses] == ["processing", "validationFailed"]
    assert statuses[1]["errors"][0] == {
        "code": "InvalidField",
        "message": "The field 'name' must be a LocalizedString (an object of language tags to strings).",
        "field": "name",
        "invalidValue": "plain",
    }


def test_operations_are_read_page_by_page(api, commercetools_server, imports):
    ct = commercetools_server
    imports.shuffle_ties = False  # the paging engine's order (test_tracking.py: ties in random order)
    api.ensure_container("paged")
    importer = Importer(api, get_resource_type("category"), "paged", max_workers=4)
    prepared, decided = importer.prepare([category(i) for i in range(1234)], strict=True)
    records = importer.send(prepared)
    assert decided == [] and importer.requests_sent == 62 and len({r.operation_id for r in records}) == 1234
    ct.reset_log()
    operations = list(api.iter_operations("paged", page_size=500))
    assert sorted(o["resourceKey"] for o in operations) == sorted(f"c{i}" for i in range(1234))
    pages = [r.query for r in ct.requests if r.path.endswith("/import-operations")]
    assert [(q["offset"], q["limit"]) for q in pages] == [(["0"], ["500"]), (["500"], ["500"]), (["1000"], ["500"])]
    assert list(api.iter_operations("paged", state="validationFailed")) == []
    ct.reset_log()
    concurrent = api.read_operations("paged", max_workers=3, page_size=500)  # pages 2 and 3 at once
    assert [o["id"] for o in concurrent] == [o["id"] for o in operations]
    assert sorted(r.query["offset"][0] for r in ct.requests if r.path.endswith("/import-operations")) == [
        "0",
        "1000",
        "500",
    ]
    assert [o["id"] for o in api.read_operations("paged", page_size=411)] == [o["id"] for o in operations]
    assert api.summary("paged") == {
        "states": {
            "processing": 0,
            "validationFailed": 0,
            "unresolved": 0,
            "waitForMasterVariant": 0,
            "imported": 1234,
            "rejected": 0,
            "canceled": 0,
            "partiallyImported": 0,
        },
        "total": 1234,
    }


def test_unresolved_becomes_imported_when_the_referenced_key_appears(api, commercetools_server, imports):
    ct = commercetools_server
    api.ensure_container("tree")
    importer = Importer(api, get_resource_type("category"), "tree")
    # children before parents, and one parent that only the HTTP API will create
    items = [
        category(2, parent={"typeId": "category", "key": "c1"}),
        category(3, parent={"typeId": "category", "key": "c9"}),
    ]
    records = importer.send(importer.prepare(items, strict=True)[0])
    reason, states = importer.wait(WaitPolicy(30, 0.2, 0.02), started=time.time())
    assert (reason, states["unresolved"]) == (UNRESOLVED_TIMEOUT, 2)
    importer.collect(records, reason)
    assert [r.unresolved_references for r in records] == [
        [{"typeId": "category", "key": "c1"}],
        [{"typeId": "category", "key": "c9"}],
    ]
    assert all(r.status == "failed" and r.error["type"] == "unresolved" for r in records)
    importer.send(importer.prepare([category(1)], strict=True)[0])  # the parent, imported later
    ct.add("categories", category(9))  # the other parent, created through the HTTP API
    assert api.summary("tree")["states"]["imported"] == 3
    stored = {c["key"]: c for c in ct.entities("categories")}
    assert stored["c2"]["parent"] == {"typeId": "category", "id": stored["c1"]["id"]}
    assert stored["c3"]["parent"] == {"typeId": "category", "id": stored["c9"]["id"]}
    assert imports.history(records[0].operation_id) == ["processing", "unresolved", "imported"]


def test_reimporting_a_key_updates_the_resource(api, commercetools_server, imports):
    api.ensure_container("again")
    importer = Importer(api, get_resource_type("category"), "again")
    for name in ("First", "Second"):
        importer.send(importer.prepare([category(1, name={"en": name})], strict=True)[0])
        api.summary("again")
    (stored,) = commercetools_server.entities("categories")
    assert (stored["name"], stored["version"]) == ({"en": "Second"}, 2)
    assert [o["resourceVersion"] for o in imports.operations("again")] == [1, 2]


def test_a_lost_import_request_is_resent_for_keyed_resources_never_for_order_patches(
    api, commercetools_server, imports, tmp_path
):
    ct = commercetools_server
    api.ensure_container("lost")
    ct.inject("drop_after", times=1, method="POST", path_prefix=f"/{PK}/categories/")
    (status,) = api.send(get_resource_type("category"), "lost", [category(1)])
    assert status["state"] == "processing"
    assert ct.count_requests("POST", f"/{PK}/categories/import-containers/lost") == 2  # re-sent: keyed, same result
    api.summary("lost")
    assert len(ct.entities("categories")) == 1
    ct.inject("drop_after", times=1, method="POST", path_prefix=f"/{PK}/order-patches/")
    with pytest.raises(OutcomeUnknownError):
        api.send(get_resource_type("order-patch"), "lost", [{"orderNumber": "o1", "fields": {}}])
    assert ct.count_requests("POST", f"/{PK}/order-patches/import-containers/lost") == 1
    # orders are create-only (types/import-request.raml: "to be created"): never re-sent either; the records
    # say the outcome is unknown, and a retry of the run (journal) does not send them again
    from airflow_provider_commercetools.commercetools.imports.journal import FileJournal

    ct.inject("drop_after", times=1, method="POST", path_prefix=f"/{PK}/orders/")
    importer = Importer(api, get_resource_type("order"), "lost")
    order = {"orderNumber": "o1", "totalPrice": {"currencyCode": "EUR", "centAmount": 100}}
    prepared = importer.prepare([order], strict=True)[0]
    journal = FileJournal(str(tmp_path / "orders.jsonl"))
    importer.start_journal(journal, prepared, time.time())
    (record,) = importer.send(prepared)
    assert record.status == "failed" and record.error["type"] == "OutcomeUnknownError" and "look" in record.note
    assert ct.count_requests("POST", f"/{PK}/orders/import-containers/lost") == 1
    retry = Importer(api, get_resource_type("order"), "lost")
    (again,) = retry.send(prepared, retry.start_journal(journal, prepared, time.time()))
    assert again.status == "failed" and "not sent again" in again.note
    assert ct.count_requests("POST", f"/{PK}/orders/import-containers/lost") == 1


def test_the_wait_rule():
    policy = WaitPolicy(timeout=100, unresolved_timeout=10, poll_interval=1)
    assert policy.decide({"imported": 5, "validationFailed": 1}, started=0, now=1) == FINISHED
    assert policy.decide({"processing": 1}, started=0, now=50) is None
    assert policy.decide({"processing": 1}, started=0, now=100) == TIMEOUT
    assert policy.decide({"unresolved": 2}, started=0, now=9) is None  # pending until its own timeout
    assert policy.decide({"unresolved": 2}, started=0, now=10) == UNRESOLVED_TIMEOUT
    assert policy.decide({"unresolved": 2, "waitForMasterVariant": 1}, started=0, now=50) is None
    assert WaitPolicy.create(5, 60, 1).unresolved_timeout == 5  # never longer than the whole wait
    with pytest.raises(ConfigurationError, match="poll_interval"):
        WaitPolicy.create(5, 5, 0)
    # this run's counts: a conclusive snapshot ends it; an inconclusive one never does before the timeout
    assert policy.decide({}, started=0, now=1, conclusive=False) is None
    assert policy.decide({"processing": 0}, started=0, now=100, conclusive=False) == TIMEOUT
    # waitForMasterVariant: its own timeout, its own outcome
    assert policy.decide({"waitForMasterVariant": 1}, started=0, now=59) is None
    assert policy.decide({"waitForMasterVariant": 1}, started=0, now=60) == MASTER_VARIANT_TIMEOUT
    assert container_key_for("dag", "task", "product") == "dag-task-product"
    long = container_key_for("d" * 250, "t" * 250, "product-draft")
    assert len(long) == 256 and long != container_key_for("d" * 250, "t" * 249 + "u", "product-draft")


def test_the_import_api_scopes():
    # docs.commercetools.com/api/import-export/hosts-and-authorization: containers need
    # manage_import_containers / view_import_containers, an import request the scope creating its resource type
    from airflow_provider_commercetools.commercetools.errors import ForbiddenError
    from airflow_provider_commercetools.testing import FakeCommercetools

    granted = [f"manage_import_containers:{PK}", f"view_import_containers:{PK}", f"manage_products:{PK}"]
    with FakeCommercetools(scopes=granted) as ct:
        imports = FakeImportApi(ct, processing_delay=0, summary_delay=0)

        def api_with(scopes: list[str]) -> ImportApi:
            return ImportApi(import_client(ct, imports, scopes=scopes))

        containers_only = api_with(granted[:2])
        containers_only.ensure_container("scoped", get_resource_type("category"))
        with pytest.raises(ForbiddenError, match="manage_products"):
            containers_only.send(get_resource_type("category"), "scoped", [category(1)])
        full = api_with(granted)
        assert full.send(get_resource_type("category"), "scoped", [category(1)])[0]["state"] == "processing"
        assert api_with(granted[1:2]).summary("scoped")["states"]["imported"] == 1
        with pytest.raises(ForbiddenError, match="manage_customers"):
            full.send(get_resource_type("customer"), "scoped", [{"key": "k", "email": "a@b.c"}])


def test_a_failed_import_request_stops_the_rest_when_asked(api, commercetools_server, imports):
    ct = commercetools_server
    api.ensure_container("stops")
    importer = Importer(api, get_resource_type("category"), "stops", max_workers=1, stop_on_failure=True)
    ct.inject("502", times=1, method="POST", path_prefix=f"/{PK}/categories/")  # retried: keyed resources
    records = importer.send(importer.prepare([category(i) for i in range(40)], strict=True)[0])
    assert [r.status for r in records] == ["pending"] * 40
    assert ct.count_requests("POST", f"/{PK}/categories/import-containers/stops") == 3

    ct.inject("500", times=1, method="POST", path_prefix=f"/{PK}/categories/")  # not retryable: fails
    records = importer.send(importer.prepare([category(i) for i in range(100)], strict=True)[0])
    statuses = [r.status for r in records]
    assert statuses[:20] == ["failed"] * 20 and records[0].error["status"] == 500
    assert statuses[20:] == ["not_sent"] * 80 and all(r.item == category(r.index) for r in records)
    assert ct.count_requests("POST", f"/{PK}/categories/import-containers/stops") == 4
