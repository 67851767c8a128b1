"""CommercetoolsSubscriberOperator against the independent emulator.

The big collection (20,000 categories, keys c00000 to c19999) is seeded in-process once per session
(``export_project``) and only read here; every other test has a project of its own (``project``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from requests.adapters import HTTPAdapter

from airflow_provider_commercetools.commercetools.errors import (
    BadRequestError,
    NotFoundError,
    PaginationLimitError,
    UnexpectedResponseError,
)
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from tests.airflow_runner import xcom_result
from tests.conformance.support import EXPORT_COUNT, EXPORT_PROJECT, RawApi, record_requests


def subscriber(**kwargs: Any) -> CommercetoolsSubscriberOperator:
    kwargs.setdefault("task_id", "read")
    return CommercetoolsSubscriberOperator(**kwargs)


def ids_in(path: Any) -> list[str]:
    return [entity["id"] for entity in read_json_lines("path", str(path))]


def category(key: str, name: str = "") -> dict:
    return {"key": key, "name": {"en": name or key}, "slug": {"en": key}}


# -- the whole collection ----------------------------------------------------------------------------


def test_keyset_export_of_20000_categories_exactly_once_in_order(export_project, tmp_path) -> None:
    output = tmp_path / "categories.jsonl"
    operator = subscriber(entity="categories", output_path=str(output))
    log = record_requests(operator.hook.client)

    result = operator.execute({})

    pages = EXPORT_COUNT // 500 + 1  # 40 full pages, then an empty one ends the scan
    assert result == {"path": str(output), "count": EXPORT_COUNT, "pages": pages}
    assert ids_in(output) == sorted(export_project)  # every id once, in id order
    queries = log.queries(f"/{EXPORT_PROJECT}/categories")
    assert len(queries) == pages
    for query in queries:
        assert (query["sort"], query["limit"], query["withTotal"]) == (["id asc"], ["500"], ["false"])
        assert "offset" not in query
    assert len(log.queries("/oauth/token")) == 1


def test_the_export_in_a_dag_run(export_project, run_dag, tmp_path, emulator) -> None:
    dag_run = run_dag("conformance_export_dag", run_conf={"output_dir": str(tmp_path), "container": "exported"})
    assert dag_run.state == "success"

    assert xcom_result(dag_run, "export_all") == {
        "path": str(tmp_path / "categories.jsonl"),
        "count": EXPORT_COUNT,
        "pages": EXPORT_COUNT // 500 + 1,
    }
    assert ids_in(tmp_path / "categories.jsonl") == sorted(export_project)

    api = RawApi(emulator, EXPORT_PROJECT)
    expected = {c["key"]: c["id"] for c in api.all("categories", where='key >= "c19990"')}
    assert len(expected) == 10
    assert xcom_result(dag_run, "export_some")["count"] == 10
    published = xcom_result(dag_run, "publish")
    assert (published["total"], published["succeeded"], published["failed"]) == (10, 10, 0)
    stored = api.all("custom-objects/exported")
    assert {o["key"]: o["value"]["id"] for o in stored} == expected
    for created in stored:  # clean up: this project is shared by the tests of the session
        assert api.call("DELETE", f"custom-objects/exported/{created['key']}").status_code == 200


def test_id_partitions_together_are_the_collection(export_project, tmp_path) -> None:
    seen: list[str] = []
    for index, partition in enumerate(CommercetoolsSubscriberOperator.partitions(4)):
        output = tmp_path / f"part-{index}.jsonl"
        result = subscriber(entity="categories", partition=partition, output_path=str(output)).execute({})
        part = ids_in(output)
        assert part == sorted(part) and result["count"] == len(part) > 0
        seen.extend(part)
    assert seen == sorted(export_project)  # disjoint, complete, and in order across the parts


class DropSort(HTTPAdapter):
    """Removes ``sort`` from every request: the emulator then answers as the unpatched package does."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        url = urlsplit(request.url)
        query = [(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k != "sort"]
        request.url = urlunsplit(url._replace(query=urlencode(query)))
        return super().send(request, *args, **kwargs)


def test_a_server_that_ignores_sort_fails_the_export_instead_of_losing_entities(export_project, tmp_path) -> None:
    # @labdigital/commercetools-mock 4.4.0 ignores `sort` on lists (the launcher patches that) but
    # honours `where`: keyset paging then skips every entity below each page's last id. Before the
    # page-order check in pagination.py, this export succeeded with 1,507 of the 20,000 categories.
    operator = subscriber(entity="categories", output_path=str(tmp_path / "lossy.jsonl"))
    operator.hook.client.session.mount("http://", DropSort())
    with pytest.raises(UnexpectedResponseError, match=r"page 1 is not sorted by 'id asc'"):
        operator.execute({})


# -- offset paging and its limit -----------------------------------------------------------------------


def test_sorting_by_key_over_10000_fails_clearly_before_passing_offset_10000(export_project, tmp_path) -> None:
    operator = subscriber(entity="categories", query={"sort": "key asc"}, output_path=str(tmp_path / "o.jsonl"))
    log = record_requests(operator.hook.client)

    with pytest.raises(PaginationLimitError) as failed:
        operator.execute({})

    message = str(failed.value)
    assert "sorting by 'key asc' needs offset paging" in message
    assert "limits to offset 10,000" in message and f"{EXPORT_COUNT:,} entities match" in message
    assert "nothing past the limit was requested" in message and "Drop the custom sort" in message
    queries = log.queries(f"/{EXPORT_PROJECT}/categories")
    assert queries, "the first page (with its total) is read"
    assert all(int(q.get("offset", ["0"])[0]) <= 10_000 for q in queries)


def test_offset_paging_reads_up_to_the_last_allowed_offset(export_project, tmp_path) -> None:
    output = tmp_path / "first.jsonl"
    operator = subscriber(entity="categories", query={"sort": "key desc"}, max_items=10_500, output_path=str(output))
    log = record_requests(operator.hook.client)

    assert operator.execute({})["count"] == 10_500

    keys = [entity["key"] for entity in read_json_lines("path", str(output))]
    assert keys == [f"c{i:05d}" for i in range(EXPORT_COUNT - 1, EXPORT_COUNT - 10_501, -1)]
    offsets = [int(q["offset"][0]) for q in log.queries(f"/{EXPORT_PROJECT}/categories")]
    assert offsets == list(range(0, 10_001, 500))  # offset 10,000 is the last one, and is accepted


def test_the_emulator_refuses_an_offset_over_10000_like_the_real_api(export_project) -> None:
    # A launcher patch (the package accepts any offset): what makes the test above meaningful.
    with pytest.raises(BadRequestError) as refused:
        subscriber(entity="categories", paginate=False, query={"offset": 10_001, "limit": 1}).execute({})
    assert refused.value.codes == ["InvalidInput"] and "offset" in str(refused.value)


# -- predicates ------------------------------------------------------------------------------------


def test_a_where_list_is_anded_with_keyset_paging(export_project) -> None:
    result = subscriber(
        entity="categories", query={"where": ['key >= "c19000"', 'key < "c19600"']}, page_size=100
    ).execute({})
    assert sorted(c["key"] for c in result) == [f"c{i}" for i in range(19_000, 19_600)]
    assert [c["id"] for c in result] == sorted(c["id"] for c in result)


def test_a_malformed_where_is_rejected_readably(project) -> None:
    project.seed("category", [category("a")])
    with pytest.raises(BadRequestError) as rejected:
        subscriber(entity="categories", query={"where": 'key = "a" and'}).execute({})
    error = rejected.value
    assert error.status_code == 400 and error.codes == ["InvalidInput"]
    assert "commercetools rejected the query: check the predicates sent as where" in str(error)


def test_a_where_on_an_unknown_field_is_accepted_by_the_emulator(project) -> None:
    # Emulator gap: the real API answers 400 InvalidInput for a predicate on a field the resource
    # does not have (the operator then raises BadRequestError with the hint checked above); the
    # emulator answers 200 with no results. The provider passes the answer through unchanged.
    project.seed("category", [category("a")])
    assert subscriber(entity="categories", query={"where": 'colour = "red"'}).execute({}) == []


def test_the_modified_window_reads_exactly_the_interval(project) -> None:
    stamps = ["2026-11-27T09:59:59.999Z", "2026-11-27T10:00:00.000Z", "2026-11-27T10:30:00.000Z"]
    stamps += ["2026-11-27T10:59:59.999Z", "2026-11-27T11:00:00.000Z"]
    ids = project.seed(
        "category",
        [category(f"m{i}") | {"lastModifiedAt": stamp} for i, stamp in enumerate(stamps)],
        mode="unsafe",
    )
    result = subscriber(
        entity="categories",
        modified_since=dt.datetime(2026, 11, 27, 10, tzinfo=dt.timezone.utc),
        modified_until="2026-11-27T11:00:00Z",
    ).execute({})
    # start inclusive, end exclusive; a window with an end is read in lastModifiedAt order (order="auto")
    assert [c["id"] for c in result] == ids[1:4]


# -- single reads, custom objects, in-store ----------------------------------------------------------


def test_single_reads_by_key_and_a_clear_404(project) -> None:
    (entity_id,) = project.seed("category", [category("shoes")])
    assert subscriber(entity="categories", path={"key": "shoes"}).execute({})["id"] == entity_id
    with pytest.raises(NotFoundError) as missing:
        subscriber(entity="categories", path={"key": "nope"}).execute({})
    assert f"No categories entity at 'categories/key=nope' in project {project.key!r}" in str(missing.value)


def test_custom_objects_of_one_container_with_keyset_paging(project) -> None:
    for i in range(30):
        project.api.post("custom-objects", {"container": "box", "key": f"k{i:02d}", "value": i})
    project.api.post("custom-objects", {"container": "other", "key": "k00", "value": "not in box"})

    result = subscriber(entity="custom-objects", path={"container": "box"}, page_size=7).execute({})

    assert sorted(o["key"] for o in result) == [f"k{i:02d}" for i in range(30)]
    assert [o["id"] for o in result] == sorted(o["id"] for o in result)
    one = subscriber(entity="custom-objects", path={"container": "box", "key": "k07"}).execute({})
    assert one["value"] == 7


def test_in_store_reads(project) -> None:
    # The store goes into the drafts: the emulator does not assign the store to a customer created
    # through in-store/key=eu/customers (the real API does).
    project.api.post("stores", {"key": "eu", "name": {"en": "EU"}})
    in_eu = project.seed(
        "customer",
        [
            {"email": f"eu{i}@example.com", "password": "x", "stores": [{"typeId": "store", "key": "eu"}]}
            for i in range(5)
        ],
    )
    project.seed("customer", [{"email": "global@example.com", "password": "x"}])

    result = subscriber(entity="customers", path={"store_key": "eu"}, page_size=2).execute({})

    read = [c["id"] for c in result]
    assert read == sorted(read) and len(read) == len(set(read))
    assert set(in_eu) <= set(read)
    # Emulator gap: in-store lists are not scoped to the store (the global customer is listed
    # too, and an unknown store key answers 200); the real API lists only the store's customers.
    # So only the path, the paging over it and the inclusion of the store's customers are checked.
    one = subscriber(entity="customers", path={"store_key": "eu", "id": in_eu[0]}).execute({})
    assert one["stores"] == [{"typeId": "store", "key": "eu"}]
