"""The catalogue import example DAG run for real (dag.test(), deferred waits) against the fake Import API."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from tests.airflow_runner import load_dag, xcom_result

EXAMPLES = Path(__file__).parents[1] / "example_dags"
PK = "test-project"


def test_catalogue_import_from_a_pim_export(commercetools_import_api, run_dag, tmp_path, monkeypatch):
    monkeypatch.setenv("_AIRFLOW__SKIP_DATABASE_EXECUTOR_COMPATIBILITY_CHECK", "1")
    ct = commercetools_import_api.fake
    ct.add("product-types", {"key": "apparel"})
    paths = ["Men > Shirts", "Men > Trousers", "Women > Dresses", "Women > Shirts"]
    pim = [
        {
            "sku": f"SKU-{i:04d}",
            "title": f"Item {i}",
            "category_path": paths[i % 4],
            "product_type": "apparel",
            "price_cents": 1000 + i,
            "currency": "EUR",
        }
        for i in range(120)
    ]
    with write_json_lines("pim", str(tmp_path / "pim.jsonl")) as writer:
        writer.write_many(pim)
    assert load_dag("example_commercetools_catalogue_import", EXAMPLES).doc_md

    dag_run = run_dag(
        "example_commercetools_catalogue_import",
        folder=EXAMPLES,
        run_conf={"pim_export": str(tmp_path / "pim.jsonl"), "work_dir": str(tmp_path / "work")},
    )

    assert dag_run.state == "success"
    categories, products = xcom_result(dag_run, "import_categories"), xcom_result(dag_run, "import_products")
    assert (categories["succeeded"], categories["requests"], categories["deferred"]) == (6, 1, True)
    assert (products["succeeded"], products["requests"], products["deferred"]) == (120, 6, True)
    stored = {c["key"]: c for c in ct.entities("categories")}
    assert sorted(stored) == ["men", "men-shirts", "men-trousers", "women", "women-dresses", "women-shirts"]
    assert stored["women-shirts"]["parent"] == {"typeId": "category", "id": stored["women"]["id"]}
    item = {p["key"]: p for p in ct.entities("products")}["sku-0007"]["masterData"]["staged"]  # a Product
    assert item["categories"] == [{"typeId": "category", "id": stored["women-shirts"]["id"]}]  # 7 % 4 == 3
    # an Embedded Price: an id, its value a CentPrecisionMoney (Price.raml, CentPrecisionMoney.raml)
    (price,) = item["masterVariant"]["prices"]
    assert price["id"] and price["value"] == {
        "type": "centPrecision",
        "centAmount": 1007,
        "currencyCode": "EUR",
        "fractionDigits": 2,
    }
    results = list(read_json_lines("r", products["output_path"]))
    assert len(results) == 120 and {r["state"] for r in results} == {"imported"}
