"""A lost worker: the import task process is SIGKILLed after its import requests were sent, then retried.

The retry (same items, same ``output_path``) must send none of the import requests again: it finds the
operation ids the first try created in its journal (here the file beside ``output_path``: the fallback
below Airflow 3.3; Airflow 3.3+ keeps them in the task state store) and reports every resource from
them. Waits are bounded; nothing asserts on time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.operators.imports import CommercetoolsImportOperator

REPO = Path(__file__).parents[2]
PK = "test-project"
ITEMS = 2_000


def category(i: int) -> dict:
    return {"key": f"category-{i}", "name": {"en": f"Category {i}"}, "slug": {"en": f"category-{i}"}}


def test_a_retry_after_a_killed_worker_reconnects_to_its_operations_and_sends_nothing_again(
    commercetools_import_api, tmp_path: Path
):
    imports = commercetools_import_api
    ct = imports.fake
    imports.processing_delay = 3600.0  # nothing is processed while the first try waits: it is killed waiting
    items = tmp_path / "categories.jsonl"
    with write_json_lines("items", str(items)) as writer:
        writer.write_many([category(i) for i in range(ITEMS)])
    output = tmp_path / "results.jsonl"
    journal = Path(str(output) + ".state.json")
    arguments = {"items_file": str(items), "output_path": str(output), "container": "killed"}
    posts = f"/{PK}/categories/import-containers/killed"

    with (tmp_path / "task.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.operators.import_process", json.dumps(arguments)],
            cwd=REPO,
            env=os.environ.copy(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while not (journal.exists() and len(json.loads(journal.read_text())["ops"]) == ITEMS):
                assert process.poll() is None, (tmp_path / "task.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "gave up waiting for the first try to send everything"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)  # a lost worker: no handler, no clean-up
            process.wait(timeout=30)
    assert ct.count_requests("POST", posts) == ITEMS // 20
    first_try = {o["id"] for o in imports.operations("killed")}
    assert len(first_try) == ITEMS and not output.exists()  # killed before any result was written

    imports.processing_delay = 0.05
    ct.reset_log()
    retry = CommercetoolsImportOperator(
        task_id="import_categories",
        resource_type="category",
        items=str(items),
        container_key="killed",
        output_path=str(output),
        poll_interval=0.05,
        max_workers=4,
    )
    summary = retry.execute({})

    assert ct.count_requests("POST", posts) == 0  # nothing sent again
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (ITEMS, ITEMS, 0)
    records = list(read_json_lines("r", str(output)))
    assert {r["operation_id"] for r in records} == first_try and len(imports.operations("killed")) == ITEMS
    assert {r["status"] for r in records} == {"succeeded"}
    assert not journal.exists()  # done: the next run sends afresh
    assert sorted(c["key"] for c in ct.entities("categories")) == sorted(f"category-{i}" for i in range(ITEMS))
