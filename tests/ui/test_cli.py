"""The provider through the ``airflow`` command line (subprocesses, each in its own AIRFLOW_HOME):
``airflow providers list`` and ``airflow connections test`` against the fake commercetools API."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_commercetools import __version__
from airflow_provider_commercetools.testing import FakeCommercetools, connection_json
from tests.ui.api_server import AIRFLOW, airflow_env

pytestmark = pytest.mark.cli


def airflow(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AIRFLOW), *args],
        env=airflow_env(home, **env),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_providers_list_shows_the_provider(tmp_path: Path) -> None:
    result = airflow(tmp_path, "providers", "list", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    providers = {p["package_name"]: p for p in json.loads(result.stdout)}
    ours = providers["airflow-provider-commercetools"]
    assert ours["version"] == __version__
    assert "commercetools" in ours["description"]


def test_connections_test_succeeds(tmp_path: Path, fake_commercetools: FakeCommercetools) -> None:
    grants = fake_commercetools.token_grants
    result = airflow(
        tmp_path,
        "connections",
        "test",
        "commercetools_default",
        AIRFLOW_CONN_COMMERCETOOLS_DEFAULT=connection_json(fake_commercetools),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Connection success!" in result.stdout
    assert fake_commercetools.token_grants > grants  # it really asked the fake server for a token


def test_connections_test_fails_readably_with_a_wrong_secret(
    tmp_path: Path, fake_commercetools: FakeCommercetools
) -> None:
    result = airflow(
        tmp_path,
        "connections",
        "test",
        "commercetools_default",
        AIRFLOW_CONN_COMMERCETOOLS_DEFAULT=connection_json(fake_commercetools, password="not-the-secret-4242"),
    )
    output = one_line(result.stdout + result.stderr)
    # Airflow 2.x prints the failure but exits 0; Airflow 3 exits 1.
    assert result.returncode == (1 if AIRFLOW_V_3_0_PLUS else 0), output
    assert "Connection failed!" in output
    assert "POST /oauth/token -> HTTP 401 invalid_client: Please provide valid client credentials" in output
    assert "check the connection's Login and Password" in output
    assert "Traceback" not in output
    assert "not-the-secret-4242" not in output and fake_commercetools.client_secret not in output
