"""Issue 23: the publisher's client CPU per create against a hand-written loop, each in a fresh process.

``PYTHONPATH=. .venv/bin/python benchmarks/publish_cpu.py [--rounds 5] [--items 2000] [--workers 16]``

The fake server runs in a process of its own (``server_process.py``) and answers every request after
50 ms. Each round starts two fresh child processes, one after the other (the order alternates from
round to round), each creating ``--items`` products (keyed, about 1 KB of JSON each) from
``--workers`` threads:

- ``publisher``: ``CommercetoolsPublisherOperator.execute`` with ``output_path`` in a temporary folder,
  so that the results files and the write-ahead journal are written, under a parent-process watch,
  with redaction, retries and the duplicate handling, as in a task;
- ``loop``: the hand-written loop: a ``requests.Session`` per thread, a ``ThreadPoolExecutor``, one
  token grant, ``POST`` of each draft, each answer written as a JSON line (``json.dumps`` of
  ``response.json()``); no retries, no records of failures, no journal.

Each child measures its own CPU (``time.process_time``) and wall time from just before its first
request (its imports and the drafts are made before) to the last line written; the parent also
reads each child's whole CPU (imports included) from ``os.wait4``. The table shows the medians and
the ranges over the rounds. ``--profile FILE`` runs one publisher child with cProfile in every
thread instead (the clocked part only) and writes the merged statistics to FILE (``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from airflow_home import use_private_airflow_home  # noqa: E402
from server_process import RESOURCE, ServerProcess, product_draft  # noqa: E402

LATENCY = 0.05
CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"
SIDES = ("publisher", "loop")


# -- the children --------------------------------------------------------------------------------


def run_publisher(items: int, workers: int, first: int, workdir: str) -> dict[str, Any]:
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsPublisherOperator

    drafts = [product_draft(first + number) for number in range(items)]
    operator = CommercetoolsPublisherOperator(
        task_id="publish",
        entity=RESOURCE,
        items=drafts,
        max_workers=workers,
        output_path=os.path.join(workdir, "results.jsonl"),
    )
    cpu = time.process_time()
    started = time.perf_counter()
    summary = operator.execute({})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    with open(os.path.join(workdir, "results.jsonl")) as results:
        lines = sum(1 for _ in results)
    return {"cpu": cpu, "seconds": seconds, "succeeded": summary.get("succeeded"), "lines": lines}


def run_loop(items: int, workers: int, first: int, workdir: str) -> dict[str, Any]:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    connection = json.loads(os.environ[CONNECTION_ENV])
    url, project = connection["host"], connection["extra"]["project_key"]
    drafts = [product_draft(first + number) for number in range(items)]
    local = threading.local()
    cpu = time.process_time()
    started = time.perf_counter()
    grant = requests.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": f"manage_project:{project}"},
        auth=(connection["login"], connection["password"]),
        timeout=60,
    )
    grant.raise_for_status()
    authorization = f"Bearer {grant.json()['access_token']}"

    def post(draft: dict[str, Any]) -> Any:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = authorization
        response = session.post(f"{url}/{project}/{RESOURCE}", json=draft, timeout=60)
        response.raise_for_status()
        return response.json()

    lines = 0
    with ThreadPoolExecutor(workers) as pool, open(os.path.join(workdir, "results.jsonl"), "w") as out:
        for answer in pool.map(post, drafts):
            out.write(json.dumps(answer) + "\n")
            lines += 1
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {"cpu": cpu, "seconds": seconds, "succeeded": lines, "lines": lines}


def child(side: str, items: int, workers: int, first: int, output: str, profile: str | None = None) -> None:
    if side == "publisher":  # imported before the clock starts, as the loop imports requests
        import airflow_provider_commercetools.operators.commercetools  # noqa: F401
    else:
        import requests  # noqa: F401
    profiles = _profile_every_thread() if profile else []
    system = os.times().system
    with tempfile.TemporaryDirectory(prefix=f"ct-bench-cpu-{side}-") as workdir:
        measured = (run_publisher if side == "publisher" else run_loop)(items, workers, first, workdir)
    measured["system"] = os.times().system - system  # of which in the kernel (with the drafts, before the clock)
    if profile:
        import pstats
        import threading

        threading.setprofile(None)  # type: ignore[arg-type]
        for each in profiles:
            each.disable()
        stats = pstats.Stats(profiles[0])
        for each in profiles[1:]:
            stats.add(each)
        stats.dump_stats(profile)
    with open(output, "w") as out:
        json.dump(measured, out)


def _profile_every_thread() -> list[Any]:
    """cProfile in this thread and in every thread started from now on (cProfile alone sees one thread)."""
    import cProfile
    import threading

    profiles: list[Any] = []

    def start(*_: Any) -> None:
        profile = cProfile.Profile(time.thread_time)  # CPU time: a thread waiting for the GIL costs nothing
        profiles.append(profile)
        profile.enable()  # replaces this hook in the new thread

    threading.setprofile(start)
    start()
    return profiles


# -- the parent ----------------------------------------------------------------------------------


def spawn(side: str, items: int, workers: int, first: int, log: Any, profile: str | None = None) -> dict[str, Any]:
    """Run one child; its measurements, with its whole CPU (imports included) from ``wait4``."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = handle.name
    command = [sys.executable, os.path.abspath(__file__), "--child", side, str(items), str(workers), str(first)]
    command += [output, profile or ""]
    try:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"the {side} child failed ({process.returncode}); see {log.name}")
        with open(output) as result:
            measured: dict[str, Any] = json.load(result)
    finally:
        os.unlink(output)
    measured["process_cpu"] = usage.ru_utime + usage.ru_stime
    return measured


def table(runs: dict[str, list[dict[str, Any]]], items: int) -> str:
    def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> tuple[str, str]:
        scaled = [v * scale for v in values]
        return (
            f"{statistics.median(scaled):.{digits}f}",
            f"{min(scaled):.{digits}f}..{max(scaled):.{digits}f}",
        )

    lines = [
        "| side | rounds | client CPU s (median) | min..max | ms per create | min..max | wall s (median) | min..max "
        "| whole process CPU s (median) | succeeded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for side, measured in runs.items():
        cpu = [m["cpu"] for m in measured]
        cpu_median, cpu_range = spread(cpu)
        per_median, per_range = spread(cpu, 1000 / items, 3)
        wall_median, wall_range = spread([m["seconds"] for m in measured])
        whole, _ = spread([m["process_cpu"] for m in measured])
        succeeded = min(m["succeeded"] for m in measured)
        lines.append(
            f"| {side} | {len(measured)} | {cpu_median} | {cpu_range} | {per_median} | {per_range} | {wall_median} "
            f"| {wall_range} | {whole} | {succeeded:,} of {items:,} |"
        )
    publisher = statistics.median(m["cpu"] for m in runs["publisher"])
    loop = statistics.median(m["cpu"] for m in runs["loop"])
    paired = [p["cpu"] / q["cpu"] for p, q in zip(runs["publisher"], runs["loop"], strict=True)]
    lines.append("")
    lines.append(
        f"publisher / loop, client CPU: {publisher / loop:.3f} (ratio of medians); paired by round: median "
        f"{statistics.median(paired):.3f}, {min(paired):.3f}..{max(paired):.3f}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--profile", help="run one publisher child under cProfile, statistics to this file")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        side, items, workers, first, output, profile = args.child
        child(side, int(items), int(workers), int(first), output, profile or None)
        return
    use_private_airflow_home()
    with ServerProcess(latency=LATENCY) as server, tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        os.environ[CONNECTION_ENV] = server.info.connection_json()
        print(
            f"{args.items:,} keyed product creates, {args.workers} workers, {LATENCY * 1000:.0f} ms per answer; "
            f"{args.rounds} rounds, each side in a fresh process, the order alternating; load average "
            + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
            flush=True,
        )
        if args.profile:
            server.clear()
            measured = spawn("publisher", args.items, args.workers, 0, log, profile=args.profile)
            print(f"publisher under cProfile: {measured}; statistics in {args.profile}")
            return
        runs: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
        for number in range(args.rounds):
            order = SIDES if number % 2 == 0 else SIDES[::-1]
            for side in order:
                server.clear()
                first = (number * 2 + SIDES.index(side) + 1) * 1_000_000
                started = time.perf_counter()
                measured = spawn(side, args.items, args.workers, first, log)
                runs[side].append(measured)
                print(
                    f"round {number + 1} {side}: client CPU {measured['cpu']:.2f} s "
                    f"(system {measured['system']:.2f} s), "
                    f"wall {measured['seconds']:.2f} s, "
                    f"process {time.perf_counter() - started:.1f} s, succeeded {measured['succeeded']}",
                    flush=True,
                )
        print()
        print(table(runs, args.items))
        print("load average after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
