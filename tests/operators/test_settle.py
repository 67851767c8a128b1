"""Windows on commercetools' clock: real DAG runs over consecutive intervals against a fake whose clock
differs from the worker's and whose writes show in queries late."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.commercetools.reading.settle import WindowNotSettledError, check_settle
from airflow_provider_commercetools.testing import FakeCommercetools
from airflow_provider_commercetools.testing.fake.messages import FakeMessages
from tests.airflow_runner import xcom_result
from tests.messages_support import create, delete

INTERVAL = 4  # seconds: the test DAG's schedule
SERVER_BEHIND = -3600.0  # the server's clock is an hour behind the worker's


def server_now(ct: FakeCommercetools) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=ct.clock_offset)


def stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Writer(threading.Thread):
    """Creates a product, and deletes the one before, every 0.2 s until the server's clock reaches ``stop``."""

    def __init__(self, ct: FakeCommercetools, stop: dt.datetime) -> None:
        super().__init__(daemon=True)
        self.ct, self.stop = ct, stop
        self.created: list[dict[str, Any]] = []
        self.deleted: list[dict[str, Any]] = []

    def run(self) -> None:
        for n in range(1000):  # bounded
            if server_now(self.ct) >= self.stop:
                return
            self.created.append(create(self.ct, "products", {"key": f"p{n}", "productType": {"id": "t"}}))
            if n % 2:
                victim = self.created[-2]
                delete(self.ct, "products", victim)
                self.deleted.append(victim)
            time.sleep(0.2)


def run_intervals(
    run_dag: Any, ct: FakeCommercetools, tmp_path: Any, settle: float, overlap: float = 0
) -> tuple[list, Writer]:
    """Two consecutive scheduled intervals ending at L0 and L0 + 4 s (server time), run as soon as
    possible while a writer writes through both; returns each run's (interval, changed ids, deleted ids)."""
    first_end = server_now(ct).replace(microsecond=0) + dt.timedelta(seconds=INTERVAL)
    writer = Writer(ct, first_end + dt.timedelta(seconds=INTERVAL))
    writer.start()
    runs = []
    for end in (first_end, first_end + dt.timedelta(seconds=INTERVAL)):
        dag_run = run_dag(
            "incremental_clock_dag",
            logical_date=end,
            run_conf={"output_dir": str(tmp_path), "settle": settle, "overlap": overlap},
        )
        assert dag_run.state == "success", dag_run.state
        changed = xcom_result(dag_run, "export_products")
        deleted = xcom_result(dag_run, "export_deletions")
        ids = [e["id"] for e in read_json_lines("path", changed["path"])]
        gone = [d["id"] for d in read_json_lines("path", deleted["path"])]
        runs.append((end - dt.timedelta(seconds=INTERVAL), end, ids, gone))
    writer.join(30)
    return runs, writer


@pytest.fixture
def clock_fake(commercetools_connection: FakeCommercetools) -> FakeCommercetools:
    FakeMessages(commercetools_connection)
    commercetools_connection.clock_offset = SERVER_BEHIND
    commercetools_connection.visibility_delay = 1.0
    return commercetools_connection


def test_every_change_and_deletion_is_in_exactly_one_interval(clock_fake, run_dag, tmp_path):
    runs, writer = run_intervals(run_dag, clock_fake, tmp_path, settle=2)
    assert writer.created and writer.deleted
    # the data intervals are consecutive: [L0 - 4 s, L0) then [L0, L0 + 4 s)
    assert runs[0][1] == runs[1][0]
    window_of = {index: (start, end) for index, (start, end, _ids, _gone) in enumerate(runs)}
    expected_changed: list[set[str]] = [set(), set()]
    for entity in writer.created:
        created = stamp(entity["lastModifiedAt"])
        for index, (start, end) in window_of.items():
            if start <= created < end and entity not in writer.deleted:
                expected_changed[index].add(entity["id"])
    all_exported = [i for run in runs for i in run[2]]
    assert len(all_exported) == len(set(all_exported)), "a change is in two intervals' files"
    for index, (_start, _end, ids, _gone) in enumerate(runs):
        assert expected_changed[index] <= set(ids)
    deletions = [d for run in runs for d in run[3]]
    assert len(deletions) == len(set(deletions)), "a deletion is in two intervals' files"
    messages = {
        m["resource"]["id"]: stamp(m["createdAt"])
        for m in clock_fake.entities("messages")
        if m["type"] == "ProductDeleted"
    }
    for start, end, _ids, gone in runs:
        assert set(gone) == {i for i, at in messages.items() if start <= at < end}
    # late writes near the first window's end were caught: some change stamped in its last second
    assert any(
        stamp(e["lastModifiedAt"]) >= runs[0][1] - dt.timedelta(seconds=1)
        for e in writer.created
        if e["id"] in runs[0][2]
    )


def test_without_settle_a_late_write_is_lost(clock_fake, run_dag, tmp_path):
    """The control: with settle 0 a run reads at its window's end and misses what shows late.

    Writes show 30 s late here (not 1 s), so that a run started seconds late on a loaded machine still
    reads before its last writes show: the control does not depend on how fast the DAG run starts."""
    clock_fake.visibility_delay = 30.0
    runs, writer = run_intervals(run_dag, clock_fake, tmp_path, settle=0)
    exported = {i for run in runs for i in run[2]}
    missed = [
        e
        for e in writer.created
        if runs[0][0] <= stamp(e["lastModifiedAt"]) < runs[1][1] and e["id"] not in exported and e not in writer.deleted
    ]
    assert missed, "every write was exported without a settle delay: the test cannot tell"


def test_with_overlap_a_write_shown_later_than_settle_is_in_the_next_intervals_file(clock_fake, run_dag, tmp_path):
    """settle 0 loses late writes (the control above); overlap = one interval reads them in the next run,
    and the rows read twice are the same (id, version), so a merge on it deduplicates."""
    runs, writer = run_intervals(run_dag, clock_fake, tmp_path, settle=0, overlap=INTERVAL)
    rows = [row for path in sorted(tmp_path.glob("products-*.jsonl")) for row in read_json_lines("path", str(path))]
    assert all("id" in row and "version" in row for row in rows)
    exported = {row["id"] for row in rows}
    first_start, first_end = runs[0][0], runs[0][1]
    in_first = [
        e for e in writer.created if first_start <= stamp(e["lastModifiedAt"]) < first_end and e not in writer.deleted
    ]
    assert in_first and all(e["id"] in exported for e in in_first)
    assert len({(row["id"], row["version"]) for row in rows}) < len(rows), "no row was read twice"


def test_a_future_window_is_refused_with_the_servers_time(clock_fake, run_dag, tmp_path):
    end = server_now(clock_fake) + dt.timedelta(hours=2)
    dag_run = run_dag("incremental_clock_dag", logical_date=end, run_conf={"output_dir": str(tmp_path), "settle": 2})
    assert dag_run.state == "failed"
    assert not list(tmp_path.iterdir())
    reads = [r for r in clock_fake.requests if r.path.endswith("/products") and "where" in r.query]
    assert reads == []


def test_settle_is_checked():
    assert check_settle("120") == dt.timedelta(seconds=120)
    assert check_settle(dt.timedelta(minutes=1)) == dt.timedelta(seconds=60)
    with pytest.raises(ConfigurationError, match="settle"):
        check_settle("soon")
    with pytest.raises(ConfigurationError, match="settle"):
        check_settle(-1)
    assert WindowNotSettledError


def test_a_long_wait_defers_to_the_triggerer_then_reads_after_the_window_settled(clock_fake, run_dag, tmp_path):
    """longest_sleep=0, deferrable: the window ends 1 s ahead of the server's clock, so a task can only
    succeed by deferring to DateTimeTrigger (dag.test() runs it inline) and checking the clock again;
    a product stamped just before the window's end and shown 1 s late proves the read came after it."""
    end = server_now(clock_fake).replace(microsecond=0) + dt.timedelta(seconds=2)
    start = end - dt.timedelta(seconds=INTERVAL)
    late: list[dict[str, Any]] = []

    def write_near_the_end() -> None:
        for _ in range(100):  # bounded: until the server's clock is 0.3 s before the window's end
            if server_now(clock_fake) >= end - dt.timedelta(seconds=0.3):
                break
            time.sleep(0.05)
        late.append(create(clock_fake, "products", {"key": "late", "productType": {"id": "t"}}))
        delete(clock_fake, "products", create(clock_fake, "products", {"key": "gone", "productType": {"id": "t"}}))

    writer = threading.Thread(target=write_near_the_end, daemon=True)
    writer.start()
    conf = {"output_dir": str(tmp_path), "since": start.isoformat(), "until": end.isoformat(), "settle": 2}
    dag_run = run_dag("settle_defer_dag", run_conf=conf)
    writer.join(10)
    assert dag_run.state == "success", dag_run.state
    assert late and start <= stamp(late[0]["lastModifiedAt"]) < end
    changed = [e["id"] for e in read_json_lines("path", xcom_result(dag_run, "export_products")["path"])]
    assert late[0]["id"] in changed
    gone = read_json_lines("path", xcom_result(dag_run, "export_deletions")["path"])
    assert [d["key"] for d in gone] == ["gone"]


def test_without_deferrable_a_wait_longer_than_longest_sleep_fails_saying_when(clock_fake):
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

    operator = CommercetoolsSubscriberOperator(
        task_id="t", entity="products", modified_until="x", settle=0, longest_sleep=0, deferrable=False
    )
    end = server_now(clock_fake) + dt.timedelta(seconds=30)
    with pytest.raises(WindowNotSettledError, match=r"at most 0 s.*longest_sleep"):
        operator.wait_for_window(end, dt.timedelta(0), lambda: server_now(clock_fake))


def test_longest_sleep_is_checked():
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

    with pytest.raises(ConfigurationError, match="longest_sleep"):
        CommercetoolsSubscriberOperator(task_id="t", entity="products", longest_sleep=-5)
