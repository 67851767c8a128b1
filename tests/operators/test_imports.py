"""CommercetoolsImportOperator and CommercetoolsImportSensor in real DAG runs against the fake Import API.

The fake follows the Import API's spec (commercetools/commercetools-api-reference ``api-specs/importapi``:
``types/import-request.raml`` for the 20-resource requests, ``types/common.raml`` for the processing
states, ``types/import-operation.raml`` and ``examples/import-operation-with-unresolved-references.json``
for unresolved references, ``types/import-summary.raml`` for the summaries the waits poll).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator
from tests.airflow_runner import xcom_result

PK = "test-project"


@pytest.fixture(autouse=True)
def _sensors_on_sqlite(monkeypatch):
    """Airflow 2.11's sensors ask the executor whether they may reschedule; its unit-test config names
    the LocalExecutor, which refuses SQLite (dag.test() runs no executor: the check is moot)."""
    monkeypatch.setenv("_AIRFLOW__SKIP_DATABASE_EXECUTOR_COMPATIBILITY_CHECK", "1")


def lines(path: Path | str) -> list[dict]:
    return list(read_json_lines("path", str(path)))


def trigger_polls(ct, container: str) -> int:
    """State queries sent by the trigger's async client (its correlation ids start with "airflow-trigger-")."""
    path = f"/{PK}/import-containers/{container}/import-operations"
    return sum(
        1
        for r in ct.requests
        if r.path == path and r.headers.get("x-correlation-id", "").startswith("airflow-trigger-")
    )


def product(i: int) -> dict:
    return {
        "key": f"product-{i}",
        "name": {"en": f"Product {i}"},
        "slug": {"en": f"product-{i}"},
        "productType": {"typeId": "product-type", "key": "shirt"},
        "categories": [{"typeId": "category", "key": f"category-{i % 50}"}],
    }


def category(i: int) -> dict:
    return {"key": f"category-{i}", "name": {"en": f"Category {i}"}, "slug": {"en": f"category-{i}"}}


def test_products_go_unresolved_then_imported_when_their_categories_arrive(commercetools_import_api, run_dag, tmp_path):
    imports = commercetools_import_api
    ct = imports.fake
    ct.add("product-types", {"key": "shirt"})
    with write_json_lines("p", str(tmp_path / "products.jsonl")) as writer:
        writer.write_many([product(i) for i in range(10_000)])
    with write_json_lines("c", str(tmp_path / "categories.jsonl")) as writer:
        writer.write_many([category(i) for i in range(50)])

    dag_run = run_dag(
        "import_catalogue_dag",
        run_conf={
            "products": str(tmp_path / "products.jsonl"),
            "categories": str(tmp_path / "categories.jsonl"),
            "output_dir": str(tmp_path),
            "tag": "run1",
        },
    )

    assert dag_run.state == "success"
    products = xcom_result(dag_run, "import_products")
    # 20 resources a request; every product waited for its category, then was reported unresolved
    assert products["requests"] == 500 == ct.count_requests("POST", f"/{PK}/products/import-containers/products-run1")
    assert (products["total"], products["failed"], products["states"]["unresolved"]) == (10_000, 10_000, 10_000)
    assert products["wait"] == "unresolved_timeout"
    record = lines(tmp_path / "products.jsonl")[7]
    assert record["status"] == "failed" and record["key"] == "product-7" and record["state"] == "unresolved"
    assert record["unresolved_references"] == [{"typeId": "category", "key": "category-7"}]
    assert record["item"] == product(7)
    categories = xcom_result(dag_run, "import_categories")
    assert categories["deferred"] is True and trigger_polls(ct, "categories-run1") >= 1
    assert (categories["succeeded"], categories["states"]["imported"]) == (50, 50)
    # the sensor, deferred too, saw the products container finish: every product imported in the end
    waited = xcom_result(dag_run, "wait_for_products")
    assert not waited.get("deferred") and trigger_polls(ct, "products-run1") == 0  # finished at the first poke
    assert waited["reason"] == "finished" and waited["states"] == {
        "processing": 0,
        "unresolved": 0,
        "waitForMasterVariant": 0,
    }
    assert {o["state"] for o in imports.operations("products-run1")} == {"imported"}
    stored = {p["key"]: p for p in ct.entities("products")}
    assert len(stored) == 10_000
    ids = {c["key"]: c["id"] for c in ct.entities("categories")}
    data = stored["product-7"]["masterData"]["staged"]  # a Product (product_shape.py)
    assert data["categories"] == [{"typeId": "category", "id": ids["category-7"]}]
    history = imports.history(record["operation_id"])
    assert history == ["processing", "unresolved", "imported"]


def test_validation_failures_per_item_and_a_second_run_imports_the_rest_once(
    commercetools_import_api, run_dag, tmp_path
):
    ct = commercetools_import_api.fake
    items = [category(i) for i in range(30)]
    items[3] = {"key": "category-3", "slug": {"en": "category-3"}}  # no name: RequiredField
    items[11] = {**category(11), "name": "not localized"}  # InvalidField
    items[20] = {"name": {"en": "no key"}, "slug": {"en": "no-key"}}  # invalid item: no key, never sent
    items[25] = {**category(25), "parent": {"typeId": "category", "key": "missing-parent"}}  # unresolved
    source = tmp_path / "items.jsonl"
    with write_json_lines("items", str(source)) as writer:
        writer.write_many(items)
    output = tmp_path / "run1" / "results.jsonl"

    first = run_dag(
        "import_resend_dag", run_conf={"source": str(source), "output": str(output), "container": "resend-1"}
    )

    assert first.state == "failed"  # on_error="continue": everything sent, then the task fails
    results = lines(output)
    assert [r["index"] for r in results] == list(range(30))
    by_index = {r["index"]: r for r in results}
    assert by_index[3]["state"] == "validationFailed" and by_index[3]["error"]["codes"] == ["RequiredField"]
    assert by_index[3]["errors"][0]["field"] == "name"
    assert by_index[11]["error"]["codes"] == ["InvalidField"]
    assert by_index[20]["status"] == "failed" and by_index[20]["error"]["type"] == "ConfigurationError"
    assert by_index[25]["state"] == "unresolved"
    assert by_index[25]["unresolved_references"] == [{"typeId": "category", "key": "missing-parent"}]
    assert {i for i, r in by_index.items() if r["status"] == "succeeded"} == set(range(30)) - {3, 11, 20, 25}
    failures = lines(tmp_path / "run1" / "results.failures.jsonl")
    assert [f["index"] for f in failures] == [3, 11, 20, 25] and failures[0]["item"] == items[3]

    # fix the items in the failures file, add the missing parent: only these are imported again
    fixed = tmp_path / "fixed.failures.jsonl"
    repaired = {3: category(3), 11: category(11), 20: {**items[20], "key": "category-20"}, 25: items[25]}
    with write_json_lines("fixed", str(fixed)) as writer:
        writer.write_many([{**f, "item": repaired[f["index"]]} for f in failures])
    ct.add("categories", {"key": "missing-parent", "name": {"en": "Parent"}, "slug": {"en": "missing-parent"}})
    posts_before = ct.count_requests("POST", f"/{PK}/categories/import-containers/")
    output2 = tmp_path / "run2" / "results.jsonl"

    second = run_dag(
        "import_resend_dag", run_conf={"source": str(fixed), "output": str(output2), "container": "resend-2"}
    )

    assert second.state == "success"
    for task_id in ("import_categories", "import_categories_deferred"):
        summary = xcom_result(second, task_id)
        assert (summary["total"], summary["succeeded"], summary["failed"]) == (4, 4, 0)
        assert summary["requests"] == 1, (task_id, list(summary.items())[6:])
    assert xcom_result(second, "import_categories_deferred")["deferred"] is True
    assert trigger_polls(ct, "resend-2-deferred") >= 1
    # nothing twice: one POST per task with the four repaired resources, one category per key
    posts = [r for r in ct.requests if r.method == "POST" and "/categories/import-containers/resend-2" in r.path]
    assert len(posts) == ct.count_requests("POST", f"/{PK}/categories/import-containers/") - posts_before == 2
    assert sorted(r["key"] for r in posts[0].json()["resources"]) == [
        "category-11",
        "category-20",
        "category-25",
        "category-3",
    ]
    keys = [c["key"] for c in ct.entities("categories")]
    assert len(keys) == len(set(keys)) == 31
    assert {r["status"] for r in lines(output2)} == {"succeeded"}


def test_items_from_xcom_polling_wait_results_in_xcom(commercetools_import_api, run_dag):
    ct = commercetools_import_api.fake
    ct.add("products", {"key": "shirt"})
    ct.add("product-variants", {"key": "shirt-m"})

    dag_run = run_dag("import_xcom_dag")

    assert dag_run.state == "success"
    summary = xcom_result(dag_run, "import_prices")
    assert (summary["total"], summary["succeeded"], summary["requests"]) == (45, 45, 3)
    assert summary["failures"] == [] and summary["wait"] == "finished" and "deferred" not in summary
    assert summary["container_key"] == "import_xcom_dag-import_prices-price"  # stable: reused run after run
    assert sorted(p["key"] for p in ct.entities("prices")) == sorted(f"price-{i}" for i in range(45))


def test_bad_parameters_fail_before_any_request(commercetools_import_api):
    ct = commercetools_import_api.fake
    with pytest.raises(ConfigurationError, match="resource_type: 'produce' is not an Import API resource type"):
        CommercetoolsImportOperator(task_id="t", resource_type="produce", items=[])
    with pytest.raises(ConfigurationError, match="container_key: 'a b' is not an import container key"):
        CommercetoolsImportOperator(task_id="t", resource_type="product", items=[], container_key="a b")
    with pytest.raises(ConfigurationError, match="unresolved_timeout"):
        CommercetoolsImportOperator(task_id="t", resource_type="product", items=[], unresolved_timeout=-1)
    operator = CommercetoolsImportOperator(
        task_id="t", resource_type="category", items=[category(1), {"name": {"en": "x"}}], container_key="bad"
    )
    with pytest.raises(
        ConfigurationError, match=r"items\[1\]: has no 'key'.*1 of 2 items are invalid; nothing was sent"
    ):
        operator.execute({"run_id": "r"})
    assert ct.requests == []
    assert json.dumps(commercetools_import_api.operations()) == "[]"


def test_operations_still_processing_at_the_timeout_are_pending_and_fail_the_task(commercetools_import_api, tmp_path):
    from airflow_provider_commercetools.commercetools.imports.records import ImportFailedError

    commercetools_import_api.reads_before_processing = 1_000_000  # never processed
    operator = CommercetoolsImportOperator(
        task_id="slow",
        resource_type="category",
        items=[category(i) for i in range(3)],
        container_key="slow",
        timeout=0.3,
        poll_interval=0.05,
        output_path=str(tmp_path / "results.jsonl"),
    )
    with pytest.raises(ImportFailedError, match="3 resources: 0 imported, 0 failed, 3 pending") as raised:
        operator.execute({"run_id": "r"})
    assert raised.value.summary["wait"] == "timeout" and raised.value.summary["states"]["processing"] == 3
    failures = lines(tmp_path / "results.failures.jsonl")  # pending after a wait: to be imported again
    assert [(f["status"], f["state"], f["item"]) for f in failures] == [
        ("pending", "processing", category(i)) for i in range(3)
    ]


def test_a_duplicate_key_is_reported_the_same_deferred_or_not(commercetools_import_api, run_dag, tmp_path):
    """Probe finding: with deferrable=True, an item that failed validation was reported imported when another
    item of the run had its key (records were matched by key after the deferral). Now by operation id."""
    items = [category(1), {"key": "category-1", "slug": {"en": "category-1"}}, category(2)]  # the 2nd: no name
    source = tmp_path / "items.jsonl"
    with write_json_lines("items", str(source)) as writer:
        writer.write_many(items)
    output = tmp_path / "dupes" / "results.jsonl"

    dag_run = run_dag("import_resend_dag", run_conf={"source": str(source), "output": str(output), "container": "dup"})

    assert dag_run.state == "failed"  # on_error="continue": one resource failed
    for path in (output, Path(str(output) + ".deferred.jsonl")):
        assert [(r["status"], r["state"]) for r in lines(path)] == [
            ("succeeded", "imported"),
            ("failed", "validationFailed"),
            ("succeeded", "imported"),
        ], path


def test_verify_reads_the_resources_back_and_reports_missing_and_mismatched_ones(commercetools_import_api, tmp_path):
    from airflow_provider_commercetools.commercetools.imports.records import ImportFailedError

    imports = commercetools_import_api
    ct = imports.fake
    tampered: list[str] = []

    def tamper(method: str, path: str) -> None:
        """When verify starts reading back: one category deleted, another renamed (as another writer might)."""
        if method == "GET" and path == f"/{PK}/categories" and not tampered:
            with ct.lock:
                coll = ct.store.collection("categories")
                coll.remove(coll.find_unique(("key",), ("category-1",)))
                renamed = coll.find_unique(("key",), ("category-2",))
                coll.replace(renamed, {**renamed, "name": {"en": "Renamed"}})
            tampered.append(path)

    ct.on_request(tamper)
    operator = CommercetoolsImportOperator(
        task_id="verified",
        resource_type="category",
        items=[category(i) for i in range(250)],  # 3 batches of keys
        container_key="verified",
        poll_interval=0.05,
        verify=True,
        output_path=str(tmp_path / "results.jsonl"),
    )
    with pytest.raises(ImportFailedError, match="250 resources: 248 imported, 2 failed"):
        operator.execute({})
    by_key = {r["key"]: r for r in lines(tmp_path / "results.jsonl")}
    assert by_key["category-1"]["error"]["type"] == "VerifyMissing"
    assert (
        by_key["category-2"]["error"]["type"] == "VerifyMismatch" and "name" in by_key["category-2"]["error"]["message"]
    )
    reads = [r for r in ct.requests if r.method == "GET" and r.path == f"/{PK}/categories"]
    assert len(reads) == 3 and all(r.query["where"][0].startswith("key in (") for r in reads)
    with pytest.raises(ConfigurationError, match="verify: 'price' resources cannot be read back"):
        CommercetoolsImportOperator(task_id="t", resource_type="price", items=[], verify=True)
