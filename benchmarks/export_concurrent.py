"""Benchmark 6 (issue 14): concurrent exports under latency, against the sequential loop and the bound.

The server (its own process) answers every request after 50 ms plus 1 ms per 10 entities of the
page, in one write, and honours the id range predicates. 50,000 products are exported by the
subscriber (``output_path``, JSON Lines) at concurrency 1, 4, 8 and 16, and read by the hand-written
sequential keyset loop under the same latency. The bound of a run with N threads is the larger of
(the latency the server added, summed over the run's requests) / N and the client's own CPU time
in that run (decoding holds the GIL: on 2 cores it caps the speed-up). Then the same at 8 on a
skewed collection (90% of the ids in one sixteenth of the id space), and the peak RSS of fresh
processes at concurrency 1 and 16.

``.venv/bin/python benchmarks/export_concurrent.py [--entities N] [--repeats N]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from airflow_home import use_private_airflow_home
from export import Prepare, Run, count, keyset_loop, measure, ready
from memory import export_in_fresh_process
from server_process import ServerProcess

use_private_airflow_home()

LATENCY = 0.05
PER_ENTITY = 0.0001  # 1 ms per 10 entities
LEVELS = (1, 4, 8, 16)


SKEWED = "categories"  # the skewed collection (product-shaped entities), next to the even products


def subscriber_run(output: str, concurrency: int, entity: str = "products") -> Prepare:
    def prepare() -> Run:
        from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

        operator = CommercetoolsSubscriberOperator(
            task_id="export", entity=entity, output_path=output, concurrency=concurrency
        )

        def execute() -> int:
            result = operator.execute({})  # type: ignore[arg-type]
            operator.hook.client.close()
            return int(result["count"])

        return execute

    return prepare


def cpu_available(seconds: float = 0.2) -> float:
    """The share of one core this process gets right now: CPU seconds / wall seconds of a busy loop.

    1.0 on an idle machine; on a shared one it shows how much of a core the client could have had.
    """
    import time

    cpu, wall = time.process_time(), time.perf_counter()
    while time.process_time() - cpu < seconds:
        sum(range(1000))
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


def exact(output: str, entities: int) -> bool:
    """Every entity once: as many lines as entities, no id twice (the server holds nothing else)."""
    with open(output, encoding="utf-8") as handle:
        ids = Counter(json.loads(line)["id"] for line in handle)
    return sum(ids.values()) == entities == len(ids)


@dataclass
class Row:
    name: str
    threads: int
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    gets: list[int] = field(default_factory=list)
    grants: list[int] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)
    available: list[float] = field(default_factory=list)

    def bound(self, i: int) -> float:
        return max(self.latency[i] / self.threads, self.cpu[i])

    @property
    def to_available_bound(self) -> float:
        """Seconds / max(latency / N, CPU / the share of a core available just before the run)."""
        return statistics.median(
            s / max(self.latency[i] / self.threads, self.cpu[i] / self.available[i]) for i, s in enumerate(self.seconds)
        )

    @property
    def to_bound(self) -> float:
        return statistics.median(s / self.bound(i) for i, s in enumerate(self.seconds))

    def to(self, other: Row) -> float:
        """Median of the per-round ratios to ``other`` (runs of one round are adjacent in time)."""
        return statistics.median(a / b for a, b in zip(self.seconds, other.seconds, strict=False))


def run_concurrent(entities: int = 50_000, repeats: int = 3) -> dict[str, Any]:
    workdir = tempfile.mkdtemp(prefix="ct-bench-concurrent-")
    output = os.path.join(workdir, "export.jsonl")
    try:
        with ServerProcess(latency=LATENCY, per_entity=PER_ENTITY) as server:
            os.environ["AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"] = server.info.connection_json()
            info = server.info
            server.seed(entities)
            server.seed_skewed(entities, SKEWED)
            loop = Row("hand-written sequential keyset loop (reads only)", 1)
            rows = [Row(f"subscriber -> JSON Lines, concurrency {n}", n) for n in LEVELS]
            skewed = Row(f"subscriber -> JSON Lines, concurrency 8, skewed ids ({SKEWED})", 8)
            plans: list[tuple[Row, Prepare, bool]] = [(loop, ready(lambda: count(keyset_loop(info))), False)]
            plans += [(row, subscriber_run(output, row.threads), True) for row in rows]
            plans.append((skewed, subscriber_run(output, 8, SKEWED), True))
            for round_ in range(repeats):
                shift = round_ % len(plans)
                for row, prepare, writes in plans[shift:] + plans[:shift]:
                    row.available.append(cpu_available())
                    wall, cpu, stats, read = measure(server, prepare)
                    _record(row, wall, cpu, stats, read == entities and (not writes or exact(output, entities)))
                    if writes:  # the next run writes a new file, not over this one (os.replace would free it)
                        os.unlink(output)
            memory = [export_in_fresh_process(workdir, entities, n) for n in (1, 16)]
            # glibc gives threads their own malloc arenas; freed page buffers stay in them
            memory.append(export_in_fresh_process(workdir, entities, 16, {"MALLOC_ARENA_MAX": "2"}))
        return {
            "entities": entities,
            "repeats": repeats,
            "loop": loop,
            "rows": rows,
            "skewed": skewed,
            "memory": memory,
        }
    finally:
        shutil.rmtree(workdir)


def _record(row: Row, wall: float, cpu: float, stats: Any, ok: bool) -> None:
    row.seconds.append(wall)
    row.cpu.append(cpu)
    row.latency.append(stats.latency_seconds)
    row.gets.append(stats.api_gets)
    row.grants.append(stats.token_grants)
    row.exact.append(ok)


def format_concurrent(results: dict[str, Any]) -> str:
    loop: Row = results["loop"]
    rows: list[Row] = results["rows"]
    skewed: Row = results["skewed"]
    lines = [
        f"6. Concurrent export of {results['entities']:,} entities, {LATENCY * 1000:.0f} ms + 1 ms per 10 entities "
        f"per answer, median of {results['repeats']} rounds",
        "",
        "| variant | threads | s (median) | s (min..max) | client CPU s | added latency s | bound s | x bound "
        "| x loop | CPU share | core available | x bound with it | GET | grants | exact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in [loop, *rows, skewed]:
        bound = statistics.median(row.bound(i) for i in range(len(row.seconds)))
        lines.append(
            f"| {row.name} | {row.threads} | {statistics.median(row.seconds):.2f} "
            f"| {min(row.seconds):.2f}..{max(row.seconds):.2f} | {statistics.median(row.cpu):.2f} "
            f"| {statistics.median(row.latency):.2f} | {bound:.2f} "
            f"| {row.to_bound:.2f} | {row.to(loop):.3f} "
            f"| {statistics.median(c / w for c, w in zip(row.cpu, row.seconds, strict=True)):.0%} "
            f"| {statistics.median(row.available):.0%} | {row.to_available_bound:.2f} "
            f"| {'/'.join(map(str, sorted(set(row.gets))))} | {'/'.join(map(str, sorted(set(row.grants))))} "
            f"| {'yes' if all(row.exact) else 'NO'} |"
        )
    by_threads = {row.threads: row for row in rows}
    even8 = by_threads[8]
    ratio = skewed.to(even8)
    memory = results["memory"]
    lines += [
        "",
        "bound = max(added latency / threads, client CPU s of the same run); x bound = median of seconds / bound;",
        "x loop = median over the rounds of seconds / the same round's hand-written loop seconds;",
        "CPU share = client CPU s / wall s: how much of one core the client used;",
        "core available = CPU s / wall s of a 0.2 s busy loop just before each run (1.0 on an idle machine);",
        "x bound with it = seconds / max(added latency / threads, client CPU s / core available).",
        "",
        f"skewed vs even at 8 threads: {ratio:.2f} x (median of the per-round ratios)",
        "",
        "| concurrency | environment | s | RSS after imports MiB | peak RSS MiB | peak - concurrency 1 MiB | exact |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for record in memory:
        lines.append(
            f"| {record['concurrency']} | {record['env'] or '-'} | {record['seconds']:.1f} "
            f"| {record['rss_before_kib'] / 1024:.1f} | {record['peak_kib'] / 1024:.1f} "
            f"| {(record['peak_kib'] - memory[0]['peak_kib']) / 1024:+.1f} | {'yes' if record['exact'] else 'NO'} |"
        )
    growth = (memory[1]["peak_kib"] - memory[0]["peak_kib"]) / 1024
    lines += [
        "",
        "Targets:",
        *(
            f"- {n} threads within 1.25 x of the bound: {by_threads[n].to_bound:.2f} x: "
            f"{_met(by_threads[n].to_bound <= 1.25)}"
            for n in (8, 16)
        ),
        f"- exact (every entity once) in every run: {_met(all(all(r.exact) for r in [*rows, skewed]))}",
        f"- peak RSS at 16 within 50 MB of 1: {growth:+.1f} MiB: {_met(growth <= 50 / 1.048576)}",
        f"- skewed at 8 within 1.3 x of even: {ratio:.2f} x: {_met(ratio <= 1.3)}",
    ]
    return "\n".join(lines)


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(format_concurrent(run_concurrent(args.entities, args.repeats)))


if __name__ == "__main__":
    main()
