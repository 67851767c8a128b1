"""A publisher task process killed mid-batch (SIGTERM as Airflow sends it, or SIGKILL), then run again.

The task runs in its own process (``tests/operators/publisher_process.py``) against the fake server
of this test; it is killed once a quarter of its 800 drafts exist on the server. The re-run (as
Airflow's retry: same items, same output_path) must leave exactly the drafts on the server, and the
records must say what happened. Waits are bounded; nothing asserts on time.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.files import read_json_lines, write_json_lines
from airflow_provider_commercetools.commercetools.writing import PublishFailedError
from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from tests.airflow_runner import xcom_result

REPO = Path(__file__).parents[2]
CONN_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
DRAFTS = 800
WORKERS = 4
KILL_AFTER = 200  # entities on the server
UNKNOWN = "OutcomeUnknownError"


@pytest.fixture
def slow_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCommercetools]:
    """Every answer takes 10 ms, so 800 creates from 4 workers take seconds: long enough to be killed."""
    server = FakeCommercetools(latency=0.01).start()
    monkeypatch.setenv(CONN_ENV, connection_json(server))
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def write_drafts(path: Path, *, keys: bool) -> list[dict[str, Any]]:
    drafts = [
        {"ref": f"d{i:03d}", "name": {"en": f"Draft {i}"}} | ({"key": f"d{i:03d}"} if keys else {})
        for i in range(DRAFTS)
    ]
    with write_json_lines("items", str(path)) as writer:
        writer.write_many(drafts)
    return drafts


def kill_mid_batch(
    server: FakeCommercetools, tmp_path: Path, items: Path, output: Path, signals: str
) -> dict[str, Any]:
    """Start the task process, kill it once KILL_AFTER entities exist, and return its outcome."""
    arguments = {"items_file": str(items), "output_path": str(output), "max_workers": WORKERS, "signals": signals}
    log = tmp_path / f"task-{signals}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.operators.publisher_process", json.dumps(arguments)],
            cwd=REPO,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: len(server.entities("products")) >= KILL_AFTER or process.poll() is not None, "creates")
            assert process.poll() is None, f"the task ended before it was killed:\n{log.read_text()[-3000:]}"
            process.send_signal(signal.SIGKILL if signals == "none" else signal.SIGTERM)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGUSR1)  # the threads' stacks go to the log
                time.sleep(1)
                process.kill()
                process.wait(timeout=30)
    text = log.read_text()
    outcome = json.loads(text.strip().splitlines()[-1]) if signals != "none" else {"killed": process.returncode}
    assert len(server.entities("products")) < DRAFTS, "the batch finished before the kill: nothing was tested"
    return {"outcome": outcome, "log": text}


def leftovers(output: Path) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """The records and the journal ("sent" lines: the items announced) that the killed attempt left beside
    output_path (its results file; the records in the journal's objects are copies of some of them)."""
    records: dict[int, dict[str, Any]] = {}
    sent: set[int] = set()
    for path in sorted(output.parent.glob(output.name + ".partial-*")):
        for line in read_json_lines("path", str(path)):
            assert line["index"] not in records, f"two records for items[{line['index']}]"
            records[line["index"]] = line
    for path in sorted((output.parent / (output.name + ".journal")).glob("*.jsonl")):
        for line in read_json_lines("path", str(path)):
            if "sent" in line:
                sent.add(line["index"])
            else:
                assert records.get(line["index"], line) == line, "the journal's copy differs from the record"
                records.setdefault(line["index"], line)
    return records, sent


@pytest.mark.parametrize("signals", ["airflow3", "airflow2", "none"], ids=["sigterm-af3", "sigterm-af2", "sigkill"])
def test_a_killed_batch_of_keyed_creates_rerun_leaves_exactly_the_drafts(slow_server, tmp_path, signals):
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "out" / "results.jsonl"
    drafts = write_drafts(items, keys=True)

    killed = kill_mid_batch(ct, tmp_path, items, output, signals)
    if signals == "airflow3":  # on_kill stops the batch; execute ends with the resumable error
        assert killed["outcome"]["error"] == "PublishStoppedError", killed["log"][-3000:]
        assert "run the task again with the same items and output_path" in killed["outcome"]["message"]
    elif signals == "airflow2":
        assert killed["outcome"]["error"] == "AirflowTaskTerminated", killed["log"][-3000:]
    assert not output.exists()  # a killed run never leaves a file that looks complete

    # What was in flight is recorded, not missing: every entity on the server has a record that it
    # succeeded, or that its outcome is unknown, or (SIGKILL: no time to write) a journal line.
    on_server = {e["ref"]: e for e in ct.entities("products")}
    records, sent = leftovers(output)
    for ref in on_server:
        index = int(ref[1:])
        record = records.get(index)
        if record is None:
            assert signals == "none" and index in sent, f"items[{index}] was applied but has no record"
        else:
            assert record["status"] == "succeeded" or record["error"]["type"] == UNKNOWN, record
    for index, record in records.items():
        if record["status"] == "succeeded":
            assert f"d{index:03d}" in on_server
    assert sent >= {index for index, r in records.items() if r["status"] == "succeeded"}
    applied_before = len(on_server)
    ct.reset_log()

    # The re-run, as Airflow's retry: same items, same output_path.
    summary = CommercetoolsPublisherOperator(
        task_id="publish", entity="products", items=str(items), output_path=str(output), max_workers=WORKERS
    ).execute({})

    assert sorted(e["key"] for e in ct.entities("products")) == [d["key"] for d in drafts]  # each exactly once
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (DRAFTS, DRAFTS, 0)
    assert ct.count_requests("POST", f"/{ct.project_key}/products") == DRAFTS - applied_before  # only the rest
    results = list(read_json_lines("path", str(output)))
    assert sorted(r["index"] for r in results) == list(range(DRAFTS))
    assert {r["status"] for r in results} == {"succeeded"}
    assert {r["index"]: r["response"]["key"] for r in results} == {i: d["key"] for i, d in enumerate(drafts)}
    earlier = [r for r in results if "earlier attempt" in r.get("note", "")]
    assert len(earlier) >= len([r for r in records.values() if r["status"] == "succeeded"])
    assert list(read_json_lines("path", str(output.parent / "results.failures.jsonl"))) == []
    assert not list(output.parent.glob("*.partial-*")) and not list(output.parent.glob("*.journal"))


def test_a_killed_batch_of_keyless_creates_is_not_doubled_by_the_rerun(slow_server, tmp_path):
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "results.jsonl"
    write_drafts(items, keys=False)
    kill_mid_batch(ct, tmp_path, items, output, "airflow2")
    records, sent = leftovers(output)
    unknown = {i for i, r in records.items() if r["status"] == "failed" and r["error"]["type"] == UNKNOWN}
    # announced, and not recorded as succeeded or as not sent (a chunk is announced before its first send)
    in_flight = {i for i in sent if i not in records or records[i]["status"] == "failed"} | unknown

    with pytest.raises(PublishFailedError) as failed:
        CommercetoolsPublisherOperator(
            task_id="publish",
            entity="products",
            items=str(items),
            output_path=str(output),
            max_workers=WORKERS,
            on_error="continue",
        ).execute({})

    on_server = Counter(e["ref"] for e in ct.entities("products"))
    assert max(on_server.values()) == 1, "a draft was created twice"
    failures = list(read_json_lines("path", str(output.parent / "results.failures.jsonl")))
    # Nothing identifies a keyless draft that was in flight: it is reported, not sent again.
    assert {f["index"] for f in failures} == in_flight
    assert all(f["status"] == "outcome_unknown" and "resend_unknown=True" in f["note"] for f in failures)
    assert all(f["error"]["type"] == UNKNOWN for f in failures)
    assert set(on_server) | {f"d{i:03d}" for i in in_flight} == {f"d{i:03d}" for i in range(DRAFTS)}
    assert failed.value.summary["succeeded"] == DRAFTS - len(in_flight)


def test_a_rerun_with_other_items_is_refused_before_any_request(slow_server, tmp_path):
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "results.jsonl"
    drafts = write_drafts(items, keys=True)
    kill_mid_batch(ct, tmp_path, items, output, "airflow3")
    ct.reset_log()
    other = [{**d, "name": {"en": "changed"}} for d in drafts]
    with pytest.raises(
        Exception, match=r"items: items\[\d+\] is not the item that an interrupted earlier attempt sent"
    ):
        CommercetoolsPublisherOperator(
            task_id="publish", entity="products", items=other, output_path=str(output)
        ).execute({})
    assert ct.requests == []


def test_a_dag_task_stopped_by_its_execution_timeout_is_resumed_by_the_next_run(slow_server, run_dag, tmp_path):
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "results.jsonl"
    drafts = write_drafts(items, keys=True)

    conf = {"items_file": str(items), "output_path": str(output)}
    try:
        dag_run = run_dag("publisher_timeout_dag", run_conf=conf)
    except BaseException as error:  # Airflow 2.11's dag.test() lets AirflowTaskTimeout (a BaseException) out
        if type(error).__name__ != "AirflowTaskTimeout":
            raise
        dag_run = None
    if dag_run is not None:
        states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
        assert states == {"publish": "failed", "publish_again": "success"}, states
        resumed = xcom_result(dag_run, "publish_again")
    else:  # the retry, as Airflow would run it: the same task again
        assert not output.exists() and list(tmp_path.glob("*.partial-*"))
        resumed = CommercetoolsPublisherOperator(
            task_id="publish", entity="products", items=str(items), output_path=str(output), max_workers=WORKERS
        ).execute({})
    assert sorted(e["key"] for e in ct.entities("products")) == [d["key"] for d in drafts]
    assert (resumed["total"], resumed["succeeded"], resumed["failed"]) == (DRAFTS, DRAFTS, 0)
    results = list(read_json_lines("path", str(output)))
    assert sorted(r["index"] for r in results) == list(range(DRAFTS))
    earlier = [r for r in results if "earlier attempt" in r.get("note", "")]
    assert 0 < len(earlier) < DRAFTS  # the first task had applied some, not all
    assert not list(tmp_path.glob("*.partial-*"))


@pytest.mark.parametrize("items_given", ["other", "same"])
def test_records_without_their_journal_are_not_carried_over(slow_server, tmp_path, items_given):
    """With the journal removed, nothing ties the records to items: a re-run (other items, or the same) is
    refused before any request instead of reporting items ``succeeded`` that were never sent."""
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "results.jsonl"
    drafts = write_drafts(items, keys=False)
    kill_mid_batch(ct, tmp_path, items, output, "airflow3")
    journal = tmp_path / "results.jsonl.journal"
    assert list(journal.glob("*.jsonl")) and any(r["status"] == "succeeded" for r in leftovers(output)[0].values())
    shutil.rmtree(journal)
    ct.reset_log()
    given = [{**d, "ref": "x" + d["ref"]} for d in drafts] if items_given == "other" else str(items)
    with pytest.raises(Exception, match=r"items: an interrupted earlier attempt recorded items\[\d+\] as succeeded"):
        operator = CommercetoolsPublisherOperator(
            task_id="publish", entity="products", items=given, output_path=str(output)
        )
        operator.execute({})
    assert ct.requests == []
    assert not output.exists()


def test_a_sigkilled_batch_resumes_from_its_journal_alone(slow_server, tmp_path):
    """As on object storage (where a killed attempt's results files, uploaded only on close, never arrive):
    the partial results files are removed and the retry has only the journal's objects. No keyless draft is
    created twice; those the journal announced without a record are reported outcome_unknown."""
    ct = slow_server
    items, output = tmp_path / "drafts.jsonl", tmp_path / "results.jsonl"
    write_drafts(items, keys=False)
    kill_mid_batch(ct, tmp_path, items, output, "none")
    for partial in tmp_path.glob("results.jsonl.partial-*"):
        partial.unlink()
    records, announced = leftovers(output)  # now: the records the journal's objects carry
    assert announced, "the killed attempt announced nothing"
    maybe = {i for i in announced if i not in records or records[i]["status"] != "succeeded"}

    with pytest.raises(PublishFailedError) as failed:
        CommercetoolsPublisherOperator(
            task_id="publish", entity="products", items=str(items), output_path=str(output), max_workers=WORKERS
        ).execute({})

    on_server = Counter(e["ref"] for e in ct.entities("products"))
    assert max(on_server.values()) == 1, "a draft was created twice"
    failures = list(read_json_lines("path", str(output.parent / "results.failures.jsonl")))
    assert {f["index"] for f in failures} == maybe - {
        i for i in maybe if records.get(i, {}).get("status") == "not_sent"
    }
    assert {f["status"] for f in failures} == {"outcome_unknown"}
    assert set(on_server) | {f"d{f['index']:03d}" for f in failures} == {f"d{i:03d}" for i in range(DRAFTS)}
    assert failed.value.summary["outcome_unknown"] == len(failures)
