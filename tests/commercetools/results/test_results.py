"""The results model that the publisher and the Import API share: records, report, errors and files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.imports.records import ImportReport, apply_operation
from airflow_provider_commercetools.commercetools.imports.resources import PROCESSING_STATES
from airflow_provider_commercetools.commercetools.results import (
    FAILED,
    IMPORTING,
    NOT_SENT,
    PENDING,
    PUBLISHING,
    SKIPPED,
    SUCCEEDED,
    BatchFailedError,
    ImportFailedError,
    ItemResult,
    PublishFailedError,
    PublishReport,
    ResultFiles,
)

IMPORT_REQUEST = "POST products/import-containers/c"


def test_a_publisher_record_keeps_its_fields_in_their_order():
    result = ItemResult(
        3, FAILED, "POST products", error={"type": "BadRequestError"}, item={"key": "a"}, conflict_retries=2, note="n"
    )
    record = result.to_record()
    assert list(record) == ["index", "status", "request", "error", "conflict_retries", "note", "item"]
    assert PUBLISHING.is_record(record) and not IMPORTING.is_record({**record, "response": {"id": "x"}})


def test_an_import_record_keeps_the_fields_and_order_it_had_before_the_shared_model():
    result = ItemResult(0, PENDING, IMPORT_REQUEST, key="k", item={"key": "k"}, operation_id="op-1")
    apply_operation(
        result,
        {"id": "op-1", "state": "validationFailed", "resourceVersion": 4, "errors": [{"code": "X", "message": "no"}]},
        "finished",
    )
    record = result.to_record()
    assert list(record) == [
        "index",
        "status",
        "request",
        "key",
        "state",
        "operation_id",
        "resource_version",
        "error",
        "errors",
        "item",
    ]
    assert record["status"] == FAILED
    assert record["error"] == {"type": "validationFailed", "codes": ["X"], "message": "no"}
    assert IMPORTING.is_record(record)
    # the publisher does not take an import record for one of its own: it has fields the publisher never writes
    assert not PUBLISHING.is_record(record)


def test_pending_is_a_status_of_the_import_api_only():
    pending = {"index": 0, "status": PENDING, "request": IMPORT_REQUEST, "item": {"key": "k"}}
    assert IMPORTING.is_record(pending) and not PUBLISHING.is_record(pending)
    assert PENDING not in PublishReport().counts
    assert ItemResult(0, PENDING, IMPORT_REQUEST, item={"key": "k"}).to_record()["item"] == {"key": "k"}


def test_the_import_report_counts_every_processing_state_and_names_keys():
    report = ImportReport(started=0.0)
    report.add(ItemResult(0, SUCCEEDED, IMPORT_REQUEST, key="a", state="imported"))
    report.add(ItemResult(1, FAILED, IMPORT_REQUEST, key="b", state="rejected", error={"type": "rejected"}))
    report.add(ItemResult(2, PENDING, IMPORT_REQUEST, key="c", state="processing", item={"key": "c"}))
    summary = report.counts_summary()
    assert summary["states"] == {**dict.fromkeys(PROCESSING_STATES, 0), "imported": 1, "rejected": 1, "processing": 1}
    assert {k: summary[k] for k in ("total", SUCCEEDED, FAILED, PENDING, NOT_SENT, SKIPPED)} == {
        "total": 3,
        SUCCEEDED: 1,
        FAILED: 1,
        PENDING: 1,
        NOT_SENT: 0,
        SKIPPED: 0,
    }
    assert "recovered" not in summary and "results" not in report.summary(None, None, with_results=False)
    assert [f["index"] for f in report.failures] == [1, 2] and report.unfinished == 2
    message = report.failure_message(where="see the file")
    assert message.startswith("commercetools import failed: 3 resources: 1 imported, 1 failed, 1 pending")
    assert "items[1] (key 'b'): rejected: " in message and message.endswith("see the file")


def test_a_pending_record_is_no_failure_when_the_import_was_not_waited_for():
    report = ImportReport(pending_is_failure=False)
    report.add(ItemResult(0, PENDING, IMPORT_REQUEST, key="c", item={"key": "c"}))
    assert report.failures == [] and report.unfinished == 0 and not report.fails_task("fail")


def test_one_error_hierarchy_with_the_summary():
    for error_type in (PublishFailedError, ImportFailedError):
        error = error_type("failed", {"total": 1})
        assert isinstance(error, BatchFailedError) and error.summary == {"total": 1}


def test_the_import_api_writes_its_files_through_the_shared_writer(tmp_path: Path):
    output = tmp_path / "results.jsonl"
    leftover = tmp_path / "results.jsonl.partial-earlier"
    leftover.write_text("")
    report = ImportReport(pending_is_failure=False)
    records = [
        ItemResult(0, SUCCEEDED, IMPORT_REQUEST, key="a", state="imported"),
        ItemResult(1, FAILED, IMPORT_REQUEST, key="b", error={"type": "rejected"}, item={"key": "b"}),
        ItemResult(2, PENDING, IMPORT_REQUEST, key="c", item={"key": "c"}),
    ]
    files = ResultFiles(str(output), is_failure=report.is_failure, resumable=False)
    files.write_all(records)
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    failures = [json.loads(line) for line in (tmp_path / "results.failures.jsonl").read_text().splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2] and [line["index"] for line in failures] == [1]
    # no journal (the publisher's is its own), and an earlier attempt's leftovers are not the Import API's to remove
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "results.failures.jsonl",
        "results.jsonl",
        "results.jsonl.partial-earlier",
    ]


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path):
    class Unwritable(ItemResult):
        def to_record(self, *, with_item: bool = True) -> dict:
            raise OSError("disk full")

    files = ResultFiles(str(tmp_path / "results.jsonl"), resumable=False)
    with pytest.raises(OSError, match="disk full"):
        files.write_all([ItemResult(0, SUCCEEDED, "POST x"), Unwritable(1, SUCCEEDED, "POST x")])
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_location_found_after_sending_does_not_say_nothing_was_sent(tmp_path: Path):
    (tmp_path / "a-dir").mkdir()
    with pytest.raises(ConfigurationError, match="it is a directory") as raised:
        ResultFiles(str(tmp_path / "a-dir"), resumable=False).write_all([])
    assert "nothing was sent" not in str(raised.value)
    with pytest.raises(ConfigurationError, match="nothing was sent"):
        ResultFiles(str(tmp_path / "a-dir")).open()


def test_the_results_model_imports_neither_writing_nor_imports():
    code = (
        "import sys; import airflow_provider_commercetools.commercetools.results; "
        "print(sorted(m for m in sys.modules if m.startswith('airflow_provider_commercetools.commercetools.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert ".results.files" in loaded
    assert ".writing" not in loaded and ".imports" not in loaded
