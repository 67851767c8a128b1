"""The results and failures files of every writer: streamed under ``.partial-<attempt>`` names, moved into
place when the batch is done.

While a run works, beside ``output_path`` it writes ``<output_path>.partial-<attempt>`` (every record) and
``<failures_path>.partial-<attempt>`` (failed and not-sent records). A complete run moves both into place
and (resumable) removes every earlier attempt's leftovers. A resumable run that is killed leaves them
behind: the next run with the same ``output_path`` reads them
(:func:`~airflow_provider_commercetools.commercetools.writing.resume.earlier_attempts`). Leftovers are found
for local paths and ``file://`` URLs; other object storage uploads a file only when it is closed, so there
the publisher's journal (``writing.journal``: small objects, each closed before the sends it announces) is
what a later attempt reads.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import (
    PARTIAL,
    JsonLinesWriter,
    check_location,
    local_path,
    move,
    new_attempt,
    partials_beside,
    remove,
    write_json_lines,
)
from airflow_provider_commercetools.commercetools.results.records import TO_RESEND, ItemResult
from airflow_provider_commercetools.commercetools.results.report import failures_location


def _to_resend(result: ItemResult) -> bool:
    return result.status in TO_RESEND


class ResultFiles:
    """The files of one run (one attempt) at ``output``; see the module docstring.

    :param is_failure: which records also go to the failures file (default: those carrying their item).
    :param resumable: remove earlier attempts' leftovers once complete (the publisher resumes from them).
    """

    def __init__(
        self,
        output: Any,
        *,
        is_failure: Callable[[ItemResult], bool] = _to_resend,
        resumable: bool = True,
    ) -> None:
        self.output = check_location("output_path", output)
        self.failures = failures_location(self.output)
        self.attempt = new_attempt()
        suffix = PARTIAL + self.attempt
        self.partial = {self.output: self.output + suffix, self.failures: self.failures + suffix}
        self.is_failure = is_failure
        self.resumable = resumable
        self._lock = threading.Lock()
        self._stack = ExitStack()
        self._results: JsonLinesWriter | None = None
        self._failed: JsonLinesWriter | None = None
        self.written = 0
        #: moved into place (complete) or given up (abandon)
        self.finished = False

    # -- what earlier attempts left -------------------------------------------------------------

    def leftovers(self) -> list[str]:
        """The ``.partial-*`` files of earlier attempts beside the output (local paths only)."""
        found = [path for target in (self.output, self.failures) for path in partials_beside(target)]
        own = set(self._own())
        return [path for path in found if path not in own]

    def earlier_results(self) -> list[str]:
        """The leftover results files of earlier attempts (not their failures files)."""
        prefix = self.output + PARTIAL
        return [path for path in self.leftovers() if path.startswith(prefix)]

    # -- writing --------------------------------------------------------------------------------

    def open(self, *, before_sending: bool = True) -> ResultFiles:
        """Open the partial files, before any request: an unwritable location fails here."""
        nothing_sent = "; nothing was sent" if before_sending else ""
        for target in (self.output, self.failures):
            local = local_path(target)
            if local is not None and os.path.isdir(local):
                raise ConfigurationError(
                    "output_path",
                    f"cannot write the results at {target!r}: it is a directory.",
                    f"Give a file path inside it, e.g. .../results.jsonl{nothing_sent}.",
                )
        try:
            self._results = self._stack.enter_context(write_json_lines("output_path", self.partial[self.output]))
            self._failed = self._stack.enter_context(write_json_lines("output_path", self.partial[self.failures]))
        except (OSError, ConfigurationError) as error:  # files.open_text names the location already
            self.close()
            self._remove_own()
            cause = error.problem if isinstance(error, ConfigurationError) else f"{type(error).__name__}: {error}"
            raise ConfigurationError(
                "output_path",
                f"cannot write the results at {self.output!r}: {cause}.",
                "Give a path in a writable directory (its parent must not be a file), or a URL such as "
                f"s3://conn@bucket/key{nothing_sent}.",
            ) from None
        return self

    def write(self, result: ItemResult, line: str | None = None) -> None:
        """Write one record (to the failures too, when it failed or was not sent); ``line``: its JSON line, if
        the caller made it already (:func:`record_line`)."""
        if line is None:
            line = record_line(result)
        with self._lock:
            if self._results is None or self._failed is None:
                return
            # one write per line: a signal that interrupts the task cannot leave half a line behind
            self._results.write_texts([line])
            self._results.flush()
            if self.is_failure(result):
                self._failed.write_texts([line])
                self._failed.flush()
            self.written += 1

    def close(self) -> None:
        with self._lock:
            self._results = self._failed = None
            self._stack.close()

    def complete(self) -> None:
        """Move the results and failures into place; (resumable) remove every earlier attempt's leftovers."""
        self.close()
        self.finished = True
        for final, partial in self.partial.items():
            move(partial, final)
        if self.resumable:
            for leftover in self.leftovers():
                remove(leftover)

    def write_all(self, results: Iterable[ItemResult]) -> None:
        """Write a whole batch's records at once and move them into place; nothing is left if it fails."""
        self.open(before_sending=False)
        try:
            for result in results:
                self.write(result)
        except BaseException:
            self.close()
            self._remove_own()
            raise
        self.complete()

    def abandon(self) -> bool:
        """The run stopped early: keep the partial files for a re-run, unless nothing was written.

        Returns whether they were kept.
        """
        self.close()
        self.finished = True
        if self.written == 0:
            self._remove_own()
            return False
        return True

    def _own(self) -> list[str]:
        return list(self.partial.values())

    def _remove_own(self) -> None:
        for path in self._own():
            remove(path)

    def describe_partial(self) -> str:
        return ", ".join(self._own())


def record_line(result: ItemResult) -> str:
    """The record of ``result`` as one JSON line (without the newline), as the results files and the journal hold it."""
    return json.dumps(result.to_record(), separators=(",", ":"), ensure_ascii=False)
