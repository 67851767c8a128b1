"""The sync operator in real DAG runs against the fake: apply and read back, a second run sends nothing, dry run,
prune with its guard, forward references, missing references, and a 409 between a plan and its apply."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import write_json_lines
from airflow_provider_commercetools.commercetools.transport.client import CommercetoolsClient
from airflow_provider_commercetools.commercetools.writing.sync.run import SyncFailedError, SyncRun, SyncSettings
from airflow_provider_commercetools.commercetools.writing.sync.types import sync_type
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSyncOperator
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.airflow_runner import xcom_result
from tests.commercetools.clients import config_for


def category(key: str, name: str | None = None, parent: str | None = None) -> dict[str, Any]:
    draft: dict[str, Any] = {"key": key, "name": {"en": name or key.title()}, "slug": {"en": key}}
    if parent is not None:
        draft["parent"] = {"typeId": "category", "key": parent}
    return draft


def feed(tmp_path: Path, drafts: list[Any], name: str = "drafts.jsonl") -> str:
    path = tmp_path / name
    with write_json_lines("drafts", str(path)) as writer:
        writer.write_many(drafts)
    return str(path)


def lines(path: Path | str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def api_writes(ct: FakeCommercetools) -> list[tuple[str, str]]:
    """The write requests to the project's API (the token's POST is not one), in the order received."""
    return [
        (r.method, r.path)
        for r in ct.requests
        if r.method in ("POST", "DELETE") and r.path.startswith(f"/{ct.project_key}/")
    ]


def by_key(ct: FakeCommercetools) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in ct.entities("categories") if "key" in c}


def parent_key(ct: FakeCommercetools, entity: dict[str, Any]) -> str | None:
    """The key of a category's parent, whether commercetools stored the reference by id or as given."""
    parent = entity.get("parent")
    if parent is None:
        return None
    if "key" in parent:
        return parent["key"]
    return next(c["key"] for c in ct.entities("categories") if c["id"] == parent["id"])


def assert_target_equals(ct: FakeCommercetools, drafts: list[dict[str, Any]]) -> None:
    """Every draft's fields are what commercetools holds (the parent compared by key)."""
    stored = by_key(ct)
    for draft in drafts:
        entity = stored[draft["key"]]
        for name, value in draft.items():
            if name == "parent":
                assert parent_key(ct, entity) == value["key"], draft["key"]
            else:
                assert entity.get(name) == value, (draft["key"], name)


def test_apply_reads_back_equal_and_a_second_run_writes_nothing(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ct.add("categories", category("same"))
    ct.add("categories", category("changed", "Old name"))
    ct.add("categories", category("not-in-feed"))  # no prune: left alone
    drafts = [
        category("shirts", parent="clothes"),  # forward references: the parent comes later in the feed
        category("same"),
        category("changed", "New name"),
        category("t-shirts", parent="shirts"),
        category("clothes"),
        category("shoes", parent="same"),  # an existing parent
    ]
    conf = {"drafts": feed(tmp_path, drafts), "output_dir": str(tmp_path / "run1")}
    ct.reset_log()

    first = run_dag("sync_apply_dag", run_conf=conf)

    assert first.state == "success"
    summary = xcom_result(first, "sync")
    writes = api_writes(ct)
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "deleted", "failed", "missing_references")} == {
        "created": 4,
        "updated": 1,
        "unchanged": 1,
        "deleted": 0,
        "failed": 0,
        "missing_references": 0,
    }
    assert summary["actions"] == {"changeName": 1}
    assert summary["requests"]["write"] == len(writes) == 5
    # 6 drafts in batches of 3: two target reads, one look-up of the referenced keys (nothing read per draft)
    assert summary["requests"]["read"] == ct.count_requests("GET", f"/{ct.project_key}/") == 3
    assert summary["plan_path"] == str(tmp_path / "run1" / "plan.jsonl")
    assert summary["output_path"] == str(tmp_path / "run1" / "results.jsonl")
    assert_target_equals(ct, drafts)
    assert "not-in-feed" in by_key(ct)
    # parents first: each create that names a parent comes after the parent's create
    created = [json.loads(r.body)["key"] for r in ct.requests if r.method == "POST" and r.path.endswith("/categories")]
    assert created.index("clothes") < created.index("shirts") < created.index("t-shirts")
    records = lines(tmp_path / "run1" / "results.jsonl")
    assert sorted(r["index"] for r in records) == list(range(6))
    assert {r["key"]: r["status"] for r in records}["same"] == "skipped"
    assert (tmp_path / "run1" / "results.failures.jsonl").read_text() == ""

    ct.reset_log()
    second = run_dag("sync_apply_dag", run_conf={**conf, "output_dir": str(tmp_path / "run2")})

    assert second.state == "success"
    again = xcom_result(second, "sync")
    assert (again["created"], again["updated"], again["unchanged"], again["actions"]) == (0, 0, 6, {})
    assert again["requests"]["write"] == 0 and api_writes(ct) == []
    plan = lines(tmp_path / "run2" / "plan.jsonl")
    assert plan[0] == {"plan": {"resource_type": "categories", "match_by": "key", "sync_fields": None, "prune": False}}
    assert {line["op"] for line in plan[1:-1]} == {"unchanged"}


def test_a_dry_run_writes_the_plan_and_sends_no_write(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ct.add("categories", category("same"))
    ct.add("categories", category("changed", "Old name"))
    ct.add("categories", category("gone"))
    before = ct.entities("categories")
    drafts = [category("same"), category("changed", "New name"), category("new")]
    ct.reset_log()

    dag_run = run_dag(
        "sync_dry_run_dag", run_conf={"drafts": feed(tmp_path, drafts), "output_dir": str(tmp_path / "dry")}
    )

    assert dag_run.state == "success"
    assert api_writes(ct) == []  # no POST, no DELETE: from the fake's request log
    assert ct.entities("categories") == before
    summary = xcom_result(dag_run, "sync")
    assert summary == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "deleted": 1,
        "failed": 0,
        "missing_references": 0,
        "actions": {"changeName": 1},
        "requests": {"read": summary["requests"]["read"], "write": 0},
        "plan_path": str(tmp_path / "dry" / "plan.jsonl"),
        "output_path": None,
    }
    plan = {line.get("match", {}).get("key"): line for line in lines(tmp_path / "dry" / "plan.jsonl")[1:-1]}
    assert plan["new"]["op"] == "create" and plan["new"]["why"] == "new" and plan["new"]["draft"] == drafts[2]
    assert plan["changed"]["op"] == "update" and plan["changed"]["why"] == "changed fields: name.en"
    assert plan["changed"]["actions"] == [{"action": "changeName", "name": {"en": "New name"}}]
    assert plan["changed"]["version"] == by_key(ct)["changed"]["version"]
    assert plan["same"]["op"] == "unchanged"
    assert plan["gone"]["op"] == "delete" and plan["gone"]["why"] == "absent from feed"
    assert not (tmp_path / "dry" / "results.jsonl").exists()


def test_prune_refuses_over_max_deletes_and_never_deletes_a_resource_without_key(
    commercetools_connection, run_dag, tmp_path
):
    ct = commercetools_connection
    for key in ("keep", "old-1", "old-2", "old-3"):
        ct.add("categories", category(key))
    ct.add("categories", {"name": {"en": "No key"}, "slug": {"en": "no-key"}})
    conf = {"drafts": feed(tmp_path, [category("keep")]), "output_dir": str(tmp_path / "run1")}
    ct.reset_log()

    refused = run_dag("sync_prune_dag", run_conf=conf)

    assert refused.state == "failed"  # 3 would go, max_deletes=2
    assert api_writes(ct) == []
    trailer = lines(tmp_path / "run1" / "plan.jsonl")[-1]["summary"]
    assert "prune would delete 3 categories absent from the feed, more than max_deletes=2" in trailer["refused"]
    assert trailer["delete"] == 0 and trailer["kept_without_key"] == 1
    assert len(ct.entities("categories")) == 5

    conf = {"drafts": feed(tmp_path, [category("keep"), category("old-3")]), "output_dir": str(tmp_path / "run2")}
    pruned = run_dag("sync_prune_dag", run_conf=conf)

    assert pruned.state == "success"
    summary = xcom_result(pruned, "sync")
    assert (summary["deleted"], summary["unchanged"]) == (2, 2)
    assert sorted(c.get("key", "<none>") for c in ct.entities("categories")) == ["<none>", "keep", "old-3"]
    assert [m for m, _ in api_writes(ct)] == ["DELETE", "DELETE"]


def test_a_missing_reference_is_reported_with_its_key_and_the_rest_is_applied(
    commercetools_connection, run_dag, tmp_path
):
    ct = commercetools_connection
    drafts = [category("orphan", parent="nowhere"), category("fine"), category("child-of-orphan", parent="orphan")]
    conf = {"drafts": feed(tmp_path, drafts), "output_dir": str(tmp_path / "out")}

    dag_run = run_dag("sync_apply_dag", run_conf=conf)

    assert dag_run.state == "failed"  # on_error="continue": everything else applied, then the task fails
    assert sorted(by_key(ct)) == ["fine"]
    failures = {f["key"]: f for f in lines(tmp_path / "out" / "results.failures.jsonl")}
    assert sorted(failures) == ["child-of-orphan", "orphan"]
    assert failures["orphan"]["error"]["type"] == "MissingReferences"
    assert failures["orphan"]["error"]["missing"] == [{"typeId": "category", "key": "nowhere"}]
    assert failures["child-of-orphan"]["error"]["missing"] == [{"typeId": "category", "key": "orphan"}]


def test_a_conflict_between_plan_and_apply_is_read_again_and_recomputed(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ct.add("categories", category("chg", "Old name"))
    drafts = [{**category("chg", "Feed name"), "slug": {"en": "chg-new"}}]
    conf = {"drafts": feed(tmp_path, drafts), "output_dir": str(tmp_path / "out"), "edit_key": "chg"}
    ct.reset_log()

    dag_run = run_dag("sync_review_dag", run_conf=conf)

    assert dag_run.state == "success"
    planned = xcom_result(dag_run, "plan")
    assert planned["actions"] == {"changeName": 1, "changeSlug": 1} and planned["requests"]["write"] == 0
    applied = xcom_result(dag_run, "apply")
    assert (applied["updated"], applied["failed"]) == (1, 0)
    assert applied["actions"] == {"changeName": 1, "changeSlug": 1}  # recomputed against the edited category
    entity = by_key(ct)["chg"]
    assert (entity["name"], entity["slug"]) == ({"en": "Feed name"}, {"en": "chg-new"})
    updates = [r for r in ct.requests if r.method == "POST" and r.path.startswith(f"/{ct.project_key}/categories/")]
    # the edit, then the plan's update answered 409 (stale version), then the recomputed update
    assert [r.status for r in updates] == [200, 409, 200]
    assert json.loads(updates[2].body)["version"] == json.loads(updates[0].body)["version"] + 1
    (record,) = lines(tmp_path / "out" / "apply" / "results.jsonl")
    assert record["status"] == "succeeded" and record["key"] == "chg"


def test_a_create_meeting_its_key_created_meanwhile_is_read_again_and_becomes_an_update(
    commercetools_connection, run_dag, tmp_path
):
    """Someone creates the category between the plan and its apply: the plan's create is answered DuplicateField
    on ``key`` (what the draft is matched by), so the target is read and the draft applied as an update."""
    ct = commercetools_connection
    drafts = [category("race", "Feed name")]
    conf = {"drafts": feed(tmp_path, drafts), "output_dir": str(tmp_path / "out"), "edit_key": "race"}
    ct.reset_log()

    dag_run = run_dag("sync_review_dag", run_conf=conf)

    assert dag_run.state == "success"
    planned = xcom_result(dag_run, "plan")
    assert planned["created"] == 1 and planned["requests"]["write"] == 0  # a dry run: planned, not sent
    applied = xcom_result(dag_run, "apply")
    assert (applied["created"], applied["updated"], applied["failed"]) == (0, 1, 0)
    assert applied["actions"] == {"changeName": 1, "changeSlug": 1}
    entity = by_key(ct)["race"]
    assert (entity["name"], entity["slug"]) == ({"en": "Feed name"}, {"en": "race"})
    creates = [r for r in ct.requests if r.method == "POST" and r.path == f"/{ct.project_key}/categories"]
    assert [r.status for r in creates] == [201, 400]  # someone's create, then the plan's
    (record,) = lines(tmp_path / "out" / "apply" / "results.jsonl")
    assert record["status"] == "succeeded" and record["key"] == "race"


def test_a_create_clashing_on_another_unique_value_fails_once_and_names_the_field(
    commercetools_connection, run_dag, tmp_path
):
    """A slug another category holds: DuplicateField on ``slug.en``, not on the key the draft is matched by, so
    it is the draft's failure (not re-read and re-sent as a concurrent create would be), and the record says
    which field clashed."""
    ct = commercetools_connection
    ct.add("categories", {**category("holder"), "slug": {"en": "taken"}})
    drafts = [{**category("newcomer"), "slug": {"en": "taken"}}, category("fine")]
    conf = {"drafts": feed(tmp_path, drafts), "output_dir": str(tmp_path / "out")}
    ct.reset_log()

    dag_run = run_dag("sync_apply_dag", run_conf=conf)

    assert dag_run.state == "failed"  # on_error="continue": the rest applied, then the task fails
    assert sorted(by_key(ct)) == ["fine", "holder"]
    creates = [r for r in ct.requests if r.method == "POST" and r.path == f"/{ct.project_key}/categories"]
    assert sorted((json.loads(r.body)["key"], r.status) for r in creates) == [("fine", 201), ("newcomer", 400)]
    (failure,) = lines(tmp_path / "out" / "results.failures.jsonl")
    assert failure["key"] == "newcomer"
    assert failure["error"]["codes"] == ["DuplicateField"] and failure["error"]["duplicate_fields"] == ["slug.en"]


def test_parameters_are_checked_before_any_request(commercetools_connection, tmp_path):
    ct = commercetools_connection

    def sync(**kwargs: Any) -> CommercetoolsSyncOperator:
        return CommercetoolsSyncOperator(task_id="s", output_path=str(tmp_path), **kwargs)

    with pytest.raises(ConfigurationError, match=r"^resource_type: 'categorie' is not a resource type.*categories"):
        sync(resource_type="categorie", drafts=[])
    with pytest.raises(ConfigurationError, match=r"^match_by: 'sku' matches products only"):
        sync(resource_type="categories", drafts=[], match_by="sku")
    with pytest.raises(ConfigurationError, match=r"^plan: is given together with drafts"):
        sync(resource_type="categories", drafts=[], plan="p.jsonl")
    with pytest.raises(ConfigurationError, match=r"^sync_fields: 'colour' is not a field group"):
        sync(resource_type="categories", drafts=[], sync_fields=["colour"])
    with pytest.raises(ConfigurationError, match=r"^max_deletes"):
        sync(resource_type="categories", drafts=[], prune=True, max_deletes=-1)
    with pytest.raises(ConfigurationError, match=r"^drafts: .* is not a file"):
        sync(resource_type="categories", drafts=str(tmp_path / "missing.jsonl")).execute({})
    with pytest.raises(ConfigurationError, match=r"^drafts: must be a list of drafts or a JSON Lines file"):
        sync(resource_type="categories", drafts=42).execute({})
    assert [r for r in ct.requests if r.path.startswith(f"/{ct.project_key}/")] == []


def test_a_stopped_run_is_resumed_by_running_it_again_and_nothing_is_created_twice(commercetools_connection, tmp_path):
    """on_kill stops the apply after a few creates; the next run plans against what is there and sends the rest."""
    ct = commercetools_connection
    drafts = [category(f"c{i:02d}") for i in range(12)]
    client = CommercetoolsClient(config_for(ct))
    settings = SyncSettings(sync=sync_type("categories"), max_workers=1)
    first = SyncRun(client, settings, drafts=drafts, output_path=str(tmp_path / "out"))
    posts = []

    def stop_after_three(method: str, path: str) -> None:
        if method == "POST" and path.endswith("/categories"):
            posts.append(path)
            if len(posts) == 3:
                first.stop("the task was stopped")

    ct.on_request(stop_after_three)
    with pytest.raises(SyncFailedError, match=r"^the task was stopped\. Run the task again: it plans again") as stopped:
        first.run()
    created_first = stopped.value.summary["created"]
    assert 3 <= created_first < 12 and len(by_key(ct)) == created_first
    assert not (tmp_path / "out" / "results.jsonl").exists()  # the records stay under .partial-* names
    assert any(p.name.startswith("results.jsonl.partial-") for p in (tmp_path / "out").iterdir())

    again = SyncRun(client, settings, drafts=drafts, output_path=str(tmp_path / "out")).run()

    assert (again["created"], again["unchanged"]) == (12 - created_first, created_first)
    assert again["requests"]["write"] == 12 - created_first
    keys = [c["key"] for c in ct.entities("categories")]
    assert sorted(keys) == [d["key"] for d in drafts]  # each once
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "plan.jsonl",
        "results.failures.jsonl",
        "results.jsonl",
    ]
    client.close()
