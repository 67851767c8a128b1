"""One publishing run as an operator starts it: the items, the results files, resuming, and the results loop.

The operator renders its parameters and builds the :class:`~.publisher.Publisher`; :class:`PublishRun`
does the rest: reads ``items`` (a list, a file, none), opens the results files (reading what an
interrupted earlier attempt left), feeds the publisher and counts every result in a
:class:`~airflow_provider_commercetools.commercetools.results.report.Report`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from airflow_provider_commercetools.commercetools.checks import parse_json_string
from airflow_provider_commercetools.commercetools.files import read_json_lines
from airflow_provider_commercetools.commercetools.results.files import ResultFiles, record_line
from airflow_provider_commercetools.commercetools.results.records import FAILED, ItemResult, UnreadableItem
from airflow_provider_commercetools.commercetools.results.report import PublishReport, Report
from airflow_provider_commercetools.commercetools.writing.building import PreparedRequest, PublishDefaults
from airflow_provider_commercetools.commercetools.writing.items import ItemsFile, items_file, items_source
from airflow_provider_commercetools.commercetools.writing.journal import Journal
from airflow_provider_commercetools.commercetools.writing.publisher import Publisher
from airflow_provider_commercetools.commercetools.writing.resume import EarlierAttempts, earlier_attempts, fingerprint

#: Failed items logged one by one before the log only counts them.
MAX_LOGGED_FAILURES = 50
PROGRESS_EVERY_SECONDS = 30.0

log = logging.getLogger(__name__)


def read_source(items: Any) -> list[Any] | ItemsFile | None:
    """The rendered ``items`` as a source: None (one request), a list, or a JSON Lines file that exists."""
    source = items_source(parse_json_string("items", items))
    return ItemsFile(items_file(source.location)) if isinstance(source, ItemsFile) else source


class PublishRun:
    """The items and results files of one run (one attempt) of a publisher task.

    :param items: the rendered ``items``.
    :param output_path: the rendered ``output_path`` (None or "": results to XCom only).
    :param try_number: Airflow's try number, when known (it names the journal's objects).
    :param journal_chunk: items announced per journal object (default ``journal.CHUNK``).
    """

    def __init__(
        self,
        items: Any,
        output_path: str | None,
        *,
        try_number: int = 0,
        journal_chunk: int | None = None,
        logger: logging.Logger | Any = None,
    ) -> None:
        self.log = logger or log
        self.source = read_source(items)
        self.files = None if output_path in (None, "") else ResultFiles(output_path)
        self.journal: Journal | None = None
        self.earlier: EarlierAttempts | None = None
        if self.files is not None:
            self.journal = Journal(self.files.output, self.files.attempt, try_number=try_number, chunk=journal_chunk)
        self.report: Report = PublishReport()
        self.completed = False
        self._publisher: Publisher | None = None

    def open(self) -> PublishRun:
        """Open the files, take over from earlier attempts and check the items against theirs: all before any
        request."""
        if self.files is not None and self.journal is not None:
            self.files.open()  # an unwritable output_path fails here
            # Take over first: an older attempt still running sends nothing it did not announce before this
            # (it checks its marker after each announcement), so what is read next is all it may have sent.
            self.journal.start()
            self.earlier = earlier_attempts(self.files, self.journal)
        if self.earlier:
            self.earlier.check_all(self._items())
        return self

    def close(self) -> None:
        """Stopped before publishing (e.g. an invalid batch): the files are removed when empty."""
        if self.files is not None and not self.files.finished:
            self.files.abandon()
        if self.journal is not None and not self.completed:
            self.journal.abandon()

    def publisher(self, client: Any, defaults: PublishDefaults, **options: Any) -> Publisher:
        """The publisher of these items, writing the results files (``options``: the operator's settings)."""
        self._publisher = Publisher(
            client,
            defaults,
            single=self.source is None,
            earlier=self.earlier,
            on_result=self._record if self.files is not None else None,
            **options,
        )
        return self._publisher

    def _record(self, result: ItemResult) -> None:
        """The publisher's ``on_result``: the results files, and the journal's next object (one JSON line for both)."""
        line = record_line(result)
        if self.files is not None:
            self.files.write(result, line)
        if self.journal is not None:
            self.journal.note(result, line)

    def _superseded(self) -> None:
        if self._publisher is not None and self.journal is not None:
            self._publisher.stop(
                f"a newer attempt of this task took over (its marker replaced this one's in {self.journal.prefix}); "
                "this attempt sends nothing more"
            )

    def _items(self) -> Iterable[Any]:
        if self.source is None:
            return [{}]
        if isinstance(self.source, list):
            return self.source
        return read_json_lines("items", self.source.location, on_bad_line=UnreadableItem)

    def prepare(self, publisher: Publisher, settings: str) -> Iterable[PreparedRequest | ItemResult]:
        """The requests to send (a list validated at once, a file's lines one by one); logs what is published."""
        prepared: Iterable[PreparedRequest | ItemResult]
        if self.source is None:
            prepared, what = publisher.prepare_all([{}], strict=True), "1 request"
        elif isinstance(self.source, list):
            prepared, what = publisher.prepare_all(self.source), f"{len(self.source)} items"
        else:
            prepared, what = publisher.iter_prepared(self._items()), f"the items of {self.source.location!r}"
        if self.journal is not None:  # each chunk announced before any of it is sent
            prepared = self.journal.journaled(
                prepared, fingerprint, stopped=lambda: publisher.stopped, on_superseded=self._superseded
            )
        earlier = self.earlier
        self.log.info(
            "Publishing %s: %s%s%s",
            what,
            settings,
            f", results to {self.files.output!r}" if self.files else "",
            f"; resuming an interrupted attempt ({len(earlier)} items recorded in {earlier.sources})"
            if earlier
            else "",
        )
        return prepared

    def consume(
        self, publisher: Publisher, prepared: Iterable[PreparedRequest | ItemResult], killed: Callable[[], bool]
    ) -> None:
        """Count and log every result; when interrupted, record the items in flight as outcome unknown, keep the files.

        The publisher writes the records (``on_result``), a sent item's from its worker thread: an exception
        raised here at any instant (Airflow 2's SIGTERM handler) cannot lose one.
        """
        report = self.report
        results = publisher.publish(prepared)
        logged = 0
        last_progress = time.monotonic()
        try:
            for result in results:
                report.add(result)
                if result.status == FAILED:
                    logged += 1
                    self._log_failure(result, logged)
                if time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS:
                    last_progress = time.monotonic()
                    self.log.info("Progress: %s", report.describe())
            self.completed = True
        finally:
            results.close()
            if isinstance(prepared, Iterator):
                close = getattr(prepared, "close", None)
                if close is not None:
                    close()  # releases the items file before it may be replaced
            if not self.completed:
                for result in publisher.unfinished():  # recorded by the publisher
                    report.add(result)
            if self.files is not None and self.journal is not None:
                if self.completed and not killed() and not self.journal.superseded:
                    self.files.complete()
                    self.journal.remove_all()
                else:
                    self.completed = False
                    self.files.abandon()
                    self.log.error(
                        "Publishing stopped before every item was sent; the records so far are in %s: run the task "
                        "again with the same items and output_path to resume",
                        self.describe_partial(),
                    )

    def _log_failure(self, result: ItemResult, logged: int) -> None:
        if logged <= MAX_LOGGED_FAILURES:
            error = result.error or {}
            self.log.warning("items[%d] failed: %s: %s", result.index, error.get("type"), error.get("message"))
        elif logged == MAX_LOGGED_FAILURES + 1:
            self.log.warning("More items failed; they are counted, no longer logged one by one")

    def summary(self) -> dict[str, Any]:
        """What XCom gets: the counts and the files' paths, or without files the bounded lists."""
        files = self.files
        return self.report.summary(files.output if files else None, files.failures if files else None)

    def where(self) -> str:
        """Where the failures are and how to finish the job, for the error (once items were applied, why
        Airflow's retries do not run)."""
        files = self.files
        where = self.report.where(files.output if files else None, files.failures if files else None)
        if self.report.nothing_applied:  # retrying the task (Airflow's retries) doubles nothing
            return where
        return where + (
            " Not retried automatically: items were (or may have been) applied, and running the whole batch "
            "again would send them twice."
        )

    def where_after_kill(self) -> str:
        """What the records of a killed run are, and how to resume it."""
        if self.files is None:
            return (
                "Without output_path nothing records what was applied: running the task again sends every item "
                "again (creates with a key then fail with DuplicateField, creates without a key exist twice)."
            )
        return (
            f"The records so far are in {self.describe_partial()}: run the task again with the same items "
            "and output_path (Airflow's retries do) to send only what was not applied."
        )

    def describe_partial(self) -> str:
        """Where a stopped run's records are: its partial files and the journal."""
        files = self.files.describe_partial() if self.files is not None else ""
        return f"{files} and the journal {self.journal.prefix}" if self.journal is not None else files
