"""Evidence for the performance problems named in BENCHMARKS.md: ``.venv/bin/python benchmarks/diagnose.py``.

``gc``: how much of an export the cyclic garbage collector takes (collections per generation, their
time, and the same export with the collector off). ``fixes``: the proposed fixes, prototyped by
patching at run time (no file is changed), measured against the current code and the hand-written
loop in the same run. ``requests``: client CPU per request, with and without requests reading the
environment (proxies, CA bundle, ~/.netrc) on every request.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import requests.models
from airflow_home import use_private_airflow_home
from export import (
    Prepare,
    Run,
    _session,
    count,
    keyset_loop,
    measure,
    provider_entities,
    ready,
    subscriber_to_file,
    task_log,
)
from server_process import RESOURCE, ServerProcess, product_draft

# The modules above import Airflow only inside functions: this runs before Airflow reads its config.
use_private_airflow_home()

# -- fix 1: pause the cyclic GC while JSON is decoded or encoded (it cannot create reference cycles) --


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- fix 2: write each entity's JSON text as received instead of decoding and re-encoding it -------------


class EntityList(list[Any]):
    """The decoded ``results`` plus each entity's JSON text (``lines``)."""

    lines: list[str]


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def decode_page(text: str) -> Any:
    """``json.loads(text)``, keeping the text of every element of the top-level ``results`` array.

    Prototype: it assumes that ``"results"`` is the first key whose name is ``results`` (true of
    commercetools' paged answers, whose other keys are numbers).
    """
    key = text.find('"results"')
    if key < 0:
        return json.loads(text)
    position = _SPACE.match(text, text.index("[", key) + 1).end()  # type: ignore[union-attr]
    results = EntityList()
    lines: list[str] = []
    while text[position] != "]":
        entity, end = _DECODER.raw_decode(text, position)
        line = text[position:end]
        results.append(entity)
        # A line break can only be whitespace between tokens (pretty-printed JSON): encode that one.
        lines.append(line if "\n" not in line else json.dumps(entity, separators=(",", ":"), ensure_ascii=False))
        position = _SPACE.match(text, end).end()  # type: ignore[union-attr]
        if text[position] == ",":
            position = _SPACE.match(text, position + 1).end()  # type: ignore[union-attr]
    head = text[:key].rstrip().rstrip(",") + "}"
    body: dict[str, Any] = json.loads(head) if head.strip() != "{}" else {}
    rest = text[position + 1 :].strip()
    if rest != "}":
        body.update(json.loads("{" + rest.lstrip(",")))
    results.lines = lines
    body["results"] = results
    return body


@contextlib.contextmanager
def patched(*, pause_gc: bool = False, raw_lines: bool = False) -> Iterator[None]:
    """Install the prototypes (``requests.Response.json`` is what the client decodes with)."""
    from airflow_provider_commercetools.commercetools import files

    original_json = requests.models.Response.json
    original_write_many = files.JsonLinesWriter.write_many

    def decode(self: requests.Response, **kwargs: Any) -> Any:
        if raw_lines:
            parse: Callable[[], Any] = lambda: decode_page(self.content.decode("utf-8"))  # noqa: E731
        else:
            parse = lambda: original_json(self, **kwargs)  # noqa: E731
        if pause_gc:
            with gc_paused():
                return parse()
        return parse()

    def write_many(self: Any, documents: list[Any]) -> None:
        lines = getattr(documents, "lines", None) if raw_lines else None
        with gc_paused() if pause_gc else contextlib.nullcontext():
            if lines is None:
                original_write_many(self, documents)
            elif lines:
                self._handle.write("\n".join(lines) + "\n")
                self.count += len(lines)

    requests.models.Response.json = decode  # type: ignore[method-assign]
    files.JsonLinesWriter.write_many = write_many  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.models.Response.json = original_json  # type: ignore[method-assign]
        files.JsonLinesWriter.write_many = original_write_many  # type: ignore[method-assign]


def with_patch(prepare: Prepare, **fixes: bool) -> Prepare:
    def prepare_patched() -> Run:
        run = prepare()

        def patched_run() -> int:
            with patched(**fixes):
                return run()

        return patched_run

    return prepare_patched


# -- the diagnostics -------------------------------------------------------------------------------


def diagnose_gc(server: ServerProcess, repeats: int) -> None:
    info = server.info
    collections: dict[int, list[float]] = {}
    started = [0.0]

    def on_gc(phase: str, details: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            collections.setdefault(details["generation"], []).append(time.perf_counter() - started[0])

    variants = {
        "(a) iter_entities": ready(lambda: count(provider_entities())),
        "(c) hand-written loop": ready(lambda: count(keyset_loop(info))),
    }
    for run in variants.values():
        measure(server, run)
    print(f"GC during an export of the collection (Python {sys.version.split()[0]}; {len(gc.get_objects()):,} objects")
    print("tracked after imports). Median of the runs.\n")
    print("| variant | GC | s | gen 0 | gen 1 | gen 2 (full) | s in full collections |")
    print("|---|---|---:|---:|---:|---:|---:|")
    gc.callbacks.append(on_gc)
    try:
        for enabled in (True, False):
            rows: dict[str, list[tuple[float, int, int, int, float]]] = {name: [] for name in variants}
            for _ in range(repeats):
                for name, run in variants.items():
                    if not enabled:
                        gc.disable()
                    try:
                        wall = measure(server, run, on_start=collections.clear)[0]
                    finally:
                        gc.enable()
                    full = collections.get(2, [])
                    rows[name].append(
                        (wall, len(collections.get(0, [])), len(collections.get(1, [])), len(full), sum(full))
                    )
            for name, results in rows.items():
                medians = [statistics.median(r[i] for r in results) for i in range(5)]
                print(
                    f"| {name} | {'on' if enabled else 'off'} | {medians[0]:.2f} | {medians[1]:.0f} "
                    f"| {medians[2]:.0f} | {medians[3]:.0f} | {medians[4]:.2f} |"
                )
    finally:
        gc.callbacks.remove(on_gc)


def diagnose_fixes(server: ServerProcess, repeats: int) -> None:
    info = server.info
    workdir = tempfile.mkdtemp(prefix="ct-bench-fixes-")
    output = os.path.join(workdir, "export.jsonl")
    log = os.path.join(workdir, "task.log")
    variants = {
        "(a) iter_entities, as is": ready(lambda: count(provider_entities())),
        "(a) + GC paused while decoding": with_patch(ready(lambda: count(provider_entities())), pause_gc=True),
        "(b) subscriber -> JSON Lines, as is": lambda: subscriber_to_file(output),
        "(b) + GC paused while decoding and encoding": with_patch(lambda: subscriber_to_file(output), pause_gc=True),
        "(b) + received JSON text written": with_patch(lambda: subscriber_to_file(output), raw_lines=True),
        "(b) + both": with_patch(lambda: subscriber_to_file(output), pause_gc=True, raw_lines=True),
        "(c) hand-written loop": ready(lambda: count(keyset_loop(info))),
    }
    # The prototypes must write the same entities as the current code.
    with task_log(log):
        subscriber_to_file(output)()
    with open(output) as handle:
        expected = [json.loads(line) for line in handle]
    with task_log(log), patched(pause_gc=True, raw_lines=True):
        subscriber_to_file(output)()
    with open(output) as handle:
        assert [json.loads(line) for line in handle] == expected, "the prototype wrote other entities"
    for run in variants.values():
        measure(server, run, log)
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for repeat in range(repeats):
        names = list(variants)
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            wall, client_cpu, _, entities = measure(server, variants[name], log)
            assert entities == len(expected)
            seconds[name].append(wall)
            cpu[name].append(client_cpu)
    baseline = seconds["(c) hand-written loop"]
    print(f"Proposed fixes, prototyped at run time; {len(expected):,} entities, median of {repeats} runs.\n")
    print("| variant | s (median) | s (min) | client CPU s | x (c), median of per-round ratios |")
    print("|---|---:|---:|---:|---:|")
    for name in variants:
        median = statistics.median(seconds[name])
        print(
            f"| {name} | {median:.2f} | {min(seconds[name]):.2f} | {statistics.median(cpu[name]):.2f} "
            f"| {statistics.median(a / b for a, b in zip(seconds[name], baseline, strict=True)):.3f} |"
        )
    os.unlink(output)
    os.unlink(log)
    os.rmdir(workdir)


def diagnose_requests(server: ServerProcess, requests_per_variant: int) -> None:
    from airflow_provider_commercetools.hooks.commercetools import CommercetoolsHook

    info = server.info
    url = f"{info.url}/{info.project_key}/{RESOURCE}"
    draft = product_draft(0)
    session = _session(info)
    client = CommercetoolsHook().client
    counter = iter(range(10**9))

    def create_with_client() -> None:
        client.request("POST", RESOURCE, payload={**draft, "key": f"d-{next(counter)}"})

    def create_with_session() -> None:
        session.post(url, json={**draft, "key": f"d-{next(counter)}"}, timeout=60).json()

    print(f"Client CPU per create (POST of a {len(json.dumps(draft))}-byte draft), {requests_per_variant} each.\n")
    print("| client | trust_env | CPU us per request | wall us per request |")
    print("|---|---|---:|---:|")
    for name, run, owner in (
        ("requests.Session", create_with_session, session),
        ("CommercetoolsClient.request", create_with_client, client.session),
    ):
        for trust_env in (True, False):
            owner.trust_env = trust_env
            run()
            cpu, started = time.process_time(), time.perf_counter()
            for _ in range(requests_per_variant):
                run()
            wall = (time.perf_counter() - started) / requests_per_variant * 1e6
            cpu = (time.process_time() - cpu) / requests_per_variant * 1e6
            print(f"| {name} | {trust_env} | {cpu:.0f} | {wall:.0f} |")
    client.close()
    session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", nargs="*", default=["gc", "fixes", "requests"], help="gc, fixes, requests")
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with ServerProcess() as server:
        os.environ["AIRFLOW_CONN_COMMERCETOOLS_DEFAULT"] = server.info.connection_json()
        server.seed(args.entities)
        for what in args.what:
            {
                "gc": lambda: diagnose_gc(server, args.repeats),
                "fixes": lambda: diagnose_fixes(server, args.repeats),
                "requests": lambda: diagnose_requests(server, 1000),
            }[what]()
            print(f"\n(load average {', '.join(f'{x:.2f}' for x in os.getloadavg())})\n", flush=True)


if __name__ == "__main__":
    main()
