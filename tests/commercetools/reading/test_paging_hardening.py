"""Pages that do not look as asked for (issue 16, 7): too many results, results that are not entities."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import UnexpectedResponseError
from airflow_provider_commercetools.commercetools.reading import iter_entities, plan_read


class OversizedPages:
    """Answers every page request with ``page`` entities whatever the ``limit`` (ids after the keyset bound)."""

    def __init__(self, total: int, page: int) -> None:
        self.ids = [f"{i:08x}" for i in range(total)]
        self.page = page
        self.queries: list[dict[str, Any]] = []

    def request(self, method: str, path: str, *, query: Any = None, decode: Any = None) -> Any:
        self.queries.append(dict(query))
        start = int(query.get("offset") or 0)
        for predicate in query.get("where") or []:
            if predicate.startswith("id > "):
                start = self.ids.index(predicate.split('"')[1]) + 1
        return {"results": [{"id": i} for i in self.ids[start : start + self.page]]}


@pytest.mark.parametrize("query", [{}, {"sort": "createdAt asc"}], ids=["keyset", "offset"])
def test_max_items_cuts_a_page_larger_than_the_limit(query):
    client = OversizedPages(total=100, page=15)

    read = [e["id"] for e in iter_entities(client, "products", query=query, page_size=10, max_items=7)]

    assert read == client.ids[:7]
    assert len(client.queries) == 1 and client.queries[0]["limit"] == 7


@pytest.mark.parametrize("query", [{}, {"sort": "createdAt asc"}], ids=["keyset", "offset"])
def test_a_larger_page_than_asked_is_cut_to_the_limit_and_nothing_is_skipped(query):
    client = OversizedPages(total=35, page=15)

    read = [e["id"] for e in iter_entities(client, "products", query=query, page_size=10, max_items=25)]

    assert read == client.ids[:25]


def test_max_items_cuts_a_concurrent_read_too():
    client = OversizedPages(total=100, page=15)
    plan = plan_read(entity="products", page_size=10, max_items=7, concurrency=1)
    assert sum(page.count for page in plan.pages(client)) == 7


class OddResults:
    def __init__(self, results: Any) -> None:
        self.results = results

    def request(self, method: str, path: str, *, query: Any = None, decode: Any = None) -> Any:
        return {"results": self.results}


@pytest.mark.parametrize("results", [[1, 2, 3], ["a"], [None], [{"id": "a"}, [1]]])
def test_results_that_are_not_entities_are_a_typed_error(results):
    with pytest.raises(UnexpectedResponseError, match=r"the page's results are not entities: an element is"):
        list(iter_entities(OddResults(results), "products"))
