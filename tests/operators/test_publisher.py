"""CommercetoolsPublisherOperator against the fake commercetools server, and in real DAG runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.commercetools.writing import PublishFailedError
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.commercetools import (
    CommercetoolsPublisherOperator,
    PublishPartlyAppliedError,
)
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.airflow_runner import xcom_result

PK = "test-project"
RENAME = {"actions": [{"action": "changeName", "name": {"en": "renamed"}}]}
COUNT_KEYS = ("total", "succeeded", "failed", "not_sent", "skipped", "outcome_unknown", "recovered", "conflict_retries")


def publisher(**kwargs: Any) -> CommercetoolsPublisherOperator:
    kwargs.setdefault("task_id", "publish")
    kwargs.setdefault("entity", "products")
    return CommercetoolsPublisherOperator(**kwargs)


def api(ct: FakeCommercetools) -> list[tuple[str, str]]:
    return [(r.method, r.path.removeprefix(f"/{PK}/")) for r in ct.requests if not r.path.startswith("/oauth")]


def counts(summary: dict[str, Any]) -> dict[str, int]:
    return {k: summary[k] for k in COUNT_KEYS}


def keys(ct: FakeCommercetools, resource: str = "products") -> list[str]:
    return sorted(e["key"] for e in ct.entities(resource))


def staged(product: dict[str, Any]) -> dict[str, Any]:
    """A Product's staged data (update actions write it; a create puts the draft's data there)."""
    return product["masterData"]["staged"]


def lines(path: Path) -> list[dict[str, Any]]:
    return list(read_json_lines("path", str(path)))


# -- one request ------------------------------------------------------------------------------------


def test_single_create_update_by_id_and_by_key_delete_and_get(commercetools_connection):
    ct = commercetools_connection
    summary = publisher(payload={"key": "p1", "name": {"en": "One"}}).execute({})
    assert counts(summary) == dict.fromkeys(COUNT_KEYS, 0) | {"total": 1, "succeeded": 1}
    ((entity_id, record),) = [(r["response"]["id"], r) for r in summary["results"]]
    assert record == {"index": 0, "status": "succeeded", "request": "POST products", "response": record["response"]}
    assert summary["failures"] == [] and not summary["results_truncated"]

    by_id = publisher(path={"id": entity_id}, payload={"version": 1, **RENAME}).execute({})
    by_key = publisher(
        path={"key": "p1"}, payload={"version": 2, "actions": [{"action": "setDescription", "description": "d"}]}
    ).execute({})
    assert [by_id["results"][0]["response"]["version"], by_key["results"][0]["response"]["version"]] == [2, 3]
    (stored,) = ct.entities("products")
    assert (staged(stored)["name"], staged(stored)["description"]) == ({"en": "renamed"}, "d")

    read = publisher(method="GET", path={"key": "p1"}).execute({})
    assert read["results"][0]["response"] == {"id": entity_id, "version": 3, "key": "p1"}

    publisher(method="delete", path={"id": entity_id}, query={"version": 3}).execute({})
    assert ct.entities("products") == []
    assert api(ct) == [
        ("POST", "products"),
        ("POST", f"products/{entity_id}"),
        ("POST", "products/key=p1"),
        ("GET", "products/key=p1"),
        ("DELETE", f"products/{entity_id}"),
    ]


def test_2000_creates_with_8_workers_make_2000_entities_with_one_token(commercetools_connection):
    ct = commercetools_connection
    items = [{"key": f"p{i:04d}", "name": {"en": f"Product {i}"}} for i in range(2000)]

    summary = publisher(items=items, max_workers=8).execute({})

    assert counts(summary) == dict.fromkeys(COUNT_KEYS, 0) | {"total": 2000, "succeeded": 2000}
    assert keys(ct) == [item["key"] for item in items]
    assert ct.token_grants == 1
    assert ct.count_requests("POST", f"/{PK}/products") == 2000
    assert [r["index"] for r in summary["results"]] == list(range(1000))  # bounded: the lowest indices, in order
    assert summary["results_truncated"]
    assert [r["response"]["key"] for r in summary["results"][:3]] == ["p0000", "p0001", "p0002"]


# -- conflicts ----------------------------------------------------------------------------------------


def stale_entity(ct: FakeCommercetools) -> None:
    """An entity at version 2: somebody changed it after the version 1 that the items carry."""
    ct.add("products", {"key": "a"})
    other = CommercetoolsHook()
    other.update("products", {"key": "a"}, 1, [{"action": "setDescription", "description": "someone else"}])


def test_a_409_fails_the_task_readably_by_default(commercetools_connection):
    ct = commercetools_connection
    stale_entity(ct)
    with pytest.raises(PublishFailedError) as failed:
        publisher(path={"key": "a"}, payload={"version": 1, **RENAME}).execute({})
    message = str(failed.value)
    assert "1 items: 0 succeeded, 1 failed" in message
    assert (
        "ConcurrentModificationError: POST /test-project/products/key=a -> HTTP 409 ConcurrentModification" in message
    )
    assert "Expected: 1 - Actual: 2" in message and "on_conflict='retry'" in message
    assert failed.value.summary["failures"][0]["error"]["status"] == 409
    assert not isinstance(failed.value, AirflowFailException)  # nothing was applied: Airflow may retry
    assert staged(ct.entities("products")[0]).get("name") is None


def test_on_conflict_retry_converges(commercetools_connection):
    ct = commercetools_connection
    stale_entity(ct)
    summary = publisher(path={"key": "a"}, payload={"version": 1, **RENAME}, on_conflict="retry").execute({})
    assert (summary["succeeded"], summary["conflict_retries"]) == (1, 1)
    (stored,) = ct.entities("products")
    data = staged(stored)
    assert (data["name"], data["description"], stored["version"]) == ({"en": "renamed"}, "someone else", 3)


def test_latest_updates_and_deletes_without_versions(commercetools_connection):
    ct = commercetools_connection
    stale_entity(ct)
    ct.add("products", {"key": "b", "version": 9})
    summary = publisher(
        items=[{"path": {"key": "a"}}, {"path": {"key": "b"}}], payload=RENAME, on_conflict="latest"
    ).execute({})
    assert [r["response"]["version"] for r in summary["results"]] == [3, 10]
    assert all(staged(e)["name"] == {"en": "renamed"} for e in ct.entities("products"))

    publisher(method="DELETE", items=[{"path": {"key": "a"}}, {"path": {"key": "b"}}], on_conflict="latest").execute({})
    assert ct.entities("products") == []


# -- mixed batches and on_error -----------------------------------------------------------------------

MIXED = [
    {"key": "k0"},
    "not an item",
    {"key": "k2"},
    {"path": {"key": "missing"}, "payload": {"version": 1, **RENAME}},  # valid, but 404 on the server
    {"key": "k4"},
]


def test_on_error_fail_rejects_an_invalid_batch_before_any_request(commercetools_connection):
    ct = commercetools_connection
    with pytest.raises(ConfigurationError, match=r"items\[1\]: must be a dict, got str 'not an item'"):
        publisher(items=MIXED).execute({})
    assert ct.requests == []


def test_on_error_fail_stops_at_the_first_failed_request(commercetools_connection, tmp_path):
    ct = commercetools_connection
    items = [item for item in MIXED if isinstance(item, dict)]
    with pytest.raises(PublishFailedError, match=r"items\[2\]: NotFoundError") as failed:
        publisher(items=items, output_path=str(tmp_path / "out.jsonl")).execute({})
    assert keys(ct) == ["k0", "k2"]  # nothing sent after the failure
    assert counts(failed.value.summary) == dict.fromkeys(COUNT_KEYS, 0) | {
        "total": 4,
        "succeeded": 2,
        "failed": 1,
        "not_sent": 1,
    }
    failures = lines(tmp_path / "out.failures.jsonl")
    assert [(f["index"], f["status"], f["item"]) for f in failures] == [
        (2, "failed", items[2]),
        (3, "not_sent", items[3]),
    ]


def test_on_error_continue_publishes_the_rest_then_fails_naming_each_failure(commercetools_connection):
    ct = commercetools_connection
    with pytest.raises(PublishFailedError) as failed:
        publisher(items=MIXED, on_error="continue", max_workers=2).execute({})
    message = str(failed.value)
    assert "5 items: 3 succeeded, 2 failed" in message
    assert "items[1]: ConfigurationError: items[1]: must be a dict" in message
    assert "items[3]: NotFoundError: POST /test-project/products/key=missing -> HTTP 404 ResourceNotFound" in message
    assert "Set output_path" in message
    assert isinstance(failed.value, PublishPartlyAppliedError) and isinstance(failed.value, AirflowFailException)
    assert "Not retried automatically" in message
    assert keys(ct) == ["k0", "k2", "k4"]
    assert [f["item"] for f in failed.value.summary["failures"]] == [MIXED[1], MIXED[3]]


def test_on_error_skip_succeeds_and_reports_the_failures_in_xcom(commercetools_connection):
    ct = commercetools_connection
    summary = publisher(items=MIXED, on_error="skip").execute({})
    assert counts(summary) == dict.fromkeys(COUNT_KEYS, 0) | {"total": 5, "succeeded": 3, "failed": 2}
    assert [(f["index"], f["error"]["type"], f["item"]) for f in summary["failures"]] == [
        (1, "ConfigurationError", MIXED[1]),
        (3, "NotFoundError", MIXED[3]),
    ]
    assert summary["failures"][1]["error"]["codes"] == ["ResourceNotFound"]
    assert [r["status"] for r in summary["results"]] == ["succeeded", "failed", "succeeded", "failed", "succeeded"]
    assert keys(ct) == ["k0", "k2", "k4"]
    json.dumps(summary)  # XCom-ready


def test_rerunning_with_the_failures_file_finishes_the_job(commercetools_connection, tmp_path):
    ct = commercetools_connection
    ct.add("products", {"key": "existing"})
    items = [{"key": f"new-{i}"} for i in range(5)] + [
        {"path": {"key": "existing"}, "payload": {"version": 1, **RENAME}},
        {"path": {"key": "late"}, "payload": {"version": 1, **RENAME}},  # created by someone later
    ]
    # new-0: the create and both re-sends (each after a look-up found nothing) answer 503: outcome unknown
    ct.inject("503", method="POST", times=3, path_prefix=f"/{PK}/products")
    output = tmp_path / "run" / "results.jsonl"

    with pytest.raises(PublishFailedError) as failed:
        publisher(items=items, on_error="continue", output_path=str(output)).execute({})
    first = failed.value.summary
    assert (first["succeeded"], first["failed"]) == (5, 2)
    assert first["output_path"] == str(output) and first["failures_path"] == str(
        tmp_path / "run" / "results.failures.jsonl"
    )
    assert f"run with items='{first['failures_path']}'" in str(failed.value)
    results = lines(output)
    assert [r["index"] for r in results] == list(range(7))
    assert all("item" not in r for r in results if r["status"] == "succeeded")
    failures = lines(Path(first["failures_path"]))
    assert [f["item"] for f in failures] == [items[0], items[6]]
    assert {f["error"]["type"] for f in failures} == {"OutcomeUnknownError", "NotFoundError"}
    assert keys(ct) == ["existing", "new-1", "new-2", "new-3", "new-4"]  # the 503s were not applied

    ct.add("products", {"key": "late"})
    # One parameter changes: items is the failures file (which this run also rewrites).
    second = publisher(items=first["failures_path"], on_error="continue", output_path=str(output)).execute({})
    assert counts(second) == dict.fromkeys(COUNT_KEYS, 0) | {"total": 2, "succeeded": 2}
    assert lines(Path(second["failures_path"])) == []
    assert [r["status"] for r in lines(output)] == ["succeeded"] * 2
    assert keys(ct) == ["existing", "late", "new-0", "new-1", "new-2", "new-3", "new-4"]
    assert all(
        staged(e)["name"] == {"en": "renamed"} for e in ct.entities("products") if e["key"] in ("existing", "late")
    )
    assert not list(tmp_path.glob("run/*.partial-*"))

    # The results file as items: everything succeeded, nothing is sent again.
    third = publisher(items={"output_path": str(output), "failures_path": second["failures_path"]}).execute({})
    assert third["total"] == 0
    before = len(ct.requests)
    fourth = publisher(items=str(output)).execute({})
    assert (fourth["skipped"], len(ct.requests)) == (2, before)


def test_failures_file_does_not_resend_a_keyless_create_of_unknown_outcome(commercetools_connection, tmp_path):
    ct = commercetools_connection
    # The create is applied, then its response is lost; without a key nothing can tell whether it exists.
    ct.inject("drop_after", method="POST", times=1, path_prefix=f"/{PK}/products")
    output = tmp_path / "results.jsonl"
    with pytest.raises(PublishFailedError) as failed:
        publisher(items=[{"name": {"en": "no key"}}], on_error="continue", output_path=str(output)).execute({})
    failures_path = failed.value.summary["failures_path"]
    assert [f["error"]["type"] for f in lines(Path(failures_path))] == ["OutcomeUnknownError"]
    assert len(ct.entities("products")) == 1

    before = len(ct.requests)
    with pytest.raises(PublishFailedError):
        publisher(items=failures_path, on_error="continue", output_path=str(output)).execute({})
    assert len(ct.requests) == before  # not sent again: it would have existed twice
    (record,) = lines(output)
    assert record["status"] == "outcome_unknown" and "resend_unknown=True" in record["note"]
    assert record["item"] == {"name": {"en": "no key"}}

    # The user checked and decides to send it anyway.
    publisher(items=str(tmp_path / "results.failures.jsonl"), resend_unknown=True).execute({})
    assert len(ct.entities("products")) == 2


def test_object_storage_urls_for_results_and_the_failures_file(commercetools_connection, tmp_path):
    ct = commercetools_connection
    output = f"file://{tmp_path}/out/results.jsonl"
    items = [{"key": "u1"}, {"path": {"key": "u2"}, "payload": {"version": 1, **RENAME}}]
    summary = publisher(items=items, on_error="skip", output_path=output).execute({})
    assert (summary["failures_path"], summary["failed"]) == (f"file://{tmp_path}/out/results.failures.jsonl", 1)
    ct.add("products", {"key": "u2"})
    again = publisher(items=summary, on_error="skip", output_path=output).execute({})  # the summary from XCom
    assert (again["total"], again["succeeded"]) == (1, 1)
    assert lines(tmp_path / "out" / "results.failures.jsonl") == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["results.failures.jsonl", "results.jsonl"]


def test_a_lost_create_response_is_never_doubled(commercetools_connection):
    ct = commercetools_connection
    ct.inject("drop_after", method="POST")
    summary = publisher(payload={"key": "k1"}).execute({})
    assert (summary["succeeded"], summary["recovered"]) == (1, 1)
    assert "recovered" in summary["results"][0] and keys(ct) == ["k1"]

    ct.inject("drop_after", method="POST")
    with pytest.raises(PublishPartlyAppliedError, match="outcome unknown"):  # it may have been applied
        publisher(payload={"name": {"en": "keyless"}}).execute({})
    assert len(ct.entities("products")) == 2  # applied once by the server, not sent again
    assert ct.count_requests("POST", f"/{PK}/products") == 2


# -- items from files and upstream tasks --------------------------------------------------------------


def test_items_from_a_subscriber_file_result_a_path_and_json_text(commercetools_connection, tmp_path):
    ct = commercetools_connection
    source = tmp_path / "drafts.jsonl"
    source.write_text('{"key": "f1"}\n\n{"key": "f2"}\n')
    summary = publisher(items={"path": str(source), "count": 2, "pages": 1}).execute({})
    assert summary["succeeded"] == 2
    again = publisher(items=f"file://{source}", on_error="skip").execute({})
    # the same drafts again: they exist and equal the drafts, so they count as applied (issue 24)
    assert (again["succeeded"], again["failures"]) == (2, [])
    assert {r["note"].split(":")[0] for r in again["results"]} == {"already_applied"}
    source.write_text('{"key": "f1", "name": {"en": "changed"}}\n')
    changed = publisher(items=f"file://{source}", on_error="skip").execute({})
    assert [(f["index"], f["error"]["codes"]) for f in changed["failures"]] == [(0, ["DuplicateField"])]
    assert "key 'f1' exists already and differs from the draft in: name" in changed["failures"][0]["error"]["message"]
    publisher(items='[{"key": "j1"}, {"payload": {"key": "j2"}}]', payload={"name": {"en": "default"}}).execute({})
    assert keys(ct) == ["f1", "f2", "j1", "j2"]
    assert {e["key"]: staged(e).get("name") for e in ct.entities("products")}["j2"] == {"en": "default"}


def test_a_line_that_is_not_json_fails_alone(commercetools_connection, tmp_path):
    ct = commercetools_connection
    source = tmp_path / "items.jsonl"
    source.write_text('{"key": "a"}\n{"key": broken\n{"key": "c"}\n')
    with pytest.raises(
        PublishFailedError, match=r"items\[1\]: ConfigurationError: items\[1\]: line 2 of .* is not JSON"
    ):
        publisher(items=str(source), on_error="continue", output_path=str(tmp_path / "out.jsonl")).execute({})
    assert keys(ct) == ["a", "c"]
    assert lines(tmp_path / "out.failures.jsonl")[0]["item"] == '{"key": broken'


def test_a_streamed_file_stops_at_its_first_invalid_item_under_on_error_fail(commercetools_connection, tmp_path):
    ct = commercetools_connection
    source = tmp_path / "items.jsonl"
    source.write_text('{"key": "a"}\n[1]\n{"key": "c"}\n')
    with pytest.raises(PublishFailedError, match=r"items\[1\]: ConfigurationError"):
        publisher(items=str(source)).execute({})
    assert keys(ct) == ["a"]


# -- bad input: a clear error before any request ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"method": "{{ m }}", "payload": {"key": "a"}, "rendered": {"method": "PUT"}},
            r"^method: unknown method 'PUT'",
        ),
        (
            {"path": {"id": "x"}, "payload": {"version": 1}},
            r"^payload: POST products/x is an update and needs 'actions' \(a list\)",
        ),
        (
            {"method": "DELETE", "path": {"key": "k"}},
            r"^query: DELETE products/key=k has no version.*or set on_conflict='latest'",
        ),
        ({"items": [{"key": "a"}, ["b"]]}, r"^items\[1\]: must be a dict, got list \['b'\]"),
        ({"payload": {"key": "a", "at": dt.datetime(2026, 1, 1)}}, r"^payload: is not JSON-serialisable"),
        ({"items": [{"payload": {"key": "a", "n": {1}}}]}, r"^items\[0\]\.payload: is not JSON-serialisable"),
        # templates rendered to the wrong type (a string holding JSON of the wrong shape, or not JSON at all)
        ({"path": '["a"]', "payload": {"key": "a"}}, r"^path: must be a dict, got list"),
        ({"query": "expand=x", "payload": {"key": "a"}}, r"^query: must be a dict, got str"),
        ({"payload": "None"}, r"^payload: must be a dict or a list, got str 'None'"),
        ({"items": "[{'key': 'a'}]"}, r"^items: rendered to a string that is not valid JSON"),
        ({"items": '{"key": "a"}'}, r"^items: must be a list of items or a JSON Lines file, got dict"),
        ({"items": "None"}, r"^items: rendered to 'None'"),
        ({"items": 5}, r"^items: must be a list of items or a JSON Lines file, got int"),
        ({"items": "/no/such/items.jsonl"}, r"^items: '/no/such/items.jsonl' is not a file"),
        (
            {"entity": "{{ e }}", "payload": {"key": "a"}, "rendered": {"entity": ["products"]}},
            r"^entity: \['products'\]",
        ),
        ({"payload": {"key": "a"}, "output_path": "nosuchscheme://b/x.jsonl"}, r"^output_path: unknown scheme"),
    ],
    ids=[
        "unknown-method",
        "update-without-actions",
        "delete-without-version",
        "item-not-dict",
        "payload-not-serialisable",
        "item-payload-not-serialisable",
        "path-renders-list",
        "query-renders-str",
        "payload-renders-none",
        "items-renders-python-repr",
        "items-renders-dict",
        "items-renders-none",
        "items-int",
        "items-missing-file",
        "entity-renders-list",
        "output-scheme",
    ],
)
def test_bad_input_fails_clearly_before_any_request(commercetools_connection, kwargs, match):
    ct = commercetools_connection
    rendered = kwargs.pop("rendered", {})
    operator = publisher(**kwargs)
    for name, value in rendered.items():  # what a template rendered to
        setattr(operator, name, value)
    with pytest.raises(ConfigurationError, match=match):
        operator.execute({})
    assert ct.requests == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "PATCH"}, r"^method: unknown method 'PATCH'"),
        ({"entity": "prodcts"}, r"^entity: unknown entity 'prodcts'. Did you mean 'products'"),
        ({"entity": "messages", "method": "POST"}, r"^method: messages is read-only"),
        ({"entity": None}, r"^entity: is missing"),
        ({"endpoint": "products"}, r"^endpoint: is given together with 'entity'"),
        ({"on_conflict": "overwrite"}, r"^on_conflict: 'overwrite' is not one of 'fail', 'retry', 'latest'"),
        ({"on_error": "ignore"}, r"^on_error: 'ignore' is not one of 'fail', 'continue', 'skip'"),
        ({"max_workers": 0}, r"^max_workers: 0 is not an integer >= 1"),
        ({"max_workers": 65}, r"^max_workers: 65 is more than the 64 connections"),
        ({"max_conflict_retries": -1}, r"^max_conflict_retries: -1 is not an integer >= 0"),
        ({"commercetools_conn_id": ""}, r"^commercetools_conn_id: '' is not a connection id"),
    ],
    ids=lambda v: "-".join(f"{k}={v[k]}" for k in v) if isinstance(v, dict) else "",
)
def test_static_arguments_fail_when_the_dag_is_parsed(kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        publisher(**kwargs)


def test_templated_fields_the_lazy_hook_and_case_insensitive_choices():
    operator = publisher(commercetools_conn_id="does_not_exist", method="{{ params.m }}", on_conflict="Latest")
    assert operator.template_fields == (
        "method",
        "entity",
        "endpoint",
        "path",
        "query",
        "payload",
        "items",
        "output_path",
        "resend_unknown",
    )
    assert "hook" not in operator.__dict__
    assert operator.on_conflict == "latest"


def test_secrets_reach_neither_logs_nor_xcom(commercetools_connection, caplog, capfd):
    ct = commercetools_connection
    caplog.set_level("DEBUG")
    summary = publisher(
        items=[{"key": f"k{i}"} for i in range(5)] + [{"path": {"key": "x"}}], on_error="skip", max_workers=2
    ).execute({})
    tokens = {r.headers["authorization"].split()[-1] for r in ct.requests if not r.path.startswith("/oauth")}
    assert len(tokens) == 1
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "Published 6 items: 5 succeeded, 1 failed" in logged
    for secret in (*tokens, ct.client_secret):
        assert secret not in logged
        assert secret not in json.dumps(summary)


# -- real DAG runs --------------------------------------------------------------------------------------


def run(run_dag: Any, dag_id: str, conf: dict[str, Any] | None = None, state: str = "success") -> Any:
    dag_run = run_dag(dag_id, run_conf=conf)
    assert dag_run.state == state, f"{dag_id} ended {dag_run.state}"
    return dag_run


def test_dag_subscriber_transform_publisher_through_xcom(commercetools_connection, run_dag):
    ct = commercetools_connection
    ct.add_many("categories", ({"key": f"c{i}", "externalId": "red" if i % 2 else "blue"} for i in range(10)))

    dag_run = run(run_dag, "publisher_xcom_dag", {"color": "red", "new_color": "crimson"})

    summary = xcom_result(dag_run, "publish_categories")
    assert counts(summary) == dict.fromkeys(COUNT_KEYS, 0) | {"total": 5, "succeeded": 5}
    colours = {e["key"]: (e["externalId"], e["version"]) for e in ct.entities("categories")}
    assert colours == {f"c{i}": ("crimson", 2) if i % 2 else ("blue", 1) for i in range(10)}
    assert ct.token_grants == 2  # one per task that talks to commercetools


def test_dag_subscriber_transform_publisher_through_json_lines_files(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}", "name": {"en": f"P{i}"}} for i in range(9)))

    dag_run = run(run_dag, "publisher_files_dag", {"output_dir": str(tmp_path)})

    summary = xcom_result(dag_run, "publish_copies")
    assert summary == dict.fromkeys(COUNT_KEYS, 0) | {
        "total": 9,
        "succeeded": 9,
        "output_path": f"{tmp_path}/results.jsonl",
        "failures_path": f"{tmp_path}/results.failures.jsonl",
    }
    assert keys(ct) == sorted([f"p{i}" for i in range(9)] + [f"copy-p{i}" for i in range(9)])
    copies = {e["key"]: staged(e)["name"] for e in ct.entities("products") if e["key"].startswith("copy-")}
    assert copies == {f"copy-p{i}": {"en": f"P{i}"} for i in range(9)}
    results = lines(tmp_path / "results.jsonl")
    assert sorted(r["index"] for r in results) == list(range(9)) and {r["status"] for r in results} == {"succeeded"}
    assert lines(tmp_path / "results.failures.jsonl") == []


def test_dag_templated_fields_from_xcomarg_and_json_jinja(commercetools_connection, run_dag):
    ct = commercetools_connection

    dag_run = run(run_dag, "publisher_templates_dag", {"key": "described"})

    assert keys(ct) == ["from-jinja-0", "from-jinja-1", "from-jinja-2", "from-xcomarg"]
    entities = {e["key"]: e for e in ct.entities("products")}
    assert staged(entities["from-xcomarg"])["description"] == "described"
    assert staged(entities["from-jinja-1"])["name"] == {"en": "ü"}
    jinja_posts = [r for r in ct.requests if r.method == "POST" and r.path == f"/{PK}/products"]
    assert all(
        r.query == {"expand": ["productType"]} for r in jinja_posts[1:] if r.json()["key"].startswith("from-jinja")
    )
    assert xcom_result(dag_run, "update_by_jinja_path")["results"][0]["response"]["version"] == 2


def test_dag_native_templates_render_to_lists_and_dicts(commercetools_connection, run_dag):
    ct = commercetools_connection

    run(run_dag, "publisher_native_dag", {"path": {"key": "native"}, "version": 1})

    entities = {e["key"]: e for e in ct.entities("products")}
    assert sorted(entities) == ["native", "native-2"]
    assert (staged(entities["native"])["description"], entities["native"]["version"]) == ("d", 2)


def test_dag_a_template_rendering_to_the_wrong_type_fails_before_any_request(commercetools_connection, run_dag):
    ct = commercetools_connection
    dag_run = run(run_dag, "publisher_bad_template_dag", state="failed")
    from airflow.utils.session import create_session

    with create_session() as session:
        assert dag_run.get_task_instance("publish", session=session).state == "failed"
    assert ct.requests == []
