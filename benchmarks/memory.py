"""Benchmark 2: peak RSS of a streaming export to JSON Lines, 20,000 versus 200,000 entities.

Each export runs in a fresh interpreter (so its peak is its own) against the server process (so the
server's memory does not count).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

from server_process import ServerProcess

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "memory_export.py")


def export_in_fresh_process(
    workdir: str, entities: int, concurrency: int = 1, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One export in a new interpreter; ``env`` adds environment variables (e.g. ``MALLOC_ARENA_MAX``)."""
    output = os.path.join(workdir, f"export-{entities}-{concurrency}.jsonl")
    result = os.path.join(workdir, f"result-{entities}-{concurrency}.json")
    with open(os.path.join(workdir, f"task-{entities}-{concurrency}.log"), "w") as log:
        subprocess.run(
            [sys.executable, CHILD, output, result, str(concurrency)],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    with open(result) as handle:
        record: dict[str, Any] = json.load(handle)
    record["entities"] = entities
    record["concurrency"] = concurrency
    record["env"] = " ".join(f"{k}={v}" for k, v in (env or {}).items())
    with open(output, encoding="utf-8") as handle:
        ids = [json.loads(line)["id"] for line in handle]
    record["exact"] = len(ids) == entities == len(set(ids))
    record["file_mib"] = os.path.getsize(output) / 2**20
    os.unlink(output)
    return record


def run_memory(server: ServerProcess, sizes: tuple[int, ...] = (20_000, 200_000)) -> list[dict[str, Any]]:
    workdir = tempfile.mkdtemp(prefix="ct-bench-memory-")
    try:
        records = []
        for entities in sizes:
            server.seed(entities)
            records.append(export_in_fresh_process(workdir, entities))
        server.clear()
        return records
    finally:
        shutil.rmtree(workdir)


def format_memory(records: list[dict[str, Any]]) -> str:
    lines = [
        "2. Peak RSS of a streaming export to JSON Lines (CommercetoolsSubscriberOperator, output_path), "
        "each in a fresh process; the server runs in another process",
        "",
        "| entities | file MiB | s | RSS after imports MiB | peak RSS MiB | peak - after imports MiB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {r['entities']:,} | {r['file_mib']:.0f} | {r['seconds']:.1f} | {r['rss_before_kib'] / 1024:.1f} "
            f"| {r['peak_kib'] / 1024:.1f} | {(r['peak_kib'] - r['rss_before_kib']) / 1024:.1f} |"
        )
    if len(records) >= 2:
        growth = (records[-1]["peak_kib"] - records[0]["peak_kib"]) / 1024
        lines += [
            "",
            f"Peak RSS difference, {records[-1]['entities']:,} vs {records[0]['entities']:,} entities: "
            f"{growth:+.1f} MiB (target: below 30 MB)",
        ]
    return "\n".join(lines)
