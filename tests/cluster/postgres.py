"""The cluster's PostgreSQL (metadata DB and Celery result backend): Debian's ``postgresql`` binaries, a
throw-away data directory, trust authentication on 127.0.0.1; as root it runs as the ``postgres`` user."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import subprocess
from pathlib import Path


class ClusterError(RuntimeError):
    """A part of the cluster is missing, did not start in time, or exited."""


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise ClusterError(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run bash scripts/install_services.sh"
        )
    return Path(found[-1]).parent


class Postgres:
    """One PostgreSQL server in ``data`` (a new directory) listening on 127.0.0.1:``port``, with a database
    ``airflow``."""

    def __init__(self, data: Path, port: int) -> None:
        self.data, self.port = data, port
        self.log = data / "server.log"
        self._user: str | None = None

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
        cmd = [str(postgres_bin() / args[0]), *args[1:]]
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, timeout=timeout, check=True, stdin=subprocess.DEVNULL)

    def start(self) -> None:
        """initdb, start, create the database; as root, as the ``postgres`` user."""
        self.data.mkdir()
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise ClusterError("running as root needs the postgres user (Debian's postgresql package)") from exc
            self._user = "postgres"
            os.chmod(self.data.parent, 0o755)
            os.chown(self.data, user.pw_uid, user.pw_gid)
        try:
            self._run(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"], timeout=120)
            options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
            self._run(
                ["pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start"],
                timeout=90,
            )
            self._run(
                ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE airflow"],
                timeout=30,
            )
        except subprocess.CalledProcessError as exc:
            raise ClusterError(
                f"PostgreSQL: {' '.join(exc.cmd)} failed: {exc.stderr.decode(errors='replace')}"
            ) from exc

    def query(self, sql: str) -> list[str]:
        """The rows of ``sql`` in the ``airflow`` database, each as ``|``-separated text (psql)."""
        done = self._run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "airflow", "-tA", "-c", sql],
            timeout=30,
        )
        return done.stdout.decode().splitlines()

    def stop(self) -> None:
        """Stop it at once (its data is thrown away), if it was set up."""
        if (self.data / "PG_VERSION").exists():
            with contextlib.suppress(Exception):
                self._run(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop"], timeout=40)
