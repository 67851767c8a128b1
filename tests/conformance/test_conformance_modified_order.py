"""Windows read in ``(lastModifiedAt, id)`` order against the independent emulator (issue 22).

First what the order relies on, checked with plain HTTP: the emulator sorts by two repeated ``sort``
parameters and evaluates the compound continuation predicate. Then the subscriber: exact windows
with ties on equal ``lastModifiedAt`` across pages, sequential and with concurrent time ranges.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from tests.conformance.support import record_requests

START = dt.datetime(2026, 11, 27, 10, tzinfo=dt.timezone.utc)
SINCE, UNTIL = "2026-11-27T10:00:00.000Z", "2026-11-27T11:00:00.000Z"


def stamp(seconds: float) -> str:
    moment = START + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seed_window(project: Any) -> dict[str, str]:
    """Categories around and inside [10:00, 11:00): ties of 15 at three instants, both bounds, 1 ms inside."""
    seconds = [-0.001, 0.0, 3_599.999, 3_600.0, 3_600.001] + [600.0] * 15 + [1_800.5] * 15 + [0.0] * 14
    seconds += [i * 37.3 for i in range(60)]
    drafts = [
        {"key": f"m{i}", "name": {"en": f"m{i}"}, "slug": {"en": f"m{i}"}, "lastModifiedAt": stamp(s)}
        for i, s in enumerate(seconds)
    ]
    ids = project.seed("category", drafts, mode="unsafe")
    return dict(zip(ids, (stamp(s) for s in seconds), strict=True))


def expected(rows: dict[str, str]) -> list[str]:
    """The window's ids in (lastModifiedAt, id) order, from the seeded data."""
    return [i for t, i in sorted((t, i) for i, t in rows.items() if SINCE <= t < UNTIL)]


def test_the_emulator_sorts_by_two_keys_and_evaluates_the_continuation(project) -> None:
    rows = seed_window(project)
    order = expected(rows)
    after_time, after_id = rows[order[20]], order[20]  # inside the first run of ties at 10:10
    continuation = f'(lastModifiedAt > "{after_time}" or (lastModifiedAt = "{after_time}" and id > "{after_id}"))'

    page = project.api.get(
        "categories",
        sort=["lastModifiedAt asc", "id asc"],
        where=[f'lastModifiedAt >= "{SINCE}" and lastModifiedAt < "{UNTIL}"', continuation],
        limit=500,
        withTotal="false",
    )

    assert [c["id"] for c in page["results"]] == order[21:]
    assert "total" not in page


@pytest.mark.parametrize("concurrency", [1, 4])
def test_a_window_in_modified_order_is_exact_with_ties_across_pages(project, concurrency) -> None:
    rows = seed_window(project)
    operator = CommercetoolsSubscriberOperator(
        task_id="read",
        entity="categories",
        modified_since=SINCE,
        modified_until=UNTIL,
        page_size=7,
        concurrency=concurrency,
        settle=0,
    )
    log = record_requests(operator.hook.client)

    result = operator.execute({})

    ids = [c["id"] for c in result]
    assert sorted(ids) == sorted(expected(rows)) and len(ids) == len(set(ids))
    if concurrency == 1:
        assert ids == expected(rows)  # one walk: the file is in (lastModifiedAt, id) order
    queries = [q for q in log.queries("/categories") if q.get("limit") != ["1"]]  # not the clock read
    assert all(q["sort"] == ["lastModifiedAt asc", "id asc"] and q["withTotal"] == ["false"] for q in queries)
    if concurrency > 1:
        bounds = {w.split(" and ")[0] for q in queries for w in q["where"] if w.startswith("lastModifiedAt >=")}
        assert len(bounds) > 1  # the window was split into time ranges


def test_order_id_reads_the_same_window_in_id_order(project) -> None:
    rows = seed_window(project)
    result = CommercetoolsSubscriberOperator(
        task_id="read",
        entity="categories",
        modified_since=SINCE,
        modified_until=UNTIL,
        page_size=7,
        order="id",
        settle=0,
    ).execute({})
    assert [c["id"] for c in result] == sorted(expected(rows))
