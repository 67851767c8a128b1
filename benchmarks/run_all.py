"""Run every benchmark of BENCHMARKS.md and print the tables: ``.venv/bin/python benchmarks/run_all.py``.

Options: ``--only export,memory,publish`` to run some; ``--entities`` and ``--repeats`` for the
export benchmark; ``--plain-server`` to let the server encode every page itself (a slower server).
The fake server always runs in a separate process (see ``server_process.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from airflow_home import use_private_airflow_home
from export import ExportResults, format_export, run_export
from export_concurrent import format_concurrent, run_concurrent
from memory import format_memory, run_memory
from publish import PublishRun, format_publish, run_publish
from server_process import ServerProcess, entity_size

# The modules above import Airflow only inside functions: this runs before Airflow reads its config.
use_private_airflow_home()

CONNECTION_ENV = "AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from airflow import __version__ as airflow_version
    from requests import __version__ as requests_version

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Airflow {airflow_version}, requests {requests_version}; "
        f"load average {load}"
    )


def export_verdicts(results: ExportResults) -> list[str]:
    by_label = {v.label: v for v in results.variants}
    low, high = results.expected_requests
    verdicts = []
    for label in ("a", "b"):
        variant = by_label[label]
        ratio = variant.ratio_to(by_label["c"])
        gets = {s.api_gets for s in variant.stats}
        grants = {s.token_grants for s in variant.stats}
        verdicts.append(f"1{label}. {variant.name}: {ratio:.3f} x (c) (target <= 1.10): {_met(ratio <= 1.10)}")
        verdicts.append(
            f"1{label}. requests: {sorted(gets)} GET + {sorted(grants)} token grant "
            f"(target {low}..{high} + 1): {_met(all(low <= g <= high for g in gets) and grants == {1})}"
        )
    return verdicts


def publish_verdicts(runs: list[PublishRun]) -> list[str]:
    verdicts = []
    for run in runs:
        if run.workers == 16:
            ratio = run.seconds / run.bound
            verdicts.append(f"3. 16 workers: {ratio:.3f} x the bound (target <= 1.25): {_met(ratio <= 1.25)}")
    grants = {run.stats.token_grants for run in runs}
    verdicts.append(f"4. token grants per publisher task run: {sorted(grants)} (target 1): {_met(grants == {1})}")
    return verdicts


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        default="export,memory,publish,concurrent",
        help="comma-separated: export, memory, publish, concurrent",
    )
    parser.add_argument("--entities", type=int, default=50_000, help="entities of the export benchmark")
    parser.add_argument("--repeats", type=int, default=7, help="measured runs per export variant")
    parser.add_argument(
        "--plain-server", action="store_true", help="let the server encode every page (no memoized entity JSON)"
    )
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    started = time.perf_counter()
    print(machine())
    print(f"Entity: a product of {entity_size()} bytes of JSON; pages of 500.\n", flush=True)
    verdicts: list[str] = []
    with ServerProcess(fast_pages=not args.plain_server) as server:
        os.environ[CONNECTION_ENV] = server.info.connection_json()
        if "export" in chosen:
            results = run_export(server, entities=args.entities, repeats=args.repeats)
            print(format_export(results) + "\n", flush=True)
            verdicts += export_verdicts(results)
            grants = {s.token_grants for v in results.variants for s in v.stats}
            verdicts.append(f"4. token grants per export run (every variant): {sorted(grants)}: {_met(grants == {1})}")
        if "memory" in chosen:
            records = run_memory(server)
            print(format_memory(records) + "\n", flush=True)
            growth = (records[-1]["peak_kib"] - records[0]["peak_kib"]) / 1024
            verdicts.append(
                f"2. peak RSS difference {growth:+.1f} MiB (target < 30 MB): {_met(growth < 30 * 1e6 / 2**20)}"
            )
        if "publish" in chosen:
            runs = run_publish(server)
            print(format_publish(runs) + "\n", flush=True)
            verdicts += publish_verdicts(runs)
    if "concurrent" in chosen:  # its own server process: a latency of 50 ms + 1 ms per 10 entities
        print(format_concurrent(run_concurrent(args.entities, min(args.repeats, 3))) + "\n", flush=True)
    print("Targets:")
    for verdict in verdicts:
        print(f"  {verdict}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nTotal {time.perf_counter() - started:.0f} s; load average now {load}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
