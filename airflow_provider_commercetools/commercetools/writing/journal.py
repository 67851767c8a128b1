"""The publisher's write-ahead journal, on the storage of ``output_path``: small objects any worker can read.

Beside ``output_path``, under the prefix ``<output_path>.journal/``, one attempt of a publisher task writes:

- ``running-<attempt>``: its marker, written when it starts, after it removed every other attempt's marker;
- ``<try>-<attempt>-<seq>.jsonl``: a sequence of small JSON Lines objects. Each is written and closed (on object
  storage: uploaded) **before** the items it announces are sent, and holds a line ``{"index", "sent"}`` (the
  item's fingerprint, see ``resume``) per item of the next chunk, and the result records completed since the
  object before it. One object per chunk of sends: a few requests per :data:`CHUNK` items.

After the object of a chunk is written, the attempt checks that its marker is still there (one HEAD). A newer
attempt (Airflow's retry, on any worker) removes the older markers before it reads the journal, so an older
attempt still running (an orphan whose worker died) sends nothing more after its next check, and what it
announced before that check is in the objects the newer attempt reads: those items count as maybe applied
there (keyed creates are looked up, keyless ones reported ``outcome_unknown``). A run that completes removes
the whole prefix.

Local paths and ``file://`` URLs hold the same objects as files in a folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from airflow_provider_commercetools.commercetools.errors import ConfigurationError
from airflow_provider_commercetools.commercetools.files import (
    exists,
    list_folder,
    local_path,
    read_json_lines,
    remove,
    remove_folder,
    write_json_lines,
)
from airflow_provider_commercetools.commercetools.results.files import record_line
from airflow_provider_commercetools.commercetools.results.records import ItemResult
from airflow_provider_commercetools.commercetools.writing.building import PreparedRequest

log = logging.getLogger(__name__)

#: Items announced by one journal object: an object (and a check of the marker) per this many sends.
CHUNK = 50
SUFFIX = ".journal/"
MARKER = "running-"
_OBJECT = re.compile(r"^(\d+)-([0-9a-f]+)-(\d+)\.jsonl$")


def journal_prefix(output: str) -> str:
    """Where the journal of ``output`` lives: ``<output>.journal/``."""
    return output + SUFFIX


class Journal:
    """The journal of one attempt (see the module docstring).

    :param output: the rendered ``output_path``.
    :param attempt: this attempt's name (the ``.partial-<attempt>`` of its results files).
    :param try_number: Airflow's try number when known (0 otherwise): in the object names, for people.
    :param chunk: items announced per object (default :data:`CHUNK`).
    """

    def __init__(self, output: str, attempt: str, *, try_number: int = 0, chunk: int | None = None) -> None:
        self.prefix = journal_prefix(output)
        self.attempt = attempt
        self.try_number = max(0, int(try_number or 0))
        self.chunk = max(1, chunk or CHUNK)
        self.marker = self.prefix + MARKER + attempt
        self._seq = 0
        self._pending: list[str] = []
        self._lock = threading.Lock()
        #: objects written and marker checks made (requests to the storage), for the benchmark
        self.writes = 0
        self.checks = 0
        #: set once the marker is found gone: a newer attempt took over
        self.superseded = False

    # -- what earlier attempts left -------------------------------------------------------------

    def earlier(self) -> Iterator[tuple[str, str]]:
        """``(attempt, object)`` of every journal object (of earlier attempts: this one wrote none yet)."""
        for name in list_folder(self.prefix):
            match = _OBJECT.match(name)
            if match is not None and match.group(2) != self.attempt:
                yield match.group(2), self.prefix + name

    @staticmethod
    def read(location: str) -> Iterator[Any]:
        """The lines of one journal object (a line cut short is skipped)."""
        return read_json_lines("output_path", location, on_bad_line=lambda text, problem: None)

    # -- this attempt ---------------------------------------------------------------------------

    def start(self) -> None:
        """Take over: remove the markers of other attempts (they stop at their next check), write this one's."""
        for name in list_folder(self.prefix):
            if name.startswith(MARKER) and name != MARKER + self.attempt:
                remove(self.prefix + name)
        self._write(self.marker, [json.dumps({"attempt": self.attempt, "try": self.try_number})])

    def note(self, result: ItemResult, line: str | None = None) -> None:
        """A record completed (from the worker threads): it goes into the next object. ``line``: its JSON line,
        if the caller made it already (``results.files.record_line``)."""
        if line is None:
            line = record_line(result)
        with self._lock:
            self._pending.append(line)

    def announce(self, requests: list[PreparedRequest], fingerprint: Callable[[Any], str]) -> bool:
        """Write the object announcing ``requests`` (and the records since the last one), then check the marker.

        Returns False when a newer attempt took over (the marker is gone): then nothing of them may be sent.
        """
        lines = [json.dumps({"index": r.index, "sent": fingerprint(r.item)}) for r in requests]
        with self._lock:
            lines, self._pending = self._pending + lines, []
            name = f"{self.try_number:03d}-{self.attempt}-{self._seq:06d}.jsonl"
            self._seq += 1
        self._write(self.prefix + name, lines)
        self.checks += 1
        if not exists(self.marker):
            self.superseded = True
        return not self.superseded

    def journaled(
        self,
        prepared: Iterable[PreparedRequest | ItemResult],
        fingerprint: Callable[[Any], str],
        *,
        stopped: Callable[[], bool],
        on_superseded: Callable[[], None],
    ) -> Iterator[PreparedRequest | ItemResult]:
        """``prepared``, a chunk at a time, each chunk's requests announced before the first of them is handed on.

        Once ``stopped()`` the rest is handed on without being announced (the publisher sends none of it);
        when a newer attempt took over, ``on_superseded()`` is called (it stops the publisher) first.
        """
        entries = iter(prepared)
        try:
            while True:
                chunk = list(islice(entries, self.chunk))
                if not chunk:
                    return
                requests = [entry for entry in chunk if isinstance(entry, PreparedRequest)]
                if requests and not stopped() and not self.announce(requests, fingerprint):
                    on_superseded()
                yield from chunk
        finally:
            close = getattr(entries, "close", None)
            if close is not None:
                close()

    def remove_all(self) -> None:
        """The run completed: the journal (every attempt's) is removed."""
        remove_folder(self.prefix)

    def abandon(self) -> None:
        """The run stopped: an attempt that announced nothing takes its marker (and an empty folder) away."""
        if self._seq:
            return  # what it announced is what a later attempt needs
        remove(self.marker)
        local = local_path(self.prefix)
        if local is not None:
            with contextlib.suppress(OSError):  # not empty: another attempt's objects
                os.rmdir(local)

    def describe(self) -> str:
        return self.prefix

    def _write(self, location: str, lines: list[str]) -> None:
        try:
            with write_json_lines("output_path", location) as writer:
                writer.write_texts(lines)
        except OSError as error:
            raise ConfigurationError(
                "output_path",
                f"cannot write the publisher's journal at {location!r}: {type(error).__name__}: {error}; the items "
                "it was to announce were not sent.",
                "Check that the location is writable (and its connection), then run the task again: it resumes.",
            ) from None
        self.writes += 1
