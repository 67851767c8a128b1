"""Catalogue import from a PIM export: categories and products through the commercetools Import API.

The PIM exports one JSON object per line: ``{"sku", "title", "category_path": "Men > Shirts",
"product_type", "price_cents", "currency"}``. A task turns the export into Import API resources
(JSON Lines files, so a large catalogue never passes through XCom): a ``CategoryImport`` per node of
the category paths (``parent`` as a key reference) and a ``ProductDraftImport`` per SKU with its
master variant and price, referencing its category and product type by key. Two import tasks send
them, 20 resources per import request, 8 requests at a time, and wait deferred (in the triggerer)
until commercetools has imported every resource. Categories go first so products do not wait for
them, though the Import API would resolve the references in any order (a product stays
``unresolved`` until its category exists). Each task imports into its own stable container
(``example_commercetools_catalogue_import-import_products-product-draft``...), reused by every run and
created with a 30-day ``retentionPolicy`` when missing; each run's results come from the operations
it created, so earlier runs in the same container do not mix in. Results and failures files land
next to the export: run again with ``items`` set to a failures file to import what failed
(re-importing a key updates it, never doubles it).

Connection: ``commercetools_default`` with the ``import_url`` extra (or a region) and the
``manage_import_containers`` scope (or ``manage_project``).
"""

from __future__ import annotations

import datetime
from typing import Any

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.11
    from airflow import DAG  # type: ignore[attr-defined,no-redef]
    from airflow.decorators import task  # type: ignore[attr-defined,no-redef]

WORK_DIR = "{{ params.work_dir }}/{{ run_id | replace(':', '_') | replace('+', '_') }}"


def slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


with DAG(
    dag_id="example_commercetools_catalogue_import",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"pim_export": "/tmp/commercetools/pim.jsonl", "work_dir": "/tmp/commercetools/catalogue"},
    tags=["commercetools", "example"],
    doc_md=__doc__,
):

    @task
    def to_import_resources(pim_export: str, work_dir: str) -> dict[str, Any]:
        """PIM lines -> category and product draft import resources, one JSON Lines file each."""
        categories: dict[str, dict[str, Any]] = {}
        products = f"{work_dir}/products.jsonl"
        with write_json_lines("products", products) as writer:
            for line in read_json_lines("pim_export", pim_export):
                parent = None
                for depth, name in enumerate(line["category_path"].split(">")):
                    key = slug(">".join(line["category_path"].split(">")[: depth + 1]))
                    node = {"key": key, "name": {"en": name.strip()}, "slug": {"en": key}}
                    if parent is not None:
                        node["parent"] = {"typeId": "category", "key": parent}
                    categories.setdefault(key, node)
                    parent = key
                sku = line["sku"]
                price = {"centAmount": int(line["price_cents"]), "currencyCode": line["currency"]}
                writer.write(
                    {
                        "key": slug(sku),
                        "name": {"en": line["title"]},
                        "slug": {"en": slug(f"{line['title']} {sku}")},
                        "productType": {"typeId": "product-type", "key": line["product_type"]},
                        "categories": [{"typeId": "category", "key": parent}],
                        "masterVariant": {
                            "key": slug(sku),
                            "sku": sku,
                            "prices": [{"key": f"{slug(sku)}-{line['currency'].lower()}", "value": price}],
                        },
                        "publish": True,
                    }
                )
        with write_json_lines("categories", f"{work_dir}/categories.jsonl") as category_writer:
            category_writer.write_many(list(categories.values()))
        return {"categories": f"{work_dir}/categories.jsonl", "products": products, "count": writer.count}

    resources = to_import_resources("{{ params.pim_export }}", WORK_DIR)
    categories = CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="category",
        items=resources["categories"],
        output_path=WORK_DIR + "/categories.results.jsonl",
        deferrable=True,
        poll_interval=10,
    )
    products = CommercetoolsImportOperator(
        task_id="import_products",
        resource_type="product-draft",
        items=resources["products"],
        output_path=WORK_DIR + "/products.results.jsonl",
        deferrable=True,
        poll_interval=10,
        max_workers=8,
    )
    categories >> products
