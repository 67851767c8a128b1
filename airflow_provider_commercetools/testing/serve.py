"""``python -m airflow_provider_commercetools.testing serve``: a local commercetools for your own DAGs.

Starts the fake commercetools server as a standalone process: the auth and project API, the Import
API (an address of its own) and Messages, optionally seeded with a small demo catalogue. It prints
the Airflow connection to use (``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT=...``, with the ``import_url``
extra) and runs until Ctrl-C or SIGTERM::

    python -m airflow_provider_commercetools.testing serve --port 8989 --seed demo

Options: ``--host`` (default ``127.0.0.1``), ``--port`` (default 8989; 0: a free one),
``--import-port`` (default the port after ``--port``; 0: a free one), ``--project-key``,
``--client-id`` / ``--client-secret`` (the API client the fake accepts, with ``manage_project``
scope), ``--seed demo|none`` (default ``demo``).
"""

from __future__ import annotations

import argparse
import shlex
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from airflow_provider_commercetools.testing.demo import seed_demo
from airflow_provider_commercetools.testing.fake.commercetools import FakeCommercetools, connection_json
from airflow_provider_commercetools.testing.fake.import_api import FakeImportApi
from airflow_provider_commercetools.testing.fake.messages import FakeMessages

CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
DEFAULT_PORT = 8989


def parser() -> argparse.ArgumentParser:
    """The command line: ``serve`` and its options."""
    main = argparse.ArgumentParser(
        prog="python -m airflow_provider_commercetools.testing",
        description="Test helpers of airflow-provider-commercetools.",
    )
    commands = main.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a local fake commercetools (HTTP API, Import API, Messages)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="auth and HTTP API port (0: a free one)")
    serve.add_argument("--import-port", type=int, help="Import API port (default: --port + 1; 0: a free one)")
    serve.add_argument("--project-key", default="test-project")
    serve.add_argument("--client-id", default="test-client")
    serve.add_argument("--client-secret", default="test-secret")
    serve.add_argument("--seed", choices=("demo", "none"), default="demo", help="initial data (default: demo)")
    return main


def import_port(args: argparse.Namespace) -> int:
    """The Import API's port: ``--import-port``, else the one after ``--port`` (0 when that is 0)."""
    if args.import_port is not None:
        return int(args.import_port)
    return args.port + 1 if args.port else 0


def start(args: argparse.Namespace) -> tuple[FakeCommercetools, FakeImportApi]:
    """The started fake (with Messages and the Import API) that ``serve`` runs."""
    fake = FakeCommercetools(project_key=args.project_key, client_id=args.client_id, client_secret=args.client_secret)
    if args.seed == "demo":
        seed_demo(fake)
    fake.start(host=args.host, port=args.port)
    FakeMessages(fake)
    try:
        import_api = FakeImportApi(fake, port=import_port(args))
    except BaseException:
        fake.stop()
        raise
    return fake, import_api


def serve(args: argparse.Namespace, stop: threading.Event) -> None:
    """Run the fake until ``stop`` is set, printing the connection to use."""
    fake, import_api = start(args)
    try:
        connection = connection_json(fake, import_url=import_api.url)
        print(f"Fake commercetools at {fake.url} (project {fake.project_key!r}, seed {args.seed})", flush=True)
        print(f"Import API at {import_api.url}; Messages enabled. Ctrl-C stops it. The connection:", flush=True)
        print(f"{CONNECTION_ENV}={shlex.quote(connection)}", flush=True)
        while not stop.wait(0.5):  # wakes up for signals on every platform
            pass
    finally:
        fake.stop()
        print("Stopped.", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """The entry point of ``python -m airflow_provider_commercetools.testing``."""
    args = parser().parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    serve(args, stop)
    return 0
