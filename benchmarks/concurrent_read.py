"""Evidence for fix D of BENCHMARKS.md: what a concurrent read spends per page, without Airflow's operator.

``.venv/bin/python benchmarks/concurrent_read.py [--rounds N]`` (about 1.5 minutes):

1. CPU per 500-entity page (567 KB) of the decoders: the standard library's ``json.loads`` (what the
   provider's pure-Python decoder was built on, and what ``response.json()`` does), msgspec's generic
   decoder, and ``decode_page_ids`` (texts kept, entities reduced to ids), in this process with
   ``gc.freeze()`` as the client does.
2. ``ConcurrentRead`` at 8 and 16 threads (one client, its token granted before the clock starts)
   against the latency server of benchmark 6 (50 ms + 1 ms per 10 entities), with the body read in
   one go (``client.read_body``, the default) and with requests' own ``content`` (10 KB reads),
   alternating, ``--rounds`` times each: wall seconds and client CPU seconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from typing import Any

from airflow_home import use_private_airflow_home
from server_process import ServerProcess, product_draft

use_private_airflow_home()


def page_bytes() -> bytes:
    entities = [{**product_draft(i), "id": f"{i:08x}-0000-4000-8000-000000000000", "version": 1} for i in range(500)]
    return json.dumps({"limit": 500, "offset": 0, "count": 500, "results": entities}, separators=(",", ":")).encode()


def per_page_ms(decode: Any, data: bytes, repeats: int = 200) -> float:
    started = time.thread_time()
    for _ in range(repeats):
        decode(data)
    return (time.thread_time() - started) / repeats * 1000


def decoders() -> list[tuple[str, float]]:
    import msgspec

    from airflow_provider_commercetools.commercetools.reading.pages import decode_page_ids

    data = page_bytes()
    gc.freeze()
    generic = msgspec.json.Decoder()
    rows = [
        ("json.loads (standard library)", lambda d: json.loads(d)),
        ("msgspec, every value decoded", generic.decode),
        ("decode_page_ids: ids and texts", decode_page_ids),
    ]
    for _name, decode in rows:  # warm-up
        per_page_ms(decode, data, 20)
    return [(name, per_page_ms(decode, data)) for name, decode in rows]


def reads(rounds: int) -> dict[tuple[int, str], list[tuple[float, float]]]:
    from airflow_provider_commercetools.commercetools.reading.concurrent import ConcurrentRead
    from airflow_provider_commercetools.commercetools.transport import client as client_module
    from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

    one_read = client_module.read_body
    ways = {"one read (read_body)": one_read, "requests' content (10 KB reads)": lambda answer: answer.content}
    results: dict[tuple[int, str], list[tuple[float, float]]] = {}
    with ServerProcess(latency=0.05, per_entity=0.0001) as server:
        os.environ["AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"] = server.info.connection_json()
        server.seed(50_000)
        client = CommercetoolsHook().client
        client.request("GET", "products", query={"limit": 1})  # the token, before any clock starts
        for threads in (8, 16):
            for round_ in range(rounds + 1):  # the first round warms the server's page cache up
                for name, read_body in ways.items():
                    client_module.read_body = read_body  # type: ignore[assignment]
                    read = ConcurrentRead(
                        client, "products", query={}, concurrency=threads, keep_text=True, keep_results=False
                    )
                    gc.collect()
                    wall, cpu = time.perf_counter(), time.process_time()
                    count = sum(len(page.results) for page in read.pages())
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    assert count == 50_000, count
                    if round_:
                        results.setdefault((threads, name), []).append((wall, cpu))
        client_module.read_body = one_read
        client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("CPU per 500-entity page (567 KB), ms")
    print("| decoder | ms per page |\n|---|---:|")
    for name, ms in decoders():
        print(f"| {name} | {ms:.2f} |")
    print(f"\nConcurrentRead of 50,000 entities, 50 ms + 1 ms per 10 entities per answer, median of {args.rounds}")
    print("| threads | body read | s | client CPU s |\n|---:|---|---:|---:|")
    for (threads, name), runs in reads(args.rounds).items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"| {threads} | {name} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
