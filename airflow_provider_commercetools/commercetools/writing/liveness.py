"""Noticing that the worker which started this task is gone, so that an orphaned task process stops sending.

Airflow runs a task in a process of its own, started by a parent that watches it: on Airflow 3 the
supervisor (which heartbeats to the execution API and kills the task when that heartbeat is refused), on
Airflow 2 the ``LocalTaskJob`` (``airflow tasks run --local``, which heartbeats to the database). Both put
the task process in a process group of its own, so when the worker's process group is killed (its main
process OOM-killed, a ``kill -9`` of the group), the task process survives as an orphan: nobody heartbeats
for it, nobody kills it, ``on_kill`` never runs, and after the heartbeat timeout Airflow runs the task again
elsewhere while the orphan goes on.

An orphan is re-parented (to init or a subreaper): :class:`ParentWatch` notices that ``os.getppid()``
changed, within ``interval`` seconds, and calls ``on_gone`` (the publisher stops: requests in flight finish,
the rest is recorded ``not_sent``). The journal's marker (``writing.journal``) is the second guard: a newer
attempt on any worker takes it away.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

#: Seconds between two looks at the parent process.
INTERVAL = 0.5


class ParentWatch:
    """Calls ``on_gone(reason)`` once, from a daemon thread, when this process's parent changes."""

    def __init__(self, on_gone: Callable[[str], None], *, interval: float = INTERVAL) -> None:
        self.on_gone = on_gone
        self.interval = interval
        self.parent = os.getppid()
        self.gone = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="commercetools-parent-watch", daemon=True)

    def __enter__(self) -> ParentWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            now = os.getppid()
            if now != self.parent:
                self.gone = True
                self.on_gone(
                    f"the worker process that started this task (pid {self.parent}) is gone (this process's parent "
                    f"is now pid {now}): an orphaned task sends nothing more; Airflow runs the task again after its "
                    "heartbeat timeout, and that attempt resumes from the journal"
                )
                return
