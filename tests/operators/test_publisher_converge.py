"""Re-running a failures file converges: a keyed create answered DuplicateField whose resource equals the draft
counts as applied; one that differs fails naming its key and the differing fields (issue 24)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator
from tests.airflow_runner import xcom_result

DRAFTS = [
    {"key": f"c{i}", "name": {"en": f"Category {i}", "de": f"Kategorie {i}"}, "slug": {"en": f"c-{i}"}}
    for i in range(6)
]


def failures_file(path: Path, drafts: list[dict[str, Any]]) -> None:
    """The failures file an earlier run wrote when its creates were applied but their answers lost (a 502 after
    the write, retried and then refused as DuplicateField): each draft recorded failed with its item."""
    with path.open("w") as out:
        for index, draft in enumerate(drafts):
            record = {
                "index": index,
                "status": "failed",
                "request": "POST categories",
                "error": {"type": "BadRequestError", "status": 400, "codes": ["DuplicateField"], "message": "dup"},
                "item": draft,
            }
            out.write(json.dumps(record) + "\n")


def test_rerunning_a_failures_file_whose_creates_were_applied_converges(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ct.add_many("categories", [{**d, "name": {"de": d["name"]["de"], "en": d["name"]["en"]}} for d in DRAFTS[:4]])
    items, output = tmp_path / "failures.jsonl", tmp_path / "again.jsonl"
    failures_file(items, DRAFTS)

    dag_run = run_dag("publisher_converge_dag", run_conf={"items_file": str(items), "output_path": str(output)})

    assert dag_run.state == "success"
    summary = xcom_result(dag_run, "publish_again")
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (6, 6, 0)
    records = {r["index"]: r for r in read_json_lines("path", str(output))}
    assert all(records[i]["note"].startswith("already_applied") for i in range(4))
    assert all("note" not in records[i] for i in (4, 5))  # created now
    assert sorted(e["key"] for e in ct.entities("categories")) == [d["key"] for d in DRAFTS]  # none twice


def test_a_resource_that_differs_from_its_draft_is_named_with_its_differences(
    commercetools_connection, run_dag, tmp_path
):
    ct = commercetools_connection
    changed = {**DRAFTS[1], "name": {"en": "Category 1", "de": "Anders"}, "slug": {"en": "other"}}
    ct.add_many("categories", [DRAFTS[0], changed])
    items, output = tmp_path / "failures.jsonl", tmp_path / "again.jsonl"
    failures_file(items, DRAFTS[:2])

    dag_run = run_dag("publisher_converge_dag", run_conf={"items_file": str(items), "output_path": str(output)})

    assert dag_run.state == "failed"
    (failure,) = read_json_lines("path", str(tmp_path / "again.failures.jsonl"))
    assert failure["index"] == 1 and failure["error"]["codes"] == ["DuplicateField"]
    message = failure["error"]["message"]
    assert "A resource with key 'c1' exists already" in message, message
    assert "differs from the draft in: name.de, slug.en" in message, message
    assert [e["slug"]["en"] for e in ct.entities("categories")] == ["c-0", "other"]  # nothing overwritten


def test_keyless_creates_of_unknown_outcome_are_resent_only_when_resend_unknown_renders_true(
    commercetools_connection, run_dag, tmp_path
):
    """``resend_unknown`` is templated: rendered from a param (the text "True" or "False")."""
    ct = commercetools_connection
    items, output = tmp_path / "failures.jsonl", tmp_path / "again.jsonl"
    record = {
        "index": 0,
        "status": "outcome_unknown",
        "request": "POST categories",
        "error": {"type": "OutcomeUnknownError", "status": None, "codes": [], "message": "outcome unknown"},
        "item": {"name": {"en": "no key"}, "slug": {"en": "no-key"}},
    }
    items.write_text(json.dumps(record) + "\n")
    conf = {"items_file": str(items), "output_path": str(output)}

    held = run_dag("publisher_converge_dag", run_conf={**conf, "resend_unknown": False})
    assert held.state == "failed" and ct.entities("categories") == []
    assert xcom_result(held, "publish_again") is None  # failed: the record says why
    (kept,) = read_json_lines("path", str(tmp_path / "again.failures.jsonl"))
    assert kept["status"] == "outcome_unknown" and "resend_unknown=True" in kept["note"]

    sent = run_dag("publisher_converge_dag", run_conf={**conf, "resend_unknown": True})
    assert sent.state == "success" and [c["slug"]["en"] for c in ct.entities("categories")] == ["no-key"]


def test_resend_unknown_that_is_not_a_flag_is_refused_when_the_dag_is_parsed():
    with pytest.raises(ConfigurationError, match=r"^resend_unknown: 'yes' is not True or False"):
        CommercetoolsPublisherOperator(task_id="p", entity="categories", resend_unknown="yes")


def test_a_reference_by_key_is_resolved_by_reading_the_referenced_resource(commercetools_connection, tmp_path):
    """The draft names its parent by key, commercetools returns it by id: the parent is looked up (once, by the
    sync's reference cache: ``where=id in (...)``) for its key."""
    ct = commercetools_connection
    women, men = ct.add_many("categories", [{"key": "women", "name": {"en": "W"}}, {"key": "men", "name": {"en": "M"}}])
    ct.add_many(
        "categories",
        [{"key": f"dresses{i}", "name": {"en": "D"}, "parent": {"typeId": "category", "id": women}} for i in range(3)]
        + [{"key": "suits", "name": {"en": "S"}, "parent": {"typeId": "category", "id": men}}],
    )
    drafts = [
        {"key": f"dresses{i}", "name": {"en": "D"}, "parent": {"typeId": "category", "key": "women"}} for i in range(3)
    ] + [{"key": "suits", "name": {"en": "S"}, "parent": {"typeId": "category", "key": "women"}}]
    ct.reset_log()
    with pytest.raises(
        Exception, match=r"key 'suits' exists already and differs from the draft in: parent\."
    ) as failed:
        CommercetoolsPublisherOperator(
            task_id="p", entity="categories", items=drafts, on_error="continue", output_path=str(tmp_path / "r.jsonl")
        ).execute({})  # type: ignore[arg-type]
    summary = failed.value.summary  # type: ignore[attr-defined]
    assert (summary["succeeded"], summary["failed"]) == (3, 1)
    lookups = [
        r.query["where"][0]
        for r in ct.requests
        if r.method == "GET" and r.path == f"/{ct.project_key}/categories" and "where" in r.query
    ]
    assert sorted(lookups) == sorted([f'id in ("{women}")', f'id in ("{men}")']), lookups
