"""This run's operations, tracked by id against the strict fake Import API (no Airflow).

The fake as the spec says the API is (``api-specs/import/``): operations become final asynchronously,
summaries lag them ("eventually consistent", types/import-summary.raml), queries refuse ``offset``
past 10,000 (api.raml), operations with equal ``createdAt`` come in a random order per query, the
states ``waitForMasterVariant`` and ``rejected`` happen. Each test asserts what the client reports
against what the fake holds, and from the fake's request log that no query went past offset 10,000.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.imports.api import ImportApi
from airflow_provider_commercetools.commercetools.imports.importer import Importer
from airflow_provider_commercetools.commercetools.imports.records import (
    FINISHED,
    MASTER_VARIANT_TIMEOUT,
    NOT_WAITED,
    WaitPolicy,
    apply_operation,
)
from airflow_provider_commercetools.commercetools.imports.resources import get_resource_type
from airflow_provider_commercetools.commercetools.results.records import ItemResult
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
from tests.commercetools.imports.support import PK, import_client


@pytest.fixture
def imports(commercetools_server):
    return FakeImportApi(commercetools_server, processing_delay=0.2, summary_delay=0.5)


@pytest.fixture
def api(commercetools_server, imports):
    return ImportApi(import_client(commercetools_server, imports))


def category(i: int, **extra: Any) -> dict[str, Any]:
    return {"key": f"c{i}", "name": {"en": f"Category {i}"}, "slug": {"en": f"c{i}"}, **extra}


def run(api: ImportApi, container: str, items: list[Any], **policy: float) -> tuple[str, list[ItemResult]]:
    importer = Importer(api, get_resource_type("category"), container, max_workers=8)
    prepared, decided = importer.prepare(items, strict=False)
    started = time.time()
    records = decided + importer.send(prepared)
    settings = {"timeout": 120.0, "unresolved_timeout": 1.0, "poll_interval": 0.05, **policy}
    reason, _counts = importer.wait(WaitPolicy.create(**settings), started)
    importer.collect(records, reason)
    return reason, sorted(records, key=lambda r: r.index)


def offsets(ct) -> list[int]:
    return [int(r.query.get("offset", ["0"])[0]) for r in ct.requests if r.path.endswith("/import-operations")]


def test_12000_operations_with_600_failures_are_reported_exactly_without_an_offset_past_10000(
    api, commercetools_server, imports
):
    ct = commercetools_server
    imports.processing_delay = 0.05
    api.ensure_container("big")
    # an earlier run's operations in the same (reused) container: told apart by id
    assert run(api, "big", [category(i) for i in range(300)])[0] == FINISHED
    items = [category(i) for i in range(12_000)]
    invalid = set(range(7, 12_000, 20))  # 600 validationFailed, spread over every request
    for i in invalid:
        items[i] = {"key": f"c{i}", "slug": {"en": f"c{i}"}}  # no name: RequiredField
    for i in (5, 6_005, 11_999):
        imports.force_outcome(f"c{i}", "rejected")
    ct.reset_log()

    reason, records = run(api, "big", items)

    assert reason == FINISHED
    by_status = Counter(r.status for r in records)
    assert by_status == {"succeeded": 12_000 - 603, "failed": 603}
    truth = {o["id"]: o["state"] for o in imports.operations("big")}
    assert len(truth) == 12_300
    assert all(truth[r.operation_id] == r.state for r in records)  # every record: its own operation's state
    assert {r.index for r in records if r.state == "validationFailed"} == invalid
    rejected = [r for r in records if r.state == "rejected"]
    assert [r.index for r in rejected] == [5, 6_005, 11_999]
    assert "the only state worth importing again" in rejected[0].error["message"]
    assert max(offsets(ct)) <= 10_000
    queries = [r.query for r in ct.requests if r.path.endswith("/import-operations")]
    assert queries and all("state" in q for q in queries)  # never the whole container


def test_a_summary_that_lags_never_ends_the_wait(api, commercetools_server, imports):
    imports.processing_delay = 1.0  # every operation processing for a second
    imports.summary_delay = 5.0  # the summary shows the container as it was 5 s ago: empty
    api.ensure_container("lagging")
    importer = Importer(api, get_resource_type("category"), "lagging")
    records = importer.send(importer.prepare([category(i) for i in range(40)], strict=True)[0])
    assert api.summary("lagging")["total"] == 0  # what a summary-driven wait would have ended on
    reason, _ = importer.wait(WaitPolicy.create(60, 10, 0.05), time.time())
    importer.collect(records, reason)
    assert reason == FINISHED and {r.status for r in records} == {"succeeded"}
    assert {o["state"] for o in imports.operations("lagging")} == {"imported"}


def test_a_duplicate_key_in_one_run_is_reported_per_operation(api, imports):
    api.ensure_container("dupes")
    reason, records = run(api, "dupes", [category(1), {"key": "c1", "slug": {"en": "c1"}}])
    assert reason == FINISHED
    assert [(r.status, r.state) for r in records] == [("succeeded", "imported"), ("failed", "validationFailed")]


def test_wait_for_master_variant_is_its_own_outcome_naming_the_product(api, commercetools_server, imports):
    ct = commercetools_server
    ct.add("product-types", {"key": "shirt", "attributes": [{"name": "size", "isRequired": True}]})
    api.ensure_container("masters")
    importer = Importer(api, get_resource_type("product"), "masters")
    product = {
        "key": "p1",
        "name": {"en": "P1"},
        "slug": {"en": "p1"},
        "productType": {"typeId": "product-type", "key": "shirt"},
    }
    records = importer.send(importer.prepare([product], strict=True)[0])
    started = time.time()
    reason, counts = importer.wait(WaitPolicy.create(600, 600, 0.05, master_variant_timeout=0.5), started)
    importer.collect(records, reason)
    assert reason == MASTER_VARIANT_TIMEOUT and counts["waitForMasterVariant"] == 1
    assert time.time() - started < 60  # not the 600 s timeout (bounded, not a timing assertion on speed)
    (record,) = records
    assert (record.status, record.state) == ("pending", "waitForMasterVariant")
    assert record.error["type"] == "waitForMasterVariant" and "product 'p1'" in record.error["message"]


def test_server_texts_are_escaped_and_redacted_in_records():
    record = ItemResult(0, "pending", "POST x", key="k", item={"key": "k"})
    operation = {
        "id": "op-1",
        "state": "rejected",
        "errors": [{"code": "Generic", "message": "Authorization: Bearer abc.def-ghi\r\nFAKE LOG LINE \x1b[31mred"}],
    }
    apply_operation(record, operation, FINISHED)
    text = record.error["message"] + str(record.errors)
    assert "abc.def-ghi" not in text and "[redacted]" in text
    assert "\r" not in text and "\n" not in text and "\x1b" not in text and "\\x1b" in text


def test_the_container_limit_and_scopes_are_clear_errors(api, commercetools_server, imports):
    assert imports.max_containers == 1000  # the project limit (docs: import-container)
    for i in range(998):
        imports.add_container(f"seeded-{i}")
    api.ensure_container("one")
    api.ensure_container("two")  # the 1,000th
    api.ensure_container("one")  # reused: no new container
    with pytest.raises(ConfigurationError, match=r"container_key: .*refused to create.*'three'.*at most 1000"):
        api.ensure_container("three")

    from airflow_provider_commercetools.testing import FakeCommercetools

    granted = [f"manage_import_containers:{PK}", f"view_import_containers:{PK}", f"manage_products:{PK}"]
    with FakeCommercetools(scopes=granted) as ct:
        scoped_imports = FakeImportApi(ct, processing_delay=0, summary_delay=0)
        scoped = ImportApi(import_client(ct, scoped_imports, scopes=granted))
        scoped.ensure_container("prices")
        importer = Importer(scoped, get_resource_type("standalone-price"), "prices")
        price = {"key": "sp1", "sku": "s1", "value": {"type": "centPrecision", "currencyCode": "EUR", "centAmount": 1}}
        (record,) = importer.send(importer.prepare([price], strict=True)[0])
        assert record.status == "failed" and record.error["status"] == 403
        assert "needs the scope manage_standalone_prices" in record.error["message"]


def test_without_waiting_records_stay_pending(api, imports):
    api.ensure_container("nowait")
    importer = Importer(api, get_resource_type("category"), "nowait")
    records = importer.send(importer.prepare([category(1)], strict=True)[0])
    assert [(r.status, r.state) for r in records] == [("pending", "processing")]
    assert NOT_WAITED == "not_waited"
