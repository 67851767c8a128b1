"""Process trees from /proc (Linux): the descendants of a process, killing a whole tree at once, and which
processes hold a TCP connection to a port. The cluster uses them to lose a worker as a node or a pod is
lost: every process of it at once, its task processes included (Airflow 3's task supervisor puts each
task in a process group of its own, so a signal to the worker's group alone leaves the task running).
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

PROC = Path("/proc")
_ESTABLISHED = "01"


def parents() -> dict[int, int]:
    """pid -> parent pid of every process (those that end while being read are left out)."""
    found: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
            found[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    return found


def tree(root: int) -> list[int]:
    """``root`` and all its descendants (children, their children...), root first."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def kill_tree(root: int) -> list[int]:
    """SIGKILL ``root``'s process tree: every process group in it, then each process (one that forked
    meanwhile is in a killed group); returns the pids that were found."""
    pids = tree(root)
    groups = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            groups.add(os.getpgid(pid))
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def _sockets_to(port: int) -> set[str]:
    """Inodes of the established TCP sockets whose remote end is ``port`` on this machine."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[3] == _ESTABLISHED:
                    inodes.add(fields[9])
    return inodes


def connected(pids: list[int], port: int) -> list[int]:
    """Those of ``pids`` that hold an established TCP connection to ``port``."""
    inodes = {f"socket:[{inode}]" for inode in _sockets_to(port)}
    return [pid for pid in pids if inodes & _open_files(pid)]


def _open_files(pid: int) -> set[str]:
    """What the file descriptors of ``pid`` point at (``socket:[inode]`` for sockets)."""
    targets = set()
    with contextlib.suppress(OSError):
        for fd in (PROC / str(pid) / "fd").iterdir():
            with contextlib.suppress(OSError):
                targets.add(os.readlink(fd))
    return targets
