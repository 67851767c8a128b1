"""A private, temporary AIRFLOW_HOME for the benchmarks (Airflow reads it when first imported)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_MARK = "CT_BENCH_AIRFLOW_HOME"


def use_private_airflow_home() -> str:
    """Point Airflow at a temporary home, shared with child processes and removed at exit."""
    if _MARK not in os.environ:  # a spawned child inherits its parent's
        os.environ[_MARK] = tempfile.mkdtemp(prefix="ct-bench-airflow-")
        atexit.register(shutil.rmtree, os.environ[_MARK], True)
    os.environ["AIRFLOW_HOME"] = os.environ[_MARK]
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    return os.environ[_MARK]
