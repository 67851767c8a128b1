"""The subscriber's concurrent reads and its output file: real HTTP, real DAG runs, a real crash."""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from tests.airflow_runner import xcom_result
from tests.operators.killing import kill_once_written


def subscriber(**kwargs: Any) -> CommercetoolsSubscriberOperator:
    kwargs.setdefault("task_id", "read")
    return CommercetoolsSubscriberOperator(**kwargs)


def api_requests(ct: FakeCommercetools) -> list[Any]:
    return [r for r in ct.requests if not r.path.startswith("/oauth")]


def test_concurrency_reads_every_entity_once_to_a_file_and_to_xcom(commercetools_connection, tmp_path):
    ct = commercetools_connection
    ids = ct.add_many("products", ({"key": f"p{i}"} for i in range(1_200)))
    output = tmp_path / "products.jsonl"

    result = subscriber(entity="products", output_path=str(output), page_size=50, concurrency=8).execute({})

    written = [e["id"] for e in read_json_lines("path", str(output))]
    assert sorted(written) == sorted(ids) and len(written) == len(ids)
    assert result["count"] == len(ids) and result["path"] == str(output)
    assert not list(tmp_path.glob("products.jsonl.partial*"))
    assert ct.token_grants == 1

    entities = subscriber(entity="products", page_size=50, concurrency=8).execute({})
    assert sorted(e["id"] for e in entities) == sorted(ids)


def test_dag_mapped_partitions_with_templated_concurrency(commercetools_connection, run_dag, tmp_path):
    ct = commercetools_connection
    ids = ct.add_many("products", ({"key": f"p{i}"} for i in range(600)))

    dag_run = run_dag("subscriber_concurrent_dag", run_conf={"output_dir": str(tmp_path), "concurrency": 3})
    assert dag_run.state == "success"

    out = xcom_result(dag_run, "merge")
    read = [i for part in out["ids"] for i in part]
    assert sorted(read) == sorted(ids) and len(read) == len(ids)
    # 2 partitions x 3 id ranges: more requests than pages of a sequential read, each range ends short
    assert len(api_requests(ct)) >= 6


@pytest.mark.parametrize("concurrency", [0, 33, "many"])
def test_bad_concurrency_fails_at_construction(concurrency):
    with pytest.raises(ConfigurationError, match=r"^concurrency: "):
        subscriber(entity="products", concurrency=concurrency)


# -- the output file (issue 16) -------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["a directory", "below a file"])
def test_an_unwritable_output_path_fails_before_any_request_naming_it(commercetools_connection, tmp_path, shape):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}"} for i in range(5)))
    (tmp_path / "file").write_text("x")
    output = tmp_path if shape == "a directory" else tmp_path / "file" / "products.jsonl"

    with pytest.raises(ConfigurationError, match=r"^output_path: "):
        subscriber(entity="products", output_path=str(output)).execute({})
    assert api_requests(ct) == []


def test_a_killed_export_leaves_no_partial_file_at_output_path(commercetools_server, tmp_path):
    ct = commercetools_server
    ct.add_many("products", ({"key": f"p{i}"} for i in range(2_000)))
    ct.latency = 0.05
    output = tmp_path / "products.jsonl"
    script = textwrap.dedent(
        f"""
        from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
        CommercetoolsSubscriberOperator(task_id="t", entity="products", page_size=20,
                                        output_path={str(output)!r}).execute({{}})
        """
    )
    env = {**os.environ, "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT": connection_json(ct)}
    kill_once_written(script, tmp_path, "products.jsonl.partial-*", 10_000, env)
    (partial,) = tmp_path.glob("products.jsonl.partial-*")
    assert not output.exists(), "a killed export left a partial file at output_path"
    assert 0 < len(partial.read_text().splitlines()) < 2_000


def test_a_timeout_mid_export_keeps_the_earlier_file_and_its_partial_beside(
    commercetools_connection, tmp_path, monkeypatch
):
    ct = commercetools_connection
    ct.add_many("products", ({"key": f"p{i}"} for i in range(100)))
    output = tmp_path / "products.jsonl"
    output.write_text('{"id": "from an earlier run"}\n')

    class TaskTimeout(BaseException):  # what Airflow raises in the task on execution_timeout / SIGTERM
        pass

    def timeout_on_page_3(self: Any, plan: Any, page: Any) -> None:
        if page.number == 3:
            raise TaskTimeout()

    monkeypatch.setattr(CommercetoolsSubscriberOperator, "_log_page", timeout_on_page_3)
    with pytest.raises(TaskTimeout):
        subscriber(entity="products", output_path=str(output), page_size=10).execute({})
    assert [json.loads(line)["id"] for line in output.read_text().splitlines()] == ["from an earlier run"]
    (partial,) = tmp_path.glob("products.jsonl.partial-*")  # the pages read before the timeout
    assert len(partial.read_text().splitlines()) == 20
