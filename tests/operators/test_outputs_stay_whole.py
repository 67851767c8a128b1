"""Outputs stay whole (issue 24): a failing or killed export leaves the earlier complete file at output_path
untouched and what it wrote beside it (``<output_path>.partial-<attempt>``), named in the error.

Real DAG runs against the fake over 127.0.0.1: a complete run, then a run that fails (a 503 on a later
page, every retry too), or a task process killed with SIGKILL mid-export.
"""

from __future__ import annotations

import itertools
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import RequestError
from airflow_provider_commercetools.commercetools.messages.cursor import Cursor
from airflow_provider_commercetools.commercetools.messages.filters import MessageFilter
from airflow_provider_commercetools.commercetools.messages.reader import write_new_messages
from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.airflow_runner import xcom_result
from tests.messages_support import create, delete
from tests.operators.killing import kill_once_written

DELETIONS = 700  # two pages of Messages (500 each)


def fail_from_request(ct: FakeCommercetools, path: str, number: int) -> None:
    """From the ``number``-th GET of ``path`` on, answer 503 (every retry too): the listener runs before
    the request's fault is chosen, so the ``number``-th is the first to fail."""
    seen = itertools.count(1)

    def listen(method: str, request_path: str) -> None:
        if method == "GET" and request_path.startswith(path) and next(seen) == number:
            ct.inject("503", times=1_000, method="GET", path_prefix=path)

    ct.on_request(listen)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def complete_lines(path: Path) -> list[dict[str, Any]]:
    """The whole lines of a file a SIGKILL may have cut mid-line (its last line then has no newline)."""
    return [json.loads(line) for line in path.read_text().split("\n")[:-1]]


def failed_task(dag_run: Any) -> None:
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert dag_run.state == "failed" and set(states.values()) == {"failed"}, states


#: the connection's retries, quick: a 503 answered to every retry fails the task at once
QUICK_RETRIES = {"retry_max_attempts": 2, "retry_initial_backoff": 0.01}


def test_a_failing_export_keeps_the_earlier_complete_file(commercetools_server, run_dag, tmp_path, monkeypatch):
    ct = commercetools_server
    monkeypatch.setenv("AIRFLOW_CONN_COMMERCETOOLS_DEFAULT", connection_json(ct, **QUICK_RETRIES))
    ct.add_many("products", ({"key": f"p{i}"} for i in range(30)))
    output = tmp_path / "products.jsonl"
    conf = {"output_path": str(output)}
    first = run_dag("subscriber_output_dag", run_conf=conf)
    assert first.state == "success"
    complete = output.read_text()
    assert len(complete.splitlines()) == 30

    ct.add_many("products", ({"key": f"q{i}"} for i in range(30)))
    fail_from_request(ct, f"/{ct.project_key}/products", 3)  # pages 1 and 2 (7 each) arrive, then 503s
    failed_task(run_dag("subscriber_output_dag", run_conf=conf))

    assert output.read_text() == complete  # untouched
    (partial,) = tmp_path.glob("products.jsonl.partial-*")
    assert len(lines(partial)) == 14


@pytest.fixture
def messages_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeCommercetools, FakeMessages]]:
    scopes = ["manage_project:test-project", "view_messages:test-project"]
    with FakeCommercetools(scopes=scopes) as ct:
        messages = FakeMessages(ct)
        monkeypatch.setenv("AIRFLOW_CONN_COMMERCETOOLS_DEFAULT", connection_json(ct, **QUICK_RETRIES))
        yield ct, messages


def make_deletions(ct: FakeCommercetools, messages: FakeMessages, prefix: str, count: int) -> None:
    messages.freeze_clock("2026-12-01T10:00:00.000Z")
    for i in range(count):
        delete(ct, "products", create(ct, "products", {"key": f"{prefix}{i}"}))


def test_a_failing_deletions_export_keeps_the_earlier_complete_file(messages_server, run_dag, tmp_path):
    ct, messages = messages_server
    make_deletions(ct, messages, "a", DELETIONS)
    output = tmp_path / "deletions.jsonl"
    first = run_dag("deletions_output_dag", run_conf={"output_path": str(output)})
    assert first.state == "success"
    assert xcom_result(first, "export_deletions") == {"path": str(output), "count": DELETIONS}
    complete = output.read_text()

    fail_from_request(ct, f"/{ct.project_key}/messages", 2)  # the first page of 500 arrives, then 503s
    failed_task(run_dag("deletions_output_dag", run_conf={"output_path": str(output)}))

    assert output.read_text() == complete  # untouched, not 500 of 700 lines
    (partial,) = tmp_path.glob("deletions.jsonl.partial-*")
    assert len(lines(partial)) == 500

    # the error names what was kept and where, and says how to finish
    ct.clear_faults()
    fail_from_request(ct, f"/{ct.project_key}/messages", 2)
    with pytest.raises(RequestError) as failed:
        CommercetoolsDeletionsOperator(
            task_id="t",
            entity="products",
            modified_since="2026-12-01T00:00:00Z",
            modified_until="2026-12-02T00:00:00Z",
            output_path=str(output),
        ).execute({})
    (kept,) = set(tmp_path.glob("deletions.jsonl.partial-*")) - {partial}
    assert f"The 500 lines written before the failure are kept in {str(kept)!r}" in str(failed.value)
    assert f"{str(output)!r} was not touched. Run the task again" in str(failed.value)

    ct.clear_faults()
    again = run_dag("deletions_output_dag", run_conf={"output_path": str(output)})
    assert again.state == "success" and output.read_text() == complete
    assert not list(tmp_path.glob("*.partial-*"))  # the complete run removes the failed one's partial


def test_a_killed_deletions_export_leaves_the_earlier_file(messages_server, tmp_path):
    ct, messages = messages_server
    make_deletions(ct, messages, "a", DELETIONS)
    output = tmp_path / "deletions.jsonl"
    output.write_text('{"id": "from an earlier run"}\n')
    messages_path = f"/{ct.project_key}/messages"
    seen = itertools.count(1)

    def stall_the_second_page(method: str, path: str) -> None:
        # the first GET of /messages reads the server's clock (the settle rule), the second is page 1
        if method == "GET" and path.startswith(messages_path) and next(seen) == 3:
            ct.inject("slow", times=1, method="GET", path_prefix=messages_path, delay=60.0)

    ct.on_request(stall_the_second_page)
    script = textwrap.dedent(
        f"""
        from airflow_provider_commercetools.operators.deletions import CommercetoolsDeletionsOperator
        CommercetoolsDeletionsOperator(task_id="t", entity="products", modified_since="2026-12-01T00:00:00Z",
            modified_until="2026-12-02T00:00:00Z", output_path={str(output)!r}, check_enabled=False).execute({{}})
        """
    )
    kill_once_written(script, tmp_path, "deletions.jsonl.partial-*", 1)
    assert lines(output) == [{"id": "from an earlier run"}]
    (partial,) = tmp_path.glob("deletions.jsonl.partial-*")
    assert 0 < len(complete_lines(partial)) < DELETIONS


def test_a_failing_messages_file_keeps_the_earlier_complete_file(messages_server, tmp_path):
    """The Messages sensor's file (``write_new_messages``): a read failing at its second page leaves the
    file of the earlier read as it was (was: truncated, then cut short)."""
    ct, messages = messages_server
    make_deletions(ct, messages, "a", DELETIONS)
    output = tmp_path / "messages.jsonl"
    client = CommercetoolsHook().client
    cursor = Cursor.start("2026-12-01T00:00:00.000Z")
    types = MessageFilter.create(types=["ProductDeleted"])
    first = write_new_messages(client.request, cursor, types, str(output))
    assert first.count == len(lines(output)) == DELETIONS
    complete = output.read_text()

    fail_from_request(ct, f"/{ct.project_key}/messages", 3)  # the look, the first page of 500, then 503s
    with pytest.raises(RequestError, match=r"The 500 lines written before the failure are kept in"):
        write_new_messages(client.request, cursor, types, str(output))
    assert output.read_text() == complete
    (partial,) = tmp_path.glob("messages.jsonl.partial-*")
    assert len(lines(partial)) == 500
