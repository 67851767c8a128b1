"""The publisher's results and failures files: streamed under ``.partial-<attempt>`` names, moved into place
when the batch is done, with a journal that lets a killed run be resumed.

While a run works, beside ``output_path`` it writes ``<output_path>.partial-<attempt>`` (every record),
``<failures_path>.partial-<attempt>`` (failed and not-sent records) and
``<output_path>.partial-<attempt>.sent`` (a line ``{"index", "sent": <fingerprint>}`` before each item's
first request, flushed). A complete run moves the first two into place and removes every leftover.
A run that is killed leaves them behind: the next run with the same ``output_path`` reads them
(:class:`~airflow_provider_commercetools.commercetools.writing.EarlierAttempts`). Leftovers are
found for local paths and ``file://`` URLs; with other object storage a killed run's files stay
under their ``.partial-*`` names and are not read back.
"""

from __future__ import annotations

import glob
import json
import os
import threading
import uuid
from contextlib import ExitStack
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import (
    JsonLinesWriter,
    check_location,
    is_url,
    move,
    read_json_lines,
    remove,
    write_json_lines,
)
from airflow_provider_commercetools.commercetools.writing import (
    TO_RESEND,
    EarlierAttempts,
    ItemResult,
    PreparedRequest,
    failures_location,
    fingerprint,
)

PARTIAL = ".partial-"
JOURNAL = ".sent"


def items_file(location: str) -> str:
    """Check that ``items`` names a readable JSON Lines file (local files are checked for existence)."""
    location = check_location("items", location)
    if not is_url(location) and not os.path.isfile(location):
        raise ConfigurationError(
            "items", f"{location!r} is not a file.", "Give a JSON Lines file of items, or a list of items."
        )
    return location


def _local(location: str) -> str | None:
    if not is_url(location):
        return location
    if location.lower().startswith("file://"):
        return location[len("file://") :]
    return None


class ResultFiles:
    """The files of one run (one attempt) at ``output``; see the module docstring."""

    def __init__(self, output: Any) -> None:
        self.output = check_location("output_path", output)
        self.failures = failures_location(self.output)
        self.attempt = uuid.uuid4().hex[:12]
        suffix = PARTIAL + self.attempt
        self.partial = {self.output: self.output + suffix, self.failures: self.failures + suffix}
        self.journal_path = self.output + suffix + JOURNAL
        self._lock = threading.Lock()
        self._stack = ExitStack()
        self._results: JsonLinesWriter | None = None
        self._failed: JsonLinesWriter | None = None
        self._journal: JsonLinesWriter | None = None
        self.written = 0
        #: moved into place (complete) or given up (abandon)
        self.finished = False

    # -- what earlier attempts left -------------------------------------------------------------

    def leftovers(self) -> list[str]:
        """The ``.partial-*`` files of earlier attempts beside the output (local paths only)."""
        found: list[str] = []
        for target in (self.output, self.failures):
            local = _local(target)
            if local is None:
                continue
            prefix = target[: len(target) - len(local)]
            found.extend(prefix + path for path in sorted(glob.glob(glob.escape(local) + PARTIAL + "*")))
        own = {*self.partial.values(), self.journal_path}
        return [path for path in found if path not in own]

    def earlier_attempts(self) -> EarlierAttempts | None:
        """The merged records of the leftovers (journals and results), or None when there are none."""
        prefix = self.output + PARTIAL
        sources = [p for p in self.leftovers() if p.startswith(prefix)]
        if not sources:
            return None
        earlier = EarlierAttempts(sources)
        for source in sources:
            for line in read_json_lines("output_path", source, on_bad_line=lambda text, problem: None):
                earlier.add(line)  # a line cut short by the kill is skipped
        return earlier

    # -- writing --------------------------------------------------------------------------------

    def open(self) -> ResultFiles:
        """Open the partial files and the journal, before any request: an unwritable location fails here."""
        for target in (self.output, self.failures):
            local = _local(target)
            if local is not None and os.path.isdir(local):
                raise ConfigurationError(
                    "output_path",
                    f"cannot write the results at {target!r}: it is a directory.",
                    "Give a file path inside it, e.g. .../results.jsonl; nothing was sent.",
                )
        try:
            self._results = self._stack.enter_context(write_json_lines("output_path", self.partial[self.output]))
            self._failed = self._stack.enter_context(write_json_lines("output_path", self.partial[self.failures]))
            self._journal = self._stack.enter_context(write_json_lines("output_path", self.journal_path))
        except (OSError, ConfigurationError) as error:  # files.open_text names the location already
            self.close()
            self._remove_own()
            cause = error.problem if isinstance(error, ConfigurationError) else f"{type(error).__name__}: {error}"
            raise ConfigurationError(
                "output_path",
                f"cannot write the results at {self.output!r}: {cause}.",
                "Give a path in a writable directory (its parent must not be a file), or a URL such as "
                "s3://conn@bucket/key; nothing was sent.",
            ) from None
        return self

    def sent(self, request: PreparedRequest) -> None:
        """Journal an item before its first request (from the worker threads)."""
        with self._lock:
            if self._journal is not None:
                self._journal.write_texts([_line({"index": request.index, "sent": fingerprint(request.item)})])
                self._journal.flush()

    def write(self, result: ItemResult) -> None:
        """Write one record (to the failures too, when it failed or was not sent)."""
        line = _line(result.to_record())
        with self._lock:
            if self._results is None or self._failed is None:
                return
            # one write per line: a signal that interrupts the task cannot leave half a line behind
            self._results.write_texts([line])
            self._results.flush()
            if result.status in TO_RESEND:
                self._failed.write_texts([line])
                self._failed.flush()
            self.written += 1

    def close(self) -> None:
        with self._lock:
            self._results = self._failed = self._journal = None
            self._stack.close()

    def complete(self) -> None:
        """Move the results and failures into place; remove the journal and every earlier attempt's leftovers."""
        self.close()
        self.finished = True
        for final, partial in self.partial.items():
            move(partial, final)
        remove(self.journal_path)
        for leftover in self.leftovers():
            remove(leftover)

    def abandon(self) -> bool:
        """The run stopped early: keep the partial files for a re-run, unless nothing was sent or written.

        Returns whether they were kept.
        """
        self.close()
        self.finished = True
        if self.written == 0 and _empty(self.journal_path):
            self._remove_own()
            return False
        return True

    def _remove_own(self) -> None:
        for path in (*self.partial.values(), self.journal_path):
            remove(path)

    def describe_partial(self) -> str:
        return ", ".join([*self.partial.values(), self.journal_path])


def _line(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _empty(location: str) -> bool:
    local = _local(location)
    if local is None:
        return False
    try:
        return os.path.getsize(local) == 0
    except OSError:
        return True
