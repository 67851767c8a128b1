"""Run an export in a process of its own and SIGKILL it once its partial file holds some bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def kill_once_written(
    script: str, partials: Path, pattern: str, least_bytes: int, env: dict[str, str] | None = None
) -> None:
    """Run ``script`` (Python) and SIGKILL it once the files ``partials.glob(pattern)`` hold ``least_bytes``.

    Fails the test if the process ends first; waits at most 60 s (bounded), asserts nothing on time.
    """
    process = subprocess.Popen([sys.executable, "-c", script], env=env or os.environ.copy(), stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(p.stat().st_size for p in partials.glob(pattern)) < least_bytes:
            if process.poll() is not None:
                pytest.fail(f"the export ended (exit {process.returncode}) before it could be killed")
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
