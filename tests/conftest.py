"""Test session setup: a private AIRFLOW_HOME with a SQLite metadata DB, and real DAG runs.

The environment is set at import time, before anything imports airflow.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DAGS_FOLDER = Path(__file__).parent / "dags"
_HOME = tempfile.mkdtemp(prefix="ct-airflow-home-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME}/airflow.db"
os.environ.setdefault("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")


pytest_plugins = ["tests.airflow_runner"]
