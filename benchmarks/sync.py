"""Benchmark: the sync operator's requests and plan time, against the publisher sending every draft.

``python benchmarks/sync.py [N] [builders|sync]`` (default N=10,000; ``builders``: section 2 alone;
``sync``: section 1's two sync runs alone) seeds an
in-process fake with N categories and N products, builds feeds of the same N drafts where 1% differ, and measures:

1. requests: the sync (``SyncRun``: plan + apply) against the publisher updating every draft with
   ``on_conflict="latest"`` (a GET of the version and a POST per draft: what a feed job without a diff
   sends), both through the same fake, counted by the fake's request log;
2. plan time per resource: the whole plan (reads included) per draft, and the action builder alone per
   (draft, current) pair; the same pairs diffed by ``@commercetools/sync-actions`` under Node (installed
   into a temporary folder with ``npm install`` unless ``SYNC_ACTIONS_DIR`` names a folder that has it);
3. memory: the plan's peak traced Python memory (``tracemalloc``) for feeds of N/4, N/2 and N
   categories read from a JSON Lines file, against the feed file's size.

Numbers are printed; BENCHMARKS.md records a run with its command.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.transport.config import ClientConfig
from airflow_provider_commercetools.commercetools.writing.sync.plan import Planner
from airflow_provider_commercetools.commercetools.writing.sync.references import ReferenceCache
from airflow_provider_commercetools.commercetools.writing.sync.run import SyncRun, SyncSettings
from airflow_provider_commercetools.commercetools.writing.sync.targets import CountingClient, Matcher
from airflow_provider_commercetools.commercetools.writing.sync.types import sync_type
from airflow_provider_commercetools.testing import FakeCommercetools

WORKERS = 8
CHANGED_EVERY = 100  # 1%


def client_for(ct: FakeCommercetools) -> CommercetoolsClient:
    config = ClientConfig.create(
        project_key=ct.project_key,
        client_id=ct.client_id,
        client_secret=ct.client_secret,
        api_url=ct.url,
        auth_url=ct.url,
    )
    return CommercetoolsClient(config)


# -- data ------------------------------------------------------------------------------------------


def category_draft(i: int, changed: bool = False) -> dict[str, Any]:
    draft: dict[str, Any] = {
        "key": f"cat-{i:06d}",
        "name": {"en": f"Category {i}" + (" (new)" if changed else ""), "de": f"Kategorie {i}"},
        "slug": {"en": f"category-{i}", "de": f"kategorie-{i}"},
        "description": {"en": f"All of category {i}"},
        "orderHint": f"0.{i:06d}",
    }
    if i % 10:
        draft["parent"] = {"typeId": "category", "key": f"cat-{i - i % 10:06d}"}
    return draft


def product_projection(i: int, changed: bool = False) -> dict[str, Any]:
    """A product's draft data (references by key), 3 variants with attributes and a price each."""
    variants = [
        {
            "sku": f"SKU-{i:06d}-{v}",
            "key": f"p-{i:06d}-{v}",
            "attributes": [
                {"name": "size", "value": ["S", "M", "L"][v]},
                {"name": "colour", "value": {"key": "red", "label": "Red"}},
                {"name": "weight", "value": 100 + v},
            ],
            "prices": [
                {"key": f"pr-{i}-{v}", "value": {"currencyCode": "EUR", "centAmount": 1000 + v}, "country": "DE"}
            ],
            "images": [{"url": f"https://img.example.com/{i}/{v}.jpg", "dimensions": {"w": 800, "h": 600}}],
        }
        for v in range(3)
    ]
    return {
        "key": f"prod-{i:06d}",
        "productType": {"typeId": "product-type", "key": "shirt"},
        "name": {"en": f"Product {i}" + (" (new)" if changed else ""), "de": f"Produkt {i}"},
        "slug": {"en": f"product-{i}", "de": f"produkt-{i}"},
        "description": {"en": f"Everything about product {i}"},
        "categories": [{"typeId": "category", "key": f"cat-{i % 50:06d}"}],
        "searchKeywords": {"en": [{"text": f"product {i}"}]},
        "masterVariant": variants[0],
        "variants": variants[1:],
    }


def as_product(i: int, ids: dict[str, str], type_id: str) -> dict[str, Any]:
    """The product as commercetools holds it: masterData (staged = current), references by id, variant ids."""
    data = copy.deepcopy(product_projection(i))
    data["categories"] = [{"typeId": "category", "id": ids[c["key"]]} for c in data["categories"]]
    for number, variant in enumerate([data["masterVariant"], *data["variants"]], start=1):
        variant["id"] = number
        for price in variant["prices"]:
            price["id"] = f"price-{i}-{number}"
    key, product_type = data.pop("key"), data.pop("productType")
    del product_type
    return {
        "key": key,
        "productType": {"typeId": "product-type", "id": type_id},
        "masterData": {"current": data, "staged": copy.deepcopy(data), "published": True, "hasStagedChanges": False},
    }


def as_category(i: int, ids: dict[str, str]) -> dict[str, Any]:
    category = category_draft(i)
    if "parent" in category:
        category["parent"] = {"typeId": "category", "id": ids[category["parent"]["key"]]}
    return category


def seed(ct: FakeCommercetools, n: int) -> None:
    ids: dict[str, str] = {}
    for i in range(0, n, 10):  # parents first
        ids[f"cat-{i:06d}"] = ct.add("categories", as_category(i, ids))["id"]
    rest = [i for i in range(n) if i % 10]
    for i, new_id in zip(rest, ct.add_many("categories", (as_category(i, ids) for i in rest)), strict=True):
        ids[f"cat-{i:06d}"] = new_id
    type_id = ct.add("product-types", {"key": "shirt", "name": "Shirt", "description": "", "attributes": []})["id"]
    ct.add_many("products", (as_product(i, ids, type_id) for i in range(n)))


def write_feed(path: Path, drafts: Any) -> int:
    with path.open("w") as handle:
        for draft in drafts:
            handle.write(json.dumps(draft) + "\n")
    return path.stat().st_size


# -- 1. requests -----------------------------------------------------------------------------------


def sync_requests(ct: FakeCommercetools, resource_type: str, feed: Path, workdir: Path) -> dict[str, Any]:
    ct.reset_log()
    started = time.perf_counter()
    run = SyncRun(
        client_for(ct),
        SyncSettings(sync=sync_type(resource_type), max_workers=WORKERS),
        drafts=str(feed),
        output_path=str(workdir / f"sync-{resource_type}"),
    )
    summary = run.run()
    seconds = time.perf_counter() - started
    prefix = f"/{ct.project_key}/"
    return {
        "seconds": seconds,
        "reads": ct.count_requests("GET", prefix),
        "writes": ct.count_requests("POST", prefix) + ct.count_requests("DELETE", prefix),
        "summary": summary,
    }


def publisher_requests(ct: FakeCommercetools, entity: str, feed: Path, workdir: Path) -> dict[str, Any]:
    """Every draft sent as an update of its fields (what a job without a diff sends), version read first."""
    from airflow_provider_commercetools.commercetools.writing import PublishDefaults, Publisher

    items = []
    with feed.open() as handle:
        for line in handle:
            draft = json.loads(line)
            actions = [{"action": "changeName", "name": draft["name"]}, {"action": "changeSlug", "slug": draft["slug"]}]
            items.append({"path": {"key": draft["key"]}, "payload": {"actions": actions}})
    ct.reset_log()
    started = time.perf_counter()
    publisher = Publisher(
        client_for(ct),
        PublishDefaults.create(method="POST", entity=entity),
        on_conflict="latest",
        max_workers=WORKERS,
        stop_on_failure=False,
    )
    failed = sum(result.status != "succeeded" for result in publisher.publish(publisher.prepare_all(items)))
    prefix = f"/{ct.project_key}/"
    return {
        "seconds": time.perf_counter() - started,
        "reads": ct.count_requests("GET", prefix),
        "writes": ct.count_requests("POST", prefix),
        "failed": failed,
    }


# -- 2. plan time per resource -------------------------------------------------------------------


def pairs(ct: FakeCommercetools, resource_type: str, feed: Path) -> tuple[list[tuple[dict, dict]], ReferenceCache]:
    """(draft, current) pairs as the planner builds them, with a filled reference cache."""
    client = CountingClient(client_for(ct))
    sync = sync_type(resource_type)
    context = ReferenceCache(client, max_workers=WORKERS)
    matcher = Matcher(sync.entity, sync.match, context)
    drafts = [json.loads(line) for line in feed.open()]
    found = matcher.fetch(client, [(d["key"],) for d in drafts], max_workers=WORKERS)
    from airflow_provider_commercetools.commercetools.writing.sync.references import ids_referenced, keys_referenced

    context.load_keys(set().union(*(keys_referenced(d) for d in drafts)))
    context.load_ids(set().union(*(ids_referenced(t) for t in found.values())))
    for target in found.values():
        context.note("category" if resource_type == "categories" else "product", target)
    return [(d, found[(d["key"],)]) for d in drafts], context


def builder_seconds(resource_type: str, pairs_: list[tuple[dict, dict]], context: ReferenceCache) -> tuple[float, int]:
    build = sync_type(resource_type).build_actions
    started = time.perf_counter()
    changed = sum(bool(build(draft, current, context, None)) for draft, current in pairs_)
    return time.perf_counter() - started, changed


NODE_SCRIPT = r"""
const sa = require('@commercetools/sync-actions');
const fs = require('fs');
const [kind, path] = process.argv.slice(2);
const sync = kind === 'categories' ? sa.createSyncCategories() : sa.createSyncProducts();
const pairs = fs.readFileSync(path, 'utf8').split('\n').filter(Boolean).map(JSON.parse);
const started = process.hrtime.bigint();
let changed = 0;
for (const [now, before] of pairs) { if (sync.buildActions(now, before).length) changed++; }
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({seconds, changed, pairs: pairs.length}));
"""


def sync_actions_dir() -> Path | None:
    given = os.environ.get("SYNC_ACTIONS_DIR")
    if given:
        return Path(given)
    folder = Path(tempfile.mkdtemp(prefix="sync-actions-"))
    done = subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "@commercetools/sync-actions"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    return folder if done.returncode == 0 else None


def node_pairs(resource_type: str, pairs_: list[tuple[dict, dict]]) -> list[list[dict]]:
    """The same pairs as sync-actions takes them: both sides in the resource's shape, references by id."""
    out = []
    for draft, current in pairs_:
        if resource_type == "categories":
            before = {k: v for k, v in current.items() if k not in ("createdAt", "lastModifiedAt")}
            now = {**before, **{k: v for k, v in draft.items() if k != "parent"}}
        else:
            before = dict(current["masterData"]["staged"])
            before["key"] = current["key"]
            now = copy.deepcopy(before)
            now["name"] = draft["name"]
        out.append([now, before])
    return out


def node_seconds(folder: Path, resource_type: str, pairs_: list[list[dict]]) -> dict[str, Any]:
    data = folder / f"{resource_type}.pairs.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in pairs_))
    script = folder / "bench.js"
    script.write_text(NODE_SCRIPT)
    done = subprocess.run(
        ["node", str(script), resource_type, str(data)], cwd=folder, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


# -- 3. memory -------------------------------------------------------------------------------------


def plan_peak(n: int, workdir: Path) -> tuple[float, int, float]:
    """Peak traced memory (MiB) of planning a feed of n categories (all present, 1% changed) from a file."""
    with FakeCommercetools() as ct:
        ids: dict[str, str] = {}
        for i in range(0, n, 10):
            ids[f"cat-{i:06d}"] = ct.add("categories", as_category(i, ids))["id"]
        rest = [i for i in range(n) if i % 10]
        ct.add_many("categories", (as_category(i, ids) for i in rest))
        feed = workdir / f"mem-{n}.jsonl"
        size = write_feed(feed, (category_draft(i, i % CHANGED_EVERY == 0) for i in range(n)))
        client = CountingClient(client_for(ct))
        sync = sync_type("categories")
        context = ReferenceCache(client, max_workers=4)
        planner = Planner(client, sync, Matcher(sync.entity, sync.match, context), context, max_workers=4)
        from airflow_provider_commercetools.commercetools.files import read_json_lines

        tracemalloc.start()
        started = time.perf_counter()
        planner.write(read_json_lines("drafts", str(feed)), str(workdir / f"mem-{n}.plan.jsonl"))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak / 2**20, size, seconds


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    only_builders = sys.argv[2:] == ["builders"]  # section 2 alone: `benchmarks/sync.py 10000 builders`
    only_sync = sys.argv[2:] == ["sync"]  # section 1's sync rows alone: `benchmarks/sync.py 10000 sync`
    workdir = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    print(f"sync benchmark: {n:,} categories and {n:,} products, 1% changed, {WORKERS} workers, in-process fake")
    with FakeCommercetools() as ct:
        started = time.perf_counter()
        seed(ct, n)
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        feeds = {
            "categories": workdir / "categories.jsonl",
            "products": workdir / "products.jsonl",
        }
        write_feed(feeds["categories"], (category_draft(i, i % CHANGED_EVERY == 0) for i in range(n)))
        write_feed(feeds["products"], (product_projection(i, i % CHANGED_EVERY == 0) for i in range(n)))

        print("\n1. requests (the fake's request log)")
        print(f"  {'':<28}{'reads':>8}{'writes':>8}{'seconds':>9}")
        if only_sync:
            for resource_type in ("categories", "products"):
                synced = sync_requests(ct, resource_type, feeds[resource_type], workdir)
                s = synced["summary"]
                print(
                    f"  sync {resource_type:<23}{synced['reads']:>8,}{synced['writes']:>8,}{synced['seconds']:>9.1f}"
                    f"   ({s['updated']} updated, {s['unchanged']:,} unchanged, {s['failed']} failed)"
                )
            return
        node_dir = sync_actions_dir()
        timing: dict[str, Any] = {}
        for resource_type in ("categories", "products"):
            pairs_, context = pairs(ct, resource_type, feeds[resource_type])
            timing[resource_type] = (builder_seconds(resource_type, pairs_, context), node_pairs(resource_type, pairs_))
            if only_builders:
                continue
            synced = sync_requests(ct, resource_type, feeds[resource_type], workdir)
            s = synced["summary"]
            print(
                f"  sync {resource_type:<23}{synced['reads']:>8,}{synced['writes']:>8,}{synced['seconds']:>9.1f}"
                f"   ({s['updated']} updated, {s['unchanged']:,} unchanged, {s['failed']} failed)"
            )
            published = publisher_requests(ct, resource_type, feeds[resource_type], workdir)
            print(
                f"  publisher {resource_type:<18}{published['reads']:>8,}{published['writes']:>8,}"
                f"{published['seconds']:>9.1f}   (every draft: version read, update sent)"
            )

        print("\n2. plan time per resource")
        for resource_type in ("categories", "products"):
            (seconds, changed), pairs_for_node = timing[resource_type]
            line = f"  {resource_type:<11} action builder: {seconds / n * 1e6:8.1f} us/pair ({changed} with actions)"
            if node_dir is not None:
                node = node_seconds(node_dir, resource_type, pairs_for_node)
                per_pair = node["seconds"] / n * 1e6
                line += (
                    f"; @commercetools/sync-actions (Node): {per_pair:8.1f} us/pair ({node['changed']} with actions)"
                )
            else:
                line += "; @commercetools/sync-actions: npm install failed, not measured"
            print(line)

    if only_builders:
        return
    print("\n3. memory of the plan (tracemalloc peak; categories streamed from a JSON Lines file)")
    for size in (n // 4, n // 2, n):
        peak, feed_bytes, seconds = plan_peak(size, workdir)
        print(
            f"  {size:>7,} drafts: peak {peak:6.1f} MiB (feed file {feed_bytes / 2**20:5.1f} MiB), "
            f"plan {seconds:5.1f} s = {seconds / size * 1e3:.2f} ms/draft"
        )


if __name__ == "__main__":
    main()
