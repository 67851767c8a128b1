"""The demo: a local commercetools emulator, a small catalogue, the example DAGs run by Airflow.

Run it with ``bash scripts/demo.sh`` (which installs what it needs first). It starts the
independent emulator (@labdigital/commercetools-mock) on 127.0.0.1, seeds two projects, runs every
example DAG with ``airflow dags test`` in a private AIRFLOW_HOME (``.demo/airflow``), prints what
moved and where the files are, and stops the emulator. Nothing leaves this machine.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from airflow_provider_commercetools.commercetools.files import read_json_lines  # noqa: E402
from emulator import Emulator  # noqa: E402

DEMO = REPO / ".demo"
OUTPUT = DEMO / "output"
SHOP, SHOP_B = "demo-shop", "demo-shop-b"
AIRFLOW = str(REPO / ".venv" / "bin" / "airflow")


def seed(emu: Emulator) -> dict[str, int]:
    """A small, realistic catalogue in project A; project B starts with part of its categories."""
    rng = random.Random(7)
    product_types = emu.seed(
        "product-type",
        [
            {"key": "apparel", "name": "Apparel", "description": "Clothing"},
            {"key": "shoes", "name": "Shoes", "description": "Footwear"},
        ],
    )
    roots = [("women", "Women"), ("men", "Men"), ("kids", "Kids"), ("sale", "Sale")]
    root_ids = emu.seed(
        "category",
        [{"key": k, "name": {"en": n}, "slug": {"en": k}, "orderHint": f"0.{i}"} for i, (k, n) in enumerate(roots)],
    )
    children = []
    for (key, name), root_id in zip(roots, root_ids, strict=True):
        for sub in ("shirts", "trousers", "shoes", "jackets"):
            children.append(
                {
                    "key": f"{key}-{sub}",
                    "name": {"en": f"{name} {sub}"},
                    "slug": {"en": f"{key}-{sub}"},
                    "parent": {"typeId": "category", "id": root_id},
                }
            )
    emu.seed("category", children)
    # Project B already has some categories, one with an outdated name.
    emu.seed(
        "category",
        [
            {"key": "women", "name": {"en": "Ladies"}, "slug": {"en": "women"}, "orderHint": "0.0"},
            {"key": "men", "name": {"en": "Men"}, "slug": {"en": "men"}, "orderHint": "0.1"},
        ],
        project_key=SHOP_B,
    )
    products = []
    for i in range(300):
        kind = "shoes" if i % 3 == 0 else "apparel"
        products.append(
            {
                "key": f"product-{i:04d}",
                "productType": {"typeId": "product-type", "id": product_types[0 if kind == "apparel" else 1]},
                "name": {"en": f"{kind.title()} model {i}"},
                "slug": {"en": f"{kind}-model-{i}"},
                "masterVariant": {
                    "sku": f"SKU-{i:04d}",
                    "prices": [{"value": {"currencyCode": "EUR", "centAmount": rng.randrange(999, 19999)}}],
                },
                "publish": True,
            }
        )
    emu.seed("product", products)
    emu.seed(
        "inventory-entry",
        [{"sku": f"SKU-{i:04d}", "quantityOnStock": rng.randrange(0, 50)} for i in range(300)],
    )
    customers = [
        {"email": f"customer{i}@example.com", "firstName": f"First{i}", "lastName": f"Last{i}", "key": f"cust-{i}"}
        for i in range(100)
    ]
    emu.seed("customer", customers)
    orders = []
    for i in range(200):
        cents = rng.randrange(1000, 50000)
        orders.append(
            {
                "orderNumber": f"2026-{i:05d}",
                "orderState": rng.choice(["Open", "Confirmed", "Complete"]),
                "totalPrice": {
                    "type": "centPrecision",
                    "currencyCode": "EUR",
                    "centAmount": cents,
                    "fractionDigits": 2,
                },
                "lineItems": [],
                "customLineItems": [],
                "customerEmail": f"customer{i % 100}@example.com",
            }
        )
    emu.seed("order", orders, mode="unsafe")
    return {
        "product types": 2,
        "categories": len(roots) + len(children),
        "products": 300,
        "inventory": 300,
        "customers": 100,
        "orders": 200,
    }


def write_stock_csv(path: Path) -> int:
    """An 'ERP export': new stock for 100 SKUs, 3 of them unknown to commercetools."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "quantity"])
        for i in range(97):
            writer.writerow([f"SKU-{i:04d}", 100 + i])
        for i in range(3):
            writer.writerow([f"SKU-NEW-{i}", 5])
    return 100


def connection(emu: Emulator, project_key: str) -> str:
    return json.dumps(
        {
            "conn_type": "commercetools",
            "host": emu.url,
            "login": emu.client_id,
            "password": emu.client_secret,
            "extra": {"project_key": project_key, "auth_url": emu.url},
        }
    )


def airflow_env(emu: Emulator) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(DEMO / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "example_dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT": connection(emu, SHOP),
            "AIRFLOW_CONN_COMMERCETOOLS_SOURCE": connection(emu, SHOP),
            "AIRFLOW_CONN_COMMERCETOOLS_TARGET": connection(emu, SHOP_B),
        }
    )
    return env


def run(args: list[str], env: dict[str, str], what: str) -> None:
    started = time.monotonic()
    print(f"  {what} ...", end="", flush=True)
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        print(" FAILED")
        print(result.stdout[-6000:], result.stderr[-6000:], sep="\n")
        raise SystemExit(f"demo failed at: {what}")
    print(f" done in {time.monotonic() - started:.1f} s")


def latest(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"demo: no {pattern} under {folder}")
    return found[-1]


def count_lines(path: Path) -> int:
    return sum(1 for _ in read_json_lines("path", str(path)))


def main() -> None:
    started = time.monotonic()
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    print("commercetools demo")
    print("  starting the commercetools emulator (@labdigital/commercetools-mock) on 127.0.0.1 ...")
    with Emulator(project_key=SHOP, client_id="demo-client", client_secret="demo-secret") as emu:
        seeded_from = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
        seeded = seed(emu)
        seeded_until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
        print("  seeded project", SHOP, ":", ", ".join(f"{n} {k}" for k, n in seeded.items()))
        env = airflow_env(emu)
        run([AIRFLOW, "db", "migrate"], env, "preparing Airflow's metadata DB (.demo/airflow)")

        now = dt.datetime.now(dt.timezone.utc)
        this_hour = now.replace(minute=0, second=0, microsecond=0)
        csv_path = OUTPUT / "stock.csv"
        write_stock_csv(csv_path)
        dags: list[tuple[str, list[str], dict[str, Any]]] = [
            (
                "example_commercetools_incremental_export",
                [this_hour.isoformat()],
                # a manual run has no data interval on Airflow 3: the window is given instead
                {
                    "output_base": str(OUTPUT / "exports"),
                    "since": seeded_from.isoformat(),
                    "until": seeded_until.isoformat(),
                    # the emulator has no Messages API (its project says messages.enabled: false)
                    "when_messages_disabled": "skip",
                    # the window ends a second after seeding: wait 5 s past it on the emulator's clock, not
                    # the example's 120 s (no late writes here: the demo's writes are done before it reads)
                    "settle": 5,
                },
            ),
            ("example_commercetools_partitioned_export", [], {"output_base": str(OUTPUT / "partitioned")}),
            ("example_commercetools_project_copy", [], {"work_dir": str(OUTPUT / "copy")}),
            (
                "example_commercetools_bulk_stock_update",
                [],
                {"csv_path": str(csv_path), "work_dir": str(OUTPUT / "stock")},
            ),
        ]
        for dag_id, args, conf in dags:
            run([AIRFLOW, "dags", "test", dag_id, *args, "-c", json.dumps(conf)], env, f"airflow dags test {dag_id}")
        summary(emu)
    print(f"\nfinished in {time.monotonic() - started:.0f} s; the emulator is stopped.")


def summary(emu: Emulator) -> None:
    products = latest(OUTPUT / "exports" / "products", "*.jsonl")
    orders = latest(OUTPUT / "exports" / "orders", "*.jsonl")
    parts = sorted((OUTPUT / "partitioned").glob("*/part-*.jsonl"))
    manifest = json.loads(latest(OUTPUT / "partitioned", "*/manifest.json").read_text())
    copy_results = latest(OUTPUT / "copy", "*/results.jsonl")
    copied = [r for r in read_json_lines("r", str(copy_results))]
    stock_results = latest(OUTPUT / "stock", "*/results.jsonl")
    stock = [r for r in read_json_lines("r", str(stock_results))]

    def status_counts(records: list[dict[str, Any]]) -> str:
        counts: dict[str, int] = {}
        for record in records:
            # the sync records an equal resource as skipped with the note "unchanged: ...": say unchanged
            status = "unchanged" if str(record.get("note", "")).startswith("unchanged") else record["status"]
            counts[status] = counts.get(status, 0) + 1
        return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing to do"

    rows = [
        ("incremental export: products changed in the window", count_lines(products), products),
        ("incremental export: orders changed in the window", count_lines(orders), orders),
        (f"partitioned export: customers in {len(parts)} mapped tasks", manifest["count"], parts[0].parent),
        (f"project copy {SHOP} -> {SHOP_B}: categories ({status_counts(copied)})", len(copied), copy_results),
        (f"stock update from CSV: inventory ({status_counts(stock)})", len(stock), stock_results),
    ]
    print("\nwhat moved")
    width = max(len(r[0]) for r in rows)
    for what, count, where in rows:
        print(f"  {what:<{width}}  {count:>5}  {where.relative_to(REPO)}")


if __name__ == "__main__":
    main()
