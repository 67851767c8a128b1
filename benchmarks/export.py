"""Benchmarks 1, 4 and 5: export overhead against a hand-written loop, token grants, offset paging.

Every variant reads the same collection from the same server process in the same run; the order of
the variants rotates from one repetition to the next, and the median is reported.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from server_process import RESOURCE, ServerInfo, ServerProcess, ServerStats

PAGE_SIZE = 500


# -- the baseline: what a careful hand-written script does ------------------------------------------


def _session(info: ServerInfo) -> requests.Session:
    """A session with a freshly granted bearer token."""
    session = requests.Session()
    grant = session.post(
        f"{info.url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": f"manage_project:{info.project_key}"},
        auth=(info.client_id, info.client_secret),
        timeout=60,
    )
    grant.raise_for_status()
    session.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
    return session


def keyset_loop(info: ServerInfo) -> Iterator[dict[str, Any]]:
    """A minimal keyset loop: ``sort=id asc``, ``limit=500``, ``withTotal=false``, ``where=id > "<last>"``."""
    session = _session(info)
    url = f"{info.url}/{info.project_key}/{RESOURCE}"
    last_id: str | None = None
    while True:
        params: dict[str, str | int] = {"sort": "id asc", "limit": PAGE_SIZE, "withTotal": "false"}
        if last_id is not None:
            params["where"] = f'id > "{last_id}"'
        response = session.get(url, params=params, timeout=60)
        response.raise_for_status()
        results = response.json()["results"]
        yield from results
        if len(results) < PAGE_SIZE:
            session.close()
            return
        last_id = results[-1]["id"]


def offset_loop(info: ServerInfo) -> tuple[int, int, str]:
    """What most connectors do: ``limit`` / ``offset`` until a short page. Returns (entities, status, error)."""
    session = _session(info)
    url = f"{info.url}/{info.project_key}/{RESOURCE}"
    read = 0
    offset = 0
    while True:
        params: dict[str, str | int] = {"sort": "id asc", "limit": PAGE_SIZE, "offset": offset}
        response = session.get(url, params=params, timeout=60)
        if response.status_code != 200:
            message = response.json().get("message", "")
            session.close()
            return read, response.status_code, message
        results = response.json()["results"]
        read += len(results)
        if len(results) < PAGE_SIZE:
            session.close()
            return read, 200, ""
        offset += PAGE_SIZE


# -- the provider ----------------------------------------------------------------------------------


def provider_entities() -> Iterator[dict[str, Any]]:
    """``pagination.iter_entities`` through the client of a new ``CommercetoolsHook`` (one token grant)."""
    from airflow_provider_commercetools.commercetools.reading import iter_entities
    from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

    client = CommercetoolsHook().client
    try:
        yield from iter_entities(client, RESOURCE)
    finally:
        client.close()


def subscriber_to_file(output: str) -> Run:
    """A new ``CommercetoolsSubscriberOperator`` with ``output_path``; the run is its ``execute`` (new hook each time).

    The operator is built outside the measured run, as Airflow builds it when it parses the DAG.
    """
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

    operator = CommercetoolsSubscriberOperator(task_id="export", entity=RESOURCE, output_path=output)

    def execute() -> int:
        result = operator.execute({})  # type: ignore[arg-type]
        operator.hook.client.close()
        return int(result["count"])

    return execute


def keyset_loop_to_file(info: ServerInfo, output: str) -> int:
    """The hand-written loop, also writing JSON Lines (``json.dumps`` per entity): the like-for-like of (b)."""
    count = 0
    with open(output, "w", encoding="utf-8") as handle:
        for entity in keyset_loop(info):
            handle.write(json.dumps(entity) + "\n")
            count += 1
    return count


def count(entities: Iterator[Any]) -> int:
    return sum(1 for _ in entities)


#: One measured run: returns the number of entities it read.
Run = Callable[[], int]
#: Builds a run (whatever should not be measured, such as constructing an operator).
Prepare = Callable[[], Run]


def ready(run: Run) -> Prepare:
    """A run with nothing to prepare."""
    return lambda: run


# -- measuring -------------------------------------------------------------------------------------


@dataclass
class Variant:
    label: str
    name: str
    prepare: Prepare
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)
    stats: list[ServerStats] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def ratio_to(self, baseline: Variant) -> float:
        """Median of the per-round ratios: the runs of one round are adjacent in time, so they share
        whatever else the machine was doing."""
        return statistics.median(a / b for a, b in zip(self.seconds, baseline.seconds, strict=True))

    def cpu_ratio_to(self, baseline: Variant) -> float:
        """The same with client + server CPU seconds instead of wall time."""
        mine = [c + s for c, s in zip(self.cpu, self.server_cpu, strict=True)]
        theirs = [c + s for c, s in zip(baseline.cpu, baseline.server_cpu, strict=True)]
        return statistics.median(a / b for a, b in zip(mine, theirs, strict=True))


@contextlib.contextmanager
def task_log(path: str) -> Iterator[None]:
    """Send what the operator logs (Airflow writes it to stdout outside a task) to a file, as a task would."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def measure(
    server: ServerProcess,
    prepare: Prepare,
    log_path: str = os.devnull,
    on_start: Callable[[], None] | None = None,
) -> tuple[float, float, ServerStats, int]:
    """(wall seconds, client CPU seconds, the server's counters, entities) of one run.

    ``on_start`` is called just before the clock starts.
    """
    with task_log(log_path):
        run = prepare()
    gc.collect()  # every run starts from the same collector state
    server.reset()
    if on_start is not None:
        on_start()
    with task_log(log_path):
        cpu = time.process_time()
        started = time.perf_counter()
        entities = run()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return wall, cpu, server.stats(), entities


@dataclass
class ExportResults:
    entities: int
    repeats: int
    variants: list[Variant]
    offset: dict[str, Any]
    expected_requests: tuple[int, int]
    #: seconds of the hand-written loops run in a process without Airflow: {"read": [...], "write": [...]}
    standalone: dict[str, list[float]] = field(default_factory=dict)


def run_export(server: ServerProcess, *, entities: int = 50_000, repeats: int = 7) -> ExportResults:
    server.seed(entities)
    info = server.info
    workdir = tempfile.mkdtemp(prefix="ct-bench-")
    jsonl = os.path.join(workdir, "export.jsonl")
    log = os.path.join(workdir, "task.log")
    variants = [
        Variant("a", "pagination.iter_entities (hook's client)", ready(lambda: count(provider_entities()))),
        Variant("b", "SubscriberOperator.execute -> JSON Lines", lambda: subscriber_to_file(jsonl)),
        Variant("c", "hand-written requests keyset loop", ready(lambda: count(keyset_loop(info)))),
        Variant("c+w", "hand-written loop -> JSON Lines", ready(lambda: keyset_loop_to_file(info, jsonl))),
    ]
    for variant in variants:  # warm-up: imports, first connections, page cache
        measure(server, variant.prepare, log)
    for repeat in range(repeats):
        shift = repeat % len(variants)
        for variant in variants[shift:] + variants[:shift]:
            wall, cpu, stats, read = measure(server, variant.prepare, log)
            variant.seconds.append(wall)
            variant.cpu.append(cpu)
            variant.server_cpu.append(stats.cpu_seconds)
            variant.stats.append(stats)
            variant.counts.append(read)
    standalone = run_standalone(info, repeats, jsonl)
    shutil.rmtree(workdir)
    pages = math.ceil(entities / PAGE_SIZE)
    return ExportResults(entities, repeats, variants, run_offset(server), (pages, pages + 1), standalone)


def run_standalone(info: ServerInfo, repeats: int, output: str) -> dict[str, list[float]]:
    """The hand-written loops (c) and (c+w) in a fresh process that never imports Airflow."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "export_standalone.py")
    done = subprocess.run(
        [sys.executable, script, info.url, info.project_key, info.client_id, info.client_secret, str(repeats), output],
        check=True,
        capture_output=True,
        text=True,
    )
    times: dict[str, list[float]] = json.loads(done.stdout)
    return times


def run_offset(server: ServerProcess) -> dict[str, Any]:
    """Benchmark 5: offset paging on the same collection, and what the provider does instead."""
    from airflow_provider_commercetools.commercetools.errors import PaginationLimitError

    info = server.info
    server.reset()
    started = time.perf_counter()
    read, status, message = offset_loop(info)
    wall = time.perf_counter() - started
    stats = server.stats()
    # The provider with a sort that needs offset paging: it asks for the total on the first page
    # and fails there, before requesting anything it could not finish.
    server.reset()
    started = time.perf_counter()
    provider_error = ""
    try:
        count(_provider_offset_entities())
    except PaginationLimitError as error:
        provider_error = error.message
    provider_wall = time.perf_counter() - started
    provider_stats = server.stats()
    return {
        "read": read,
        "status": status,
        "message": message,
        "seconds": wall,
        "gets": stats.api_gets,
        "server_cpu": stats.cpu_seconds,
        "provider_error": provider_error,
        "provider_seconds": provider_wall,
        "provider_gets": provider_stats.api_gets,
    }


def _provider_offset_entities() -> Iterator[dict[str, Any]]:
    from airflow_provider_commercetools.commercetools.reading import iter_entities
    from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

    client = CommercetoolsHook().client
    try:
        yield from iter_entities(client, RESOURCE, query={"sort": "createdAt asc"})
    finally:
        client.close()


def format_export(results: ExportResults) -> str:
    baseline = next(v for v in results.variants if v.label == "c")
    lines = [
        f"1. Export of {results.entities:,} entities, median of {results.repeats} runs "
        f"(server in its own process; request counts from the server)",
        "",
        "| variant | s (median) | s (min..max) | entities/s | client CPU s | server CPU s | server share "
        "| GET | token grants | x (c) | x (c), CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in results.variants:
        median = v.median
        server_cpu = statistics.median(v.server_cpu)
        gets = sorted({s.api_gets for s in v.stats})
        grants = sorted({s.token_grants for s in v.stats})
        lines.append(
            f"| ({v.label}) {v.name} | {median:.2f} | {min(v.seconds):.2f}..{max(v.seconds):.2f} "
            f"| {results.entities / median:,.0f} | {statistics.median(v.cpu):.2f} | {server_cpu:.2f} "
            f"| {server_cpu / median:.0%} | {'/'.join(map(str, gets))} | {'/'.join(map(str, grants))} "
            f"| {v.ratio_to(baseline):.3f} | {v.cpu_ratio_to(baseline):.3f} |"
        )
    low, high = results.expected_requests
    lines += [
        "",
        "x (c): median over the rounds of (this run's seconds / the same round's (c) seconds); "
        "x (c), CPU: the same with client + server CPU seconds.",
        f"Expected requests: {low} pages (+1 empty page at most = {high}) + 1 token grant.",
        "All runs read every entity: " + ", ".join(f"({v.label}) {sorted(set(v.counts))}" for v in results.variants),
    ]
    if results.standalone:
        alone = {k: statistics.median(v) for k, v in results.standalone.items()}
        by_label = {v.label: v for v in results.variants}
        wall = {k: v.median for k, v in by_label.items()}
        cpu = {k: statistics.median(v.cpu) for k, v in by_label.items()}
        baselines = [
            ("(c) loop in the Airflow process", wall["c"], cpu["c"], True),
            ("(c+w) loop -> JSON Lines in the Airflow process", wall["c+w"], cpu["c+w"], False),
            ("(c) standalone loop, no Airflow", alone["read"], alone["read_cpu"], True),
            ("(c+w) standalone loop -> JSON Lines, no Airflow", alone["write"], alone["write_cpu"], False),
        ]
        lines += [
            "",
            "Two baselines. (c) and (c+w) above run in the benchmark process, which has imported Airflow: its large "
            "heap makes the cyclic GC's full collections expensive, and the provider pauses the GC while decoding "
            "while the loop does not. The standalone loops run in a process that imports only requests "
            "(export_standalone.py): what a script outside Airflow sees. Ratios of medians (not paired by round); "
            "the CPU ratios are the client's CPU seconds, steadier than wall time on a shared machine.",
            "",
            "| baseline | s (median) | client CPU s | (a) x baseline, s / CPU | (b) x baseline, s / CPU |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, seconds, cpu_seconds, reads_only in baselines:
            a = f"{wall['a'] / seconds:.2f} / {cpu['a'] / cpu_seconds:.2f}" if reads_only else "-"
            lines.append(
                f"| {name} | {seconds:.2f} | {cpu_seconds:.2f} | {a} "
                f"| {wall['b'] / seconds:.2f} / {cpu['b'] / cpu_seconds:.2f} |"
            )
    offset = results.offset
    lines += [
        "",
        "5. Offset paging on the same collection (sort=id asc, limit=500, offset += 500)",
        "",
        "| variant | entities read | GET | s | entities/s | how it ended |",
        "|---|---:|---:|---:|---:|---|",
        f"| hand-written offset loop | {offset['read']:,} | {offset['gets']} | {offset['seconds']:.2f} "
        f"| {offset['read'] / offset['seconds']:,.0f} | HTTP {offset['status']}: {offset['message']} |",
        f"| provider, sort=createdAt asc (offset paging) | 0 | {offset['provider_gets']} "
        f"| {offset['provider_seconds']:.2f} | - | PaginationLimitError: {offset['provider_error'][:160]}... |",
    ]
    return "\n".join(lines)
