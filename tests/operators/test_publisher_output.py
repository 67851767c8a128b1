"""The publisher's output: an unwritable output_path is named before any request; keep_response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator


def publisher(**kwargs: Any) -> CommercetoolsPublisherOperator:
    return CommercetoolsPublisherOperator(task_id="publish", entity="products", **kwargs)


@pytest.mark.parametrize(
    "where",
    [
        pytest.param(lambda tmp: f"{tmp}/a-file/results.jsonl", id="parent-is-a-file"),
        pytest.param(lambda tmp: f"{tmp}/a-dir", id="a-directory"),
        pytest.param(lambda tmp: f"file://{tmp}/a-file/results.jsonl", id="url-parent-is-a-file"),
    ],
)
def test_an_unwritable_output_path_is_named_before_any_request(commercetools_connection, tmp_path, where):
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "a-dir").mkdir()
    output = where(tmp_path)
    with pytest.raises(ConfigurationError, match=r"^output_path: cannot write the results at .*nothing was sent"):
        publisher(items=[{"key": "a"}], output_path=output).execute({})
    assert commercetools_connection.requests == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-dir", "a-file"]  # nothing left behind
    assert list((tmp_path / "a-dir").iterdir()) == []


def test_keep_response_puts_the_whole_answer_in_each_record(commercetools_connection, tmp_path):
    ct = commercetools_connection
    ct.add("products", {"key": "p", "name": {"en": "P"}, "description": "d"})
    summary = publisher(method="GET", path={"key": "p"}, keep_response=True).execute({})
    (record,) = summary["results"]
    assert record["response"] == ct.entities("products")[0]
    default = publisher(method="GET", path={"key": "p"}).execute({})
    assert set(default["results"][0]["response"]) == {"id", "version", "key"}


def test_a_complete_run_leaves_only_its_two_files(commercetools_connection, tmp_path):
    output = tmp_path / "results.jsonl"
    publisher(items=[{"key": "a"}, {"key": "b"}], output_path=str(output), max_workers=2).execute({})
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["results.failures.jsonl", "results.jsonl"]
