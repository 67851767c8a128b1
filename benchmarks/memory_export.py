"""Run by the memory benchmark in a fresh interpreter: one streaming export, then its peak RSS.

``python memory_export.py OUTPUT RESULT [CONCURRENCY]``: the connection comes from
``AIRFLOW_CONN_COMMERCETOOLS_DEFAULT``; the JSON written to RESULT holds the RSS after imports, the peak
RSS, and the entity count.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def rss_kib(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main(output: str, result_path: str, concurrency: int = 1) -> None:
    from airflow_provider_commercetools.operators.commercetools import CommercetoolsSubscriberOperator

    operator = CommercetoolsSubscriberOperator(
        task_id="export", entity="products", output_path=output, concurrency=concurrency
    )
    before = rss_kib("VmRSS")
    peak_before = rss_kib("VmHWM")
    started = time.perf_counter()
    result = operator.execute({})  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    record = {
        "rss_before_kib": before,
        "peak_before_kib": peak_before,
        "peak_kib": rss_kib("VmHWM"),
        "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "count": result["count"],
        "seconds": seconds,
    }
    with open(result_path, "w") as handle:
        json.dump(record, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1)
