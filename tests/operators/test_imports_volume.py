"""25,000 products through one container in real DAG runs (polling and deferred), against the strict fake.

The fake Import API as the spec says the API is: operations final asynchronously (``processing_delay``),
summaries lagging them (``summary_delay``, "eventually consistent": types/import-summary.raml), queries
refusing ``offset`` past 10,000 (api.raml), ties in ``createdAt`` in a random order per query. The
results are compared with the fake's operations one by one, and the fake's request log shows that no
query went past offset 10,000 nor read the whole container.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from tests.airflow_runner import xcom_result

PK = "test-project"
PRODUCTS = 25_000
INVALID = set(range(13, PRODUCTS, 1000))  # 25 without a name: validationFailed


def product(i: int) -> dict:
    item = {
        "key": f"product-{i}",
        "name": {"en": f"Product {i}"},
        "slug": {"en": f"product-{i}"},
        "productType": {"typeId": "product-type", "key": "shirt"},
    }
    if i in INVALID:
        del item["name"]
    return item


def test_25000_products_through_one_container_exact_and_no_offset_past_10000(
    commercetools_import_api, run_dag, tmp_path: Path
):
    imports = commercetools_import_api
    imports.processing_delay = 0.05  # fast, but still asynchronous
    imports.summary_delay = 0.5  # and a summary that lags
    ct = imports.fake
    ct.add("product-types", {"key": "shirt"})
    source = tmp_path / "products.jsonl"
    with write_json_lines("p", str(source)) as writer:
        writer.write_many([product(i) for i in range(PRODUCTS)])
    imports.force_outcome("product-7", "rejected")
    imports.force_outcome("product-7", "rejected")  # once for each task

    dag_run = run_dag("import_volume_dag", run_conf={"products": str(source), "output_dir": str(tmp_path)})

    assert dag_run.state == "success"
    for task_id, name in (("import_polling", "polling"), ("import_deferred", "deferred")):
        summary = xcom_result(dag_run, task_id)
        container = f"import_volume_dag-{task_id}-product"
        assert summary["container_key"] == container and summary["requests"] == PRODUCTS // 20
        assert (summary["total"], summary["succeeded"], summary["failed"], summary["pending"]) == (
            PRODUCTS,
            PRODUCTS - 26,
            26,
            0,
        )
        assert summary.get("deferred", False) is (name == "deferred")
        truth = {o["id"]: o["state"] for o in imports.operations(container)}
        records = list(read_json_lines("r", str(tmp_path / f"{name}.jsonl")))
        assert len(records) == len(truth) == PRODUCTS
        assert all(truth[r["operation_id"]] == r["state"] for r in records)
        states = Counter(r["state"] for r in records)
        assert states == {"imported": PRODUCTS - 26, "validationFailed": 25, "rejected": 1}
    queries = [r.query for r in ct.requests if r.path.endswith("/import-operations")]
    assert max(int(q.get("offset", ["0"])[0]) for q in queries) <= 10_000
    assert all("state" in q for q in queries)  # state-filtered, never the whole container
    assert len(ct.entities("products")) == PRODUCTS - 26  # product-7 rejected both times
