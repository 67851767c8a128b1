"""The fault suite: real DAG runs through a server that misbehaves, with exact outcomes.

An export of 20,000 entities and a publish of 2,000 items run as DAGs (``dag.test()``) against a fake
commercetools that injects, at a fixed seeded rate, 429 with Retry-After, 502, 503, 504, connections
dropped before the request is handled and after a write was applied, and answers slower than the
connection's timeout, and that revokes every token twice in the middle of the run. The outcome is
compared with the server's state: every entity exported exactly once; every item created exactly
once or reported as failed with its error; no duplicate. Then faults beyond the retry budget: the task
fails saying what was done, what was not and how to resume, and a re-run completes the job.

``pytest tests/reliability/test_faults.py -s`` prints the figures of docs/reliability.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.testing import connection_json
from tests.airflow_runner import xcom_result
from tests.reliability.conftest import CONN_ENV, FAST_RETRIES
from tests.reliability.faults import (
    FAULT_KINDS,
    KIND_LABELS,
    REVOKED,
    FaultFigures,
    FaultyCommercetools,
    fault_figures,
)

PK = "test-project"
EXPORT_TOTAL = 20_000
PUBLISH_TOTAL = 2_000
#: every 20th item has no key: a lost create of it cannot be checked, so it is reported "outcome unknown"
KEYLESS_EVERY = 20
#: slow answers take this long; the connection's timeout is FAST_RETRIES["timeout"] (0.5 s)
SLOW_DELAY = 1.0
RETRY_AFTER = 0.02
#: the retry budget of the tests whose faults exceed it
SMALL_BUDGET = {**FAST_RETRIES, "retry_max_attempts": 4}


def lines(path: Path | str) -> list[Any]:
    return list(read_json_lines("path", str(path)))


def task_error(path: Path) -> dict[str, str]:
    """The exception that failed the task (written by the DAG's on_failure_callback)."""
    assert path.exists(), "the task did not fail"
    return json.loads(path.read_text())


def run(run_dag: Any, dag_id: str, **conf: Any) -> Any:
    return run_dag(dag_id, run_conf={k: str(v) if isinstance(v, Path) else v for k, v in conf.items()})


def print_figures(title: str, figures: FaultFigures, outcome: dict[str, Any]) -> None:
    """The rows of the docs table (run with -s to see them)."""
    methods = sorted({method for method, _ in figures.injected}, reverse=True)  # POST, GET
    print(f"\n### {title}")
    print(f"API requests: {figures.api_requests}, token grants: {figures.token_grants}, retries: {figures.retries}")
    print("| fault | " + " | ".join(f"{m} injected | {m} sent again" for m in methods) + " |")
    for kind in (*FAULT_KINDS, REVOKED):
        cells = [f"{figures.count(c, kind, m)}" for m in methods for c in (figures.injected, figures.resent)]
        print(f"| {KIND_LABELS[kind]} | " + " | ".join(cells) + " |")
    totals = [
        f"{sum(n for (mm, _), n in c.items() if mm == m)}" for m in methods for c in (figures.injected, figures.resent)
    ]
    print("| total | " + " | ".join(totals) + " |")
    if figures.resent_unfaulted:
        print(f"(also sent again without an injected fault, e.g. a timeout under load: {figures.resent_unfaulted})")
    print("outcome:", json.dumps(outcome))


# -- the fault suite ---------------------------------------------------------------------------------


def test_an_export_of_20000_entities_through_faults_is_exact(faulty_connection, run_dag, tmp_path):
    ct: FaultyCommercetools = faulty_connection
    ids = ct.add_many("products", ({"key": f"p{i}"} for i in range(EXPORT_TOTAL)))
    ct.set_random_faults(
        0.25, FAULT_KINDS, seed=7, path_prefix=f"/{PK}/products", retry_after=RETRY_AFTER, delay=SLOW_DELAY
    )
    ct.revoke_tokens_after(60, 150)
    output = tmp_path / "products.jsonl"

    dag_run = run(run_dag, "reliability_export_dag", output_path=output, error_file=tmp_path / "error.json")
    ct.clear_faults()

    assert dag_run.state == "success", (tmp_path / "error.json").read_text()
    exported = [entity["id"] for entity in lines(output)]
    assert len(exported) == len(set(exported)), "an entity was exported twice"
    assert set(exported) == set(ids), "the export is not the server's collection"
    assert exported == sorted(ids)
    assert xcom_result(dag_run, "export_products") == {"path": str(output), "count": EXPORT_TOTAL, "pages": 201}

    figures = fault_figures(ct)
    assert figures.kinds() == {*FAULT_KINDS, REVOKED}, figures.injected
    assert figures.count(figures.injected, REVOKED) == ct.revocations == 2
    # Every faulted read was sent again, and nothing else was: no page was skipped or read twice.
    assert figures.resent == figures.injected
    assert figures.token_grants == 1 + ct.revocations
    pages = [r for r in ct.requests if r.path == f"/{PK}/products" and r.status == 200 and r.fault is None]
    assert len(pages) == 201
    print_figures(
        "export of 20,000 entities",
        figures,
        {"exported": len(exported), "server": len(ids), "lost": 0, "duplicates": 0, "state": dag_run.state},
    )


def test_a_publish_of_2000_items_through_faults_creates_each_once_or_reports_it(faulty_connection, run_dag, tmp_path):
    ct: FaultyCommercetools = faulty_connection
    items = tmp_path / "items.jsonl"
    with write_json_lines("items", str(items)) as writer:
        for i in range(PUBLISH_TOTAL):
            draft: dict[str, Any] = {"ref": f"item-{i}", "name": {"en": f"Item {i}"}}
            if i % KEYLESS_EVERY:
                draft["key"] = f"item-{i}"
            writer.write(draft)
    ct.set_random_faults(
        0.1, FAULT_KINDS, seed=11, path_prefix=f"/{PK}/products", retry_after=RETRY_AFTER, delay=SLOW_DELAY
    )
    ct.revoke_tokens_after(700, 1800)
    output, error_file = tmp_path / "results.jsonl", tmp_path / "error.json"

    dag_run = run(run_dag, "reliability_publish_dag", items_file=items, output_path=output, error_file=error_file)
    ct.clear_faults()

    results, failures = lines(output), lines(tmp_path / "results.failures.jsonl")
    assert sorted(r["index"] for r in results) == list(range(PUBLISH_TOTAL)), "an item has no result, or two"
    on_server = Counter(entity["ref"] for entity in ct.entities("products"))
    assert max(on_server.values()) == 1, "an item was created twice"
    assert set(on_server) <= {f"item-{i}" for i in range(PUBLISH_TOTAL)}
    failed = {r["index"]: r for r in results if r["status"] == "failed"}
    assert {r["status"] for r in results} <= {"succeeded", "failed"}
    for record in results:
        ref = f"item-{record['index']}"
        if record["status"] == "succeeded":
            assert on_server[ref] == 1, f"{ref} succeeded but is not on the server"
            assert record["response"]["id"]
        else:
            assert record["error"]["type"] and record["error"]["message"], record
            assert on_server[ref] <= 1
    assert {f["index"]: f["item"]["ref"] for f in failures} == {i: f"item-{i}" for i in failed}
    assert all(f["error"] == failed[f["index"]]["error"] for f in failures)
    keyless_failed = [r for i, r in failed.items() if i % KEYLESS_EVERY == 0]
    assert keyless_failed, "no keyless create lost its response: the seed no longer tests 'outcome unknown'"
    for record in keyless_failed:
        assert record["error"]["type"] == "OutcomeUnknownError"
        assert "may or may not have been applied" in record["error"]["message"]
        assert "give drafts a 'key'" in record["error"]["message"]
    recovered = [r for r in results if r.get("recovered")]
    resent = [r for r in results if "so it was sent again" in r.get("note", "")]
    assert recovered and resent, "no lost create was recovered by its key, or re-sent after the look-up"
    assert all(on_server[f"item-{r['index']}"] == 1 for r in recovered + resent)

    # The failed items fail the task, which names each one and the file to send them again from.
    assert dag_run.state == "failed"
    error = task_error(error_file)
    assert error["type"] == "PublishPartlyAppliedError"
    done = f"{PUBLISH_TOTAL} items: {PUBLISH_TOTAL - len(failed)} succeeded, {len(failed)} failed"
    assert f"commercetools publishing failed: {done}" in error["message"]
    assert f"To send the failed items again, run with items='{tmp_path}/results.failures.jsonl'" in error["message"]
    assert all(f"items[{i}]: " in error["message"] for i in sorted(failed)[:20])

    figures = fault_figures(ct)
    assert figures.kinds() == {*FAULT_KINDS, REVOKED}, figures.injected
    # Look-ups (GET) are sent again after any fault; creates (POST) only when they certainly were not
    # applied (429, 401), never after a fault that may have applied them.
    for kind in (*FAULT_KINDS, REVOKED):
        assert figures.count(figures.resent, kind, "GET") == figures.count(figures.injected, kind, "GET"), kind
        created_again = figures.count(figures.resent, kind, "POST")
        assert created_again == (figures.count(figures.injected, kind, "POST") if kind in ("429", REVOKED) else 0)
    applied_unknown = sum(on_server[f"item-{r['index']}"] for r in keyless_failed)
    print_figures(
        "publish of 2,000 items",
        figures,
        {
            "items": PUBLISH_TOTAL,
            "created": len(on_server),
            "succeeded": PUBLISH_TOTAL - len(failed),
            "recovered_by_key": len(recovered),
            "resent_after_lookup": len(resent),
            "failed": len(failed),
            "failed_keyless_outcome_unknown": len(keyless_failed),
            "of_which_applied": applied_unknown,
            "failed_with_key": len(failed) - len(keyless_failed),
            "lost": 0,
            "duplicates": 0,
            "state": dag_run.state,
        },
    )


# -- beyond the retry budget -------------------------------------------------------------------------


@pytest.fixture
def small_budget(faulty_server, monkeypatch) -> FaultyCommercetools:
    monkeypatch.setenv(CONN_ENV, connection_json(faulty_server, **SMALL_BUDGET))
    return faulty_server


def test_an_export_beyond_the_retry_budget_says_how_to_resume_and_a_rerun_completes_it(small_budget, run_dag, tmp_path):
    ct = small_budget
    ids = sorted(ct.add_many("products", ({"key": f"p{i}"} for i in range(3_000))))
    ct.outage_after(12, "503", times=SMALL_BUDGET["retry_max_attempts"], method="GET")
    first, error_file = tmp_path / "products.jsonl", tmp_path / "error.json"

    dag_run = run(run_dag, "reliability_export_dag", output_path=first, error_file=error_file)

    assert dag_run.state == "failed"
    error = task_error(error_file)
    assert error["type"] == "RetriesExhaustedError"
    message = error["message"]
    assert "GET /test-project/products -> HTTP 503 OverCapacity: gave up after 4 attempts" in message
    # What was done is what the message says: the file beside output_path holds the first 1,200 entities,
    # output_path itself was not touched (issue 24: outputs stay whole).
    (partial,) = tmp_path.glob("products.jsonl.partial-*")
    assert f"Export incomplete: 1,200 products entities (12 pages) were written to '{partial}'" in message
    assert f"up to id '{ids[1199]}'; the entities after it were not read" in message
    assert "Run the task again to read everything" in message
    assert [e["id"] for e in lines(partial)] == ids[:1200]
    assert not first.exists()

    # Resume as the message says: its predicate, another file; both files are the collection.
    predicate = re.search(r"add the predicate '(id > \"[^\"]+\")' to query\['where'\]", message)
    assert predicate, message
    rest = tmp_path / "products-rest.jsonl"
    resumed = run(run_dag, "reliability_export_dag", output_path=rest, query={"where": predicate.group(1)})
    assert resumed.state == "success"
    assert [e["id"] for e in lines(partial) + lines(rest)] == ids

    # Or run it again: the whole collection, exactly once; the partial file of the failed run is removed.
    again = run(run_dag, "reliability_export_dag", output_path=first)
    assert again.state == "success"
    assert [e["id"] for e in lines(first)] == ids
    assert not list(tmp_path.glob("products.jsonl.partial-*"))


def test_a_publish_beyond_the_retry_budget_names_the_failures_file_and_a_rerun_completes_it(
    small_budget, run_dag, tmp_path
):
    ct = small_budget
    total = 400
    items = tmp_path / "items.jsonl"
    with write_json_lines("items", str(items)) as writer:
        writer.write_many([{"key": f"item-{i}", "name": {"en": f"Item {i}"}} for i in range(total)])
    # An outage: every request answers 503 for a while, longer than the retry budget of a look-up.
    ct.outage_after(100, "503", times=100)
    output, error_file = tmp_path / "results.jsonl", tmp_path / "error.json"
    failures_path = tmp_path / "results.failures.jsonl"

    dag_run = run(run_dag, "reliability_publish_dag", items_file=items, output_path=output, error_file=error_file)

    assert dag_run.state == "failed"
    failures = lines(failures_path)
    assert failures, "the outage failed no item: make it longer"
    succeeded = {r["index"] for r in lines(output) if r["status"] == "succeeded"}
    assert len(succeeded) + len(failures) == total
    assert sorted(e["key"] for e in ct.entities("products")) == sorted(f"item-{i}" for i in succeeded)
    error = task_error(error_file)
    assert error["type"] == "PublishPartlyAppliedError"
    message = error["message"]
    assert f"{total} items: {len(succeeded)} succeeded, {len(failures)} failed" in message  # done / not done
    assert f"To send the failed items again, run with items='{failures_path}'" in message  # how to resume
    assert "gave up after 4 attempts" in message
    for record in failures:
        assert f"items[{record['index']}]: OutcomeUnknownError: " in message or len(failures) > 20
        assert record["item"] == {"key": f"item-{record['index']}", "name": {"en": f"Item {record['index']}"}}

    # The outage is over: the re-run with the failures file (as the message says) completes the job.
    rerun = run(run_dag, "reliability_publish_dag", items_file=failures_path, output_path=output, error_file=error_file)

    assert rerun.state == "success"
    summary = xcom_result(rerun, "publish_products")
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (len(failures), len(failures), 0)
    keys = Counter(e["key"] for e in ct.entities("products"))
    assert keys == Counter(f"item-{i}" for i in range(total)), "not every item exactly once"
    assert lines(failures_path) == []
