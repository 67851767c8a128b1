"""Test session setup: a private AIRFLOW_HOME with a SQLite metadata DB, and real DAG runs.

The environment is set at import time, before anything imports airflow. ``ct`` is the fake
commercetools server of a test, whichever module it is in.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow_provider_commercetools.testing import FakeCommercetools

DAGS_FOLDER = Path(__file__).parent / "dags"
EXAMPLE_DAGS = Path(__file__).parents[1] / "example_dags"
# One per process: every pytest-xdist worker has its own home and metadata DB (the worker's name in it).
_HOME = tempfile.mkdtemp(prefix=f"ct-airflow-home-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-")
os.environ["AIRFLOW_HOME"] = _HOME
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_HOME}/airflow.db"
os.environ.setdefault("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")
if version("apache-airflow").startswith("2."):
    # Airflow 2.11 checks the executor for every sensor task, and refuses LocalExecutor on SQLite.
    os.environ.setdefault("AIRFLOW__CORE__EXECUTOR", "SequentialExecutor")
# Airflow 3's dag.test() runs only DAGs of a configured bundle: the test DAGs and the examples.
_LOCAL_BUNDLE = "airflow.dag_processing.bundles.local.LocalDagBundle"
os.environ["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps(
    [
        {"name": "dags-folder", "classpath": _LOCAL_BUNDLE, "kwargs": {}},
        {"name": "example-dags", "classpath": _LOCAL_BUNDLE, "kwargs": {"path": str(EXAMPLE_DAGS)}},
    ]
)


pytest_plugins = ["tests.airflow_runner"]

#: Tests that share an expensive session resource run in one pytest-xdist worker (``--dist loadgroup``),
#: which starts it once: fixture name -> group.
SHARED_RESOURCES = {"airflow_server": "airflow-api-server", "emulator": "emulator"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of each shared resource as one xdist group."""
    for item in items:
        for name, group in SHARED_RESOURCES.items():
            if name in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
                break


@pytest.fixture
def ct(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCommercetools]:
    """The test's fake commercetools, also the ``commercetools_default`` connection: the plugin's
    ``commercetools_server``, or, with ``@pytest.mark.ct_scopes(...)``, one granting those scopes."""
    marker = request.node.get_closest_marker("ct_scopes")
    if marker is None:
        yield request.getfixturevalue("commercetools_connection")
        return
    from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
    from airflow_provider_commercetools.testing.pytest_plugin import CONNECTION_ENV

    with FakeCommercetools(scopes=marker.args) as server:
        monkeypatch.setenv(CONNECTION_ENV, connection_json(server))
        yield server
