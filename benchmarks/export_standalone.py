"""The hand-written keyset loop in a process without Airflow: the honest baseline of the export benchmark.

``python export_standalone.py URL PROJECT CLIENT_ID SECRET REPEATS OUTPUT``: runs the loop that only
reads and the loop that also writes JSON Lines ``REPEATS`` times each (alternating), and prints
their wall and CPU seconds as JSON. Nothing but ``requests`` and the standard library is imported, so the heap is
small and the cyclic garbage collector's full collections cost little: this is what a script run
outside Airflow sees, while the loop inside the benchmark process pays for Airflow's large heap.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import requests

PAGE_SIZE = 500


def keyset_loop(url: str, project: str, client_id: str, secret: str) -> Iterator[dict[str, Any]]:
    session = requests.Session()
    grant = session.post(
        f"{url}/oauth/token",
        data={"grant_type": "client_credentials", "scope": f"manage_project:{project}"},
        auth=(client_id, secret),
        timeout=60,
    )
    grant.raise_for_status()
    session.headers["Authorization"] = f"Bearer {grant.json()['access_token']}"
    last_id = None
    while True:
        params: dict[str, Any] = {"sort": "id asc", "limit": PAGE_SIZE, "withTotal": "false"}
        if last_id is not None:
            params["where"] = f'id > "{last_id}"'
        response = session.get(f"{url}/{project}/products", params=params, timeout=60)
        response.raise_for_status()
        results = response.json()["results"]
        yield from results
        if len(results) < PAGE_SIZE:
            session.close()
            return
        last_id = results[-1]["id"]


def main() -> None:
    url, project, client_id, secret, repeats, output = sys.argv[1:7]
    times: dict[str, list[float]] = {"read": [], "write": [], "read_cpu": [], "write_cpu": []}
    for _ in range(int(repeats) + 1):  # the first round is a warm-up
        for kind in ("read", "write"):
            gc.collect()
            cpu = time.process_time()
            started = time.perf_counter()
            if kind == "read":
                count = sum(1 for _ in keyset_loop(url, project, client_id, secret))
            else:
                count = 0
                with open(output, "w", encoding="utf-8") as handle:
                    for entity in keyset_loop(url, project, client_id, secret):
                        handle.write(json.dumps(entity) + "\n")
                        count += 1
            times[kind].append(time.perf_counter() - started)
            times[f"{kind}_cpu"].append(time.process_time() - cpu)
            assert count > 0
    print(json.dumps({kind: values[1:] for kind, values in times.items()}))


if __name__ == "__main__":
    main()
