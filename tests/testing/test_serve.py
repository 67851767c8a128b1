"""``python -m airflow_provider_commercetools.testing serve``: the local commercetools, as a user starts it."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook
from airflow_provider_commercetools.testing.demo import demo_catalogue
from airflow_provider_commercetools.testing.serve import import_port, parser

CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 30
STOP_SECONDS = 15


class Served:
    """The ``serve`` process and the lines it printed (read by a thread, so every wait is bounded)."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        command = [sys.executable, "-m", "airflow_provider_commercetools.testing", "serve", *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def line_starting(self, prefix: str, timeout: float) -> str:
        """The first printed line starting with ``prefix`` (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            if line.startswith(prefix):
                return line
            seen.append(line)
        raise AssertionError(f"no line starting with {prefix!r} within {timeout}s; printed: {seen}")

    def stop(self) -> int:
        """SIGTERM, then the exit code (killed if it does not exit in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
            raise


@pytest.fixture
def served() -> Iterator[Served]:
    process = Served("--port", "0", "--import-port", "0", "--project-key", "local-shop", "--seed", "demo")
    try:
        yield process
    finally:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait(timeout=STOP_SECONDS)


def test_serve_prints_a_connection_that_the_hook_reads_and_imports_through(served, monkeypatch):
    line = served.line_starting(f"{CONNECTION_ENV}=", START_SECONDS)
    [assignment] = shlex.split(line)
    connection = json.loads(assignment.split("=", 1)[1])
    assert connection["conn_type"] == "commercetools" and connection["host"].startswith("http://127.0.0.1:")
    assert connection["extra"]["project_key"] == "local-shop"
    assert connection["extra"]["import_url"].startswith("http://127.0.0.1:")
    monkeypatch.setenv(CONNECTION_ENV, json.dumps(connection))
    hook = CommercetoolsHook()

    ok, message = hook.test_connection()
    assert ok, message
    assert "local-shop" in message

    products = hook.get("products", query={"limit": 100, "sort": "key asc"})
    expected = sorted((p["key"], p["id"]) for p in demo_catalogue()["products"])
    assert [(p["key"], p["id"]) for p in products["results"]] == expected
    clothing = hook.get("categories", path={"key": "clothing"})

    imports = hook.import_client
    imports.request("POST", "import-containers", payload={"key": "local-import"})
    category = {"key": "hats", "name": {"en": "Hats"}, "slug": {"en": "hats"}}
    category["parent"] = {"typeId": "category", "key": "clothing"}
    answer = imports.request(
        "POST", "categories/import-containers/local-import", payload={"type": "category", "resources": [category]}
    )
    assert [status["state"] for status in answer["operationStatus"]] == ["processing"]
    # the summary is eventually consistent (it lags the operation by the fake's summary_delay): poll it
    deadline = time.monotonic() + 10
    summary = imports.request("GET", "import-containers/local-import/import-summaries")
    while summary["states"]["imported"] != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
        summary = imports.request("GET", "import-containers/local-import/import-summaries")
    assert summary["states"]["imported"] == 1 and summary["total"] == 1

    hats = hook.get("categories", path={"key": "hats"})
    assert hats["parent"] == {"typeId": "category", "id": clothing["id"]}
    messages = hook.get("messages", query={"where": 'type = "CategoryCreated"'})
    assert [m["resource"]["id"] for m in messages["results"]] == [hats["id"]]

    assert served.stop() == 0
    served.line_starting("Stopped.", STOP_SECONDS)


def test_the_demo_seed_is_deterministic():
    first, second = demo_catalogue(), demo_catalogue()
    assert first == second
    assert {name: len(entities) for name, entities in first.items()} == {
        "product-types": 2,
        "categories": 3,
        "products": 5,
        "inventory": 9,
        "customers": 3,
        "orders": 3,
    }
    skus = {e["sku"] for e in first["inventory"]}
    for product in first["products"]:
        current = product["masterData"]["current"]
        assert {v["sku"] for v in [current["masterVariant"], *current["variants"]]} <= skus


def test_serve_binds_loopback_port_8989_and_the_import_api_next_to_it_by_default():
    args = parser().parse_args(["serve"])
    assert (args.host, args.port, import_port(args), args.seed) == ("127.0.0.1", 8989, 8990, "demo")
    assert import_port(parser().parse_args(["serve", "--port", "0"])) == 0
    assert import_port(parser().parse_args(["serve", "--import-port", "9100"])) == 9100
