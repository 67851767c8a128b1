"""The subscriber's ``order`` in real DAG runs against the fake: a narrow window of a larger collection, read in
``(lastModifiedAt, id)`` order, sequential and with concurrent time ranges, is exactly the window's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator
from airflow_provider_commercetools.testing import FakeCommercetools
from tests.airflow_runner import xcom_result

END = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)  # the run's data interval is [11:00, 12:00)


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def seed(ct: FakeCommercetools) -> dict[str, str]:
    """1,500 products over 3 hours around the interval, ties of 10 at each of 30 instants in it, both bounds."""
    moments = [END - dt.timedelta(hours=3) + dt.timedelta(seconds=7.2 * i) for i in range(1_500)]
    moments += [END - dt.timedelta(minutes=2 * i) for i in range(1, 31) for _ in range(10)]
    moments += [
        END,
        END - dt.timedelta(hours=1),
        END - dt.timedelta(milliseconds=1),
        END - dt.timedelta(hours=1, milliseconds=1),
    ]
    stamps = [stamp(m) for m in moments]
    ids = ct.add_many("products", ({"key": f"p{i}", "lastModifiedAt": s} for i, s in enumerate(stamps)))
    return dict(zip(ids, stamps, strict=True))


def requests_of(ct: FakeCommercetools) -> list[Any]:
    return [r for r in ct.requests if r.path.endswith("/products") and r.query.get("limit") != ["1"]]


@pytest.mark.parametrize("order", ["auto", "modified"])
def test_a_narrow_window_in_modified_order_is_exactly_the_windows_rows(
    commercetools_connection, run_dag, tmp_path, order
):
    ct = commercetools_connection
    rows = seed(ct)

    dag_run = run_dag(
        "subscriber_modified_dag",
        logical_date=END,
        run_conf={"output_dir": str(tmp_path), "order": "auto", "concurrency": 4},
    )

    assert dag_run.state == "success"
    out = xcom_result(dag_run, "read_files")
    start, end = stamp(dt.datetime.fromisoformat(out["start"])), stamp(dt.datetime.fromisoformat(out["end"]))
    assert end == stamp(END)
    window = sorted((t, i) for i, t in rows.items() if start <= t < end)
    assert 0 < len(window) < len(rows) // 2
    walk = [(t, i) for i, t in out["walk"]]
    assert walk == window  # every row of the window once, in (lastModifiedAt, id) order
    ranges = [(t, i) for i, t in out["ranges"]]
    assert sorted(ranges) == window and len(ranges) == len(set(ranges))
    sent = requests_of(ct)
    assert all(r.query["sort"] == ["lastModifiedAt asc", "id asc"] for r in sent)
    starts = {w.split(" and ")[0] for r in sent for w in r.query["where"] if w.startswith("lastModifiedAt >=")}
    assert len(starts) >= 4  # the concurrent task split the hour into time ranges


def test_a_bad_order_fails_at_construction_or_before_any_request(commercetools_connection):
    with pytest.raises(ConfigurationError, match=r"^order: 'newest' is not an order of a read"):
        CommercetoolsSubscriberOperator(task_id="read", entity="products", order="newest")
    templated = CommercetoolsSubscriberOperator(
        task_id="read", entity="products", order="{{ params.order }}", modified_until=stamp(END), settle=0
    )
    templated.order = "sideways"  # what the template rendered to
    with pytest.raises(ConfigurationError, match=r"^order: 'sideways' is not an order"):
        templated.execute({})
    no_end = CommercetoolsSubscriberOperator(
        task_id="read", entity="products", order="modified", modified_since=stamp(END)
    )
    with pytest.raises(ConfigurationError, match=r"^order: 'modified' cannot apply: it needs modified_until"):
        no_end.execute({})
    assert commercetools_connection.requests == []
