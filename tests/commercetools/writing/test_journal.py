"""The publisher's journal: objects written before the sends they announce, taken over by a newer attempt,
and read back (alone: on object storage the results files of a killed attempt never reach the bucket)."""

from __future__ import annotations

import json
from pathlib import Path

from airflow_provider_commercetools.commercetools.results.files import ResultFiles
from airflow_provider_commercetools.commercetools.results.records import NOT_SENT, SUCCEEDED, ItemResult
from airflow_provider_commercetools.commercetools.writing.building import PublishDefaults, build_request
from airflow_provider_commercetools.commercetools.writing.journal import Journal
from airflow_provider_commercetools.commercetools.writing.resume import earlier_attempts, fingerprint

DEFAULTS = PublishDefaults.create(method="POST", entity="products")


def requests(count: int, *, keys: bool):  # type: ignore[no-untyped-def]
    return [
        build_request(
            DEFAULTS, i, {"name": {"en": f"P{i}"}} | ({"key": f"p{i}"} if keys else {}), label="", latest=False
        )
        for i in range(count)
    ]


def objects(journal: Journal) -> list[list[dict]]:  # type: ignore[type-arg]
    folder = Path(journal.prefix)
    return [[json.loads(line) for line in p.read_text().splitlines()] for p in sorted(folder.glob("*.jsonl"))]


def test_each_chunk_is_announced_in_an_object_written_before_any_of_it_is_handed_on(tmp_path):
    journal = Journal(str(tmp_path / "results.jsonl"), "a1", try_number=1, chunk=3)
    journal.start()
    seen: list[tuple[int, int]] = []  # (index handed on, objects written by then)
    for entry in journal.journaled(requests(7, keys=True), fingerprint, stopped=lambda: False, on_superseded=None):  # type: ignore[arg-type]
        seen.append((entry.index, len(objects(journal))))
        journal.note(ItemResult(entry.index, SUCCEEDED, entry.describe, response={"key": f"p{entry.index}"}))
    assert seen == [(0, 1), (1, 1), (2, 1), (3, 2), (4, 2), (5, 2), (6, 3)]
    written = objects(journal)
    assert [[line["index"] for line in o if "sent" in line] for o in written] == [[0, 1, 2], [3, 4, 5], [6]]
    # each object also carries the records completed since the one before
    assert [[line["index"] for line in o if "status" in line] for o in written] == [[], [0, 1, 2], [3, 4, 5]]
    assert sorted(p.name for p in Path(journal.prefix).iterdir())[-1] == "running-a1"
    journal.remove_all()
    assert not Path(journal.prefix).exists()


def test_a_newer_attempt_takes_over_and_the_older_one_stops_at_its_next_announcement(tmp_path):
    output = str(tmp_path / "results.jsonl")
    older = Journal(output, "a1", try_number=1, chunk=2)
    older.start()
    stopped: list[str] = []
    entries = older.journaled(
        requests(6, keys=True), fingerprint, stopped=lambda: bool(stopped), on_superseded=lambda: stopped.append("x")
    )
    assert [next(entries).index, next(entries).index] == [0, 1]
    newer = Journal(output, "b2", try_number=2)
    newer.start()  # the retry, on another worker
    rest = [entry.index for entry in entries]
    assert stopped == ["x"] and older.superseded  # told once, at the next announcement: the rest is not sent
    assert rest == [2, 3, 4, 5]  # handed on to be recorded not_sent (the publisher is stopped)
    # what the older attempt announced before it noticed is what the newer one reads: it may have been sent
    files = ResultFiles(output)
    earlier = earlier_attempts(files, newer)
    assert earlier is not None and len(earlier) == 4  # items 0-3 announced; 4 and 5 never


def test_the_journal_alone_tells_a_retry_what_may_have_been_applied(tmp_path):
    """On object storage a killed attempt's results files are lost: the journal's objects are all there is."""
    output = str(tmp_path / "results.jsonl")
    killed = Journal(output, "a1", try_number=1, chunk=2)
    killed.start()
    sent = requests(6, keys=False)
    killed.announce(sent[0:2], fingerprint)
    killed.note(ItemResult(0, SUCCEEDED, "POST products", response={"id": "x0"}))
    killed.note(ItemResult(1, NOT_SENT, "POST products", item=sent[1].item))
    killed.announce(sent[2:4], fingerprint)  # then SIGKILL: 2 and 3 may or may not have been applied

    retry = Journal(output, "b2", try_number=2)
    retry.start()
    earlier = earlier_attempts(ResultFiles(output), retry)
    assert earlier is not None
    outcomes = {r.index: earlier.apply(r, resend_unknown=False) for r in requests(6, keys=False)}
    assert outcomes[0].status == SUCCEEDED and "earlier attempt" in outcomes[0].note  # type: ignore[union-attr]
    assert outcomes[1] == sent[1]  # recorded not sent by the attempt that announced it: sent as usual
    assert {outcomes[i].status for i in (2, 3)} == {"outcome_unknown"}  # type: ignore[union-attr]
    assert all("resend_unknown=True" in outcomes[i].note for i in (2, 3))  # type: ignore[union-attr]
    assert outcomes[4] == sent[4] and outcomes[5] == sent[5]  # never announced
    resent = earlier.apply(requests(6, keys=False)[2], resend_unknown=True)
    assert getattr(resent, "sent_before", False)
    keyed = earlier.apply(requests(6, keys=True)[3], resend_unknown=False)
    assert getattr(keyed, "sent_before", False)  # a keyed one is looked up before it is sent
