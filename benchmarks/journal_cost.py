"""What the publisher's journal costs: requests to the storage and seconds, for a batch of creates.

Run: ``PYTHONPATH=. .venv-cluster/bin/python benchmarks/journal_cost.py`` (the cluster venv has s3fs and
moto). It starts moto's S3 server on 127.0.0.1 and the fake commercetools in this process, then publishes
``ITEMS`` keyed product drafts with ``max_workers=WORKERS`` three ways: without ``output_path``, with a local
``output_path`` and with an ``s3://`` one (on moto), for several journal chunk sizes. It prints, per run,
the seconds, the journal objects written and the S3 requests made (counted by a botocore event hook).

Then the worker-loss case on S3: a publisher task process (``tests/operators/publisher_process.py``)
creating 800 drafts to an ``s3://`` output_path is SIGKILLed once 200 exist, and the task is run again
(as Airflow's retry, on any worker: it has only the journal's objects); printed per kind of draft (with
and without a key): what is on the server, copies of one draft at most, and the retry's counts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ITEMS = 2_000
WORKERS = 8
LATENCY = 0.005
CHUNKS = (10, 50, 200)
BUCKET = "journal-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    moto = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    urllib.request.urlopen(urllib.request.Request(f"{url}/{BUCKET}", method="PUT"), timeout=10).close()
    return process, url


class S3Requests:
    """Counts the requests s3fs sends (a botocore ``before-send`` hook on its client)."""

    def __init__(self) -> None:
        self.count = 0
        self._hooked: set[int] = set()

    def hook(self, url: str) -> None:
        from airflow.sdk import ObjectStoragePath

        fs = ObjectStoragePath(url).fs
        fs.connect() if getattr(fs, "_s3", None) is None else None
        client = fs.s3
        if id(client) not in self._hooked:
            client.meta.events.register("before-send.s3", self._count)
            self._hooked.add(id(client))

    def _count(self, **kwargs: Any) -> None:
        self.count += 1


def publish(output_path: str | None, drafts: list[dict[str, Any]], chunk: int) -> tuple[float, int]:
    from airflow_provider_commercetools.commercetools.writing import journal, run
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

    journal.CHUNK = chunk  # the journal's default, read when a run starts
    operator = CommercetoolsPublisherOperator(
        task_id="publish", entity="products", items=drafts, max_workers=WORKERS, output_path=output_path
    )
    written: list[int] = []
    original = run.PublishRun.consume

    def consume(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            original(self, *args, **kwargs)
        finally:
            written.append(self.journal.writes if self.journal is not None else 0)

    run.PublishRun.consume = consume  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        summary = operator.execute({})  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
    finally:
        run.PublishRun.consume = original  # type: ignore[method-assign]
    assert summary["succeeded"] == len(drafts), summary
    operator.hook.client.close()
    return seconds, written[0] if written else 0


def kill_and_resume(workdir: str, server: Any) -> None:
    """SIGKILL a publishing task process once 200 of 800 exist, then run the task again (s3:// output)."""
    import signal
    from collections import Counter

    from airflow_provider_commercetools.commercetools.files import write_json_lines
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

    repo = Path(__file__).parents[1]
    for keys in (True, False):
        server.clear()
        items = os.path.join(workdir, f"drafts-{keys}.jsonl")
        drafts = [
            {"ref": f"d{i:03d}", "name": {"en": "x"}} | ({"key": f"k{i:03d}"} if keys else {}) for i in range(800)
        ]
        with write_json_lines("items", items) as writer:
            writer.write_many(drafts)
        output = f"s3://aws_default@{BUCKET}/kill-{keys}/results.jsonl"
        arguments = {"items_file": items, "output_path": output, "max_workers": 4, "signals": "none"}
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.operators.publisher_process", json.dumps(arguments)],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while len(server.entities("products")) < 200 and process.poll() is None:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        at_kill = len(server.entities("products"))
        try:
            summary = CommercetoolsPublisherOperator(
                task_id="publish",
                entity="products",
                items=items,
                output_path=output,
                max_workers=4,
                on_error="continue",
            ).execute({})  # type: ignore[arg-type]
        except Exception as error:  # the keyless retry fails: its outcome_unknown items
            summary = getattr(error, "summary", {})
        copies = Counter(e["ref"] for e in server.entities("products"))
        counts = {k: summary.get(k) for k in ("total", "succeeded", "outcome_unknown", "recovered")}
        print(f"{'keyed' if keys else 'keyless'} | {at_kill} | {len(copies)} | {max(copies.values())} | {counts}")


def main() -> None:
    from airflow_provider_commercetools.testing import FakeCommercetools, connection_json

    moto, s3_url = start_moto()
    os.environ["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(
        {
            "conn_type": "aws",
            "login": "testing",
            "password": "testing",
            "extra": {"endpoint_url": s3_url, "region_name": "us-east-1"},
        }
    )
    server = FakeCommercetools(latency=LATENCY).start()
    os.environ["AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"] = connection_json(server)
    workdir = tempfile.mkdtemp(prefix="journal-bench-")
    counter = S3Requests()
    print(f"{ITEMS} keyed creates, max_workers={WORKERS}, fake latency {LATENCY * 1000:.0f} ms, moto S3 on 127.0.0.1")
    print("output_path | chunk | seconds | journal objects | S3 requests (journal + results files)")
    try:
        publish(None, [{"key": f"warm-{i}", "name": {"en": "w"}} for i in range(200)], 50)  # connections, imports
        for run_number, (where, chunk) in enumerate([("none", 0)] + [(w, c) for w in ("local", "s3") for c in CHUNKS]):
            drafts = [{"key": f"r{run_number}-{i}", "name": {"en": f"P {i}"}} for i in range(ITEMS)]
            output = {
                "none": None,
                "local": os.path.join(workdir, f"results-{run_number}.jsonl"),
                "s3": f"s3://aws_default@{BUCKET}/run-{run_number}/results.jsonl",
            }[where]
            if where == "s3":
                counter.hook(f"s3://aws_default@{BUCKET}/")
            before = counter.count
            seconds, objects = publish(output, drafts, chunk or 50)
            requests = counter.count - before if where == "s3" else "-"
            print(f"{where} | {chunk or '-'} | {seconds:.2f} | {objects if where != 'none' else '-'} | {requests}")
        print("SIGKILL once 200 of 800 exist, then the retry | on the server at the kill | after | copies | retry")
        kill_and_resume(workdir, server)
    finally:
        server.stop()
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
