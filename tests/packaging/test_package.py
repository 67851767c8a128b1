"""The distributions as users get them: build the sdist and the wheel, check their metadata with
``twine check --strict``, install the wheel (its dependencies pinned by the lock of this Airflow
line) into a new virtualenv, away from the source tree, and ask that Airflow what it discovers:
the provider, its hook and the connection form."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_provider_commercetools import __version__

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".venv-tools" / "bin" / "uv"
LOCK = ROOT / "requirements" / ("airflow3.lock" if AIRFLOW_V_3_0_PLUS else "airflow2.lock")
FORM_FIELDS = {
    *("project_key", "auth_url", "import_url", "region", "scopes", "log_requests", "timeout", "max_response_mb")
}
NAME = "airflow_provider_commercetools"

# Run in the new venv: what Airflow discovered, as JSON.
DISCOVER = """
import json, airflow, airflow_provider_commercetools as pkg
from airflow.providers_manager import ProvidersManager
pm = ProvidersManager()
out = {"module": pkg.__file__, "airflow": airflow.__version__,
       "provider": pm.providers["airflow-provider-commercetools"].version,
       "hook": pm.hooks["commercetools"].hook_class_name}
try:
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
except ImportError:  # Airflow 2.11: the Flask form's widgets
    prefix = "extra__commercetools__"
    out["form"] = sorted(k[len(prefix):] for k in pm.connection_form_widgets if k.startswith(prefix))
    out["labels"] = pm.field_behaviours["commercetools"]["relabeling"]
else:
    (meta,) = [m for m in HookMetaService.hook_meta_data() if m.connection_type == "commercetools"]
    out["form"] = sorted(meta.extra_fields)
    out["labels"] = {k: v.title for k, v in meta.standard_fields if v is not None and getattr(v, "title", None)}
from airflow_provider_commercetools.testing.fake.spec_actions import resource_actions
out["category_actions"] = len(resource_actions("categories").actions)  # the fake's JSON ships in the wheel
print(json.dumps(out))
"""


# This session's environment without its Airflow settings (nor a virtualenv on PATH), plus the CA bundle
# that pip uses (uv does not read pip.conf).
CLEAN_ENV = {
    k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV", "PYTHONPATH")) and k != "PATH"
}
CLEAN_ENV["PATH"] = "/usr/local/bin:/usr/bin:/bin"
if "SSL_CERT_FILE" not in CLEAN_ENV and Path("/etc/ssl/certs/ca-certificates.crt").exists():
    CLEAN_ENV["SSL_CERT_FILE"] = "/etc/ssl/certs/ca-certificates.crt"


def run(cmd: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**CLEAN_ENV, "UV_LINK_MODE": "copy", **env},
    )
    assert done.returncode == 0, (
        f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    assert UV.exists(), f"{UV} is missing: run bash scripts/setup.sh"
    out = tmp_path_factory.mktemp("dist")
    run([str(UV), "build", "--sdist", "--wheel", "--out-dir", str(out), str(ROOT)], cwd=out)
    yield out


def test_sdist_and_wheel_metadata(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name == f"{NAME}-{__version__}-py3-none-any.whl"
    run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)], cwd=dist)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(f"{NAME}-{__version__}.dist-info/METADATA").decode()
        entry_points = zf.read(f"{NAME}-{__version__}.dist-info/entry_points.txt").decode()
    assert f"{NAME}/py.typed" in names
    assert f"{NAME}/testing/server.py" in names  # the fake server ships (pytest plugin, docs)
    assert f"{NAME}/testing/fake/spec_actions.json" in names  # the update actions the fake accepts
    assert not [n for n in names if n.startswith(("tests/", "example_dags/", "benchmarks/", "scripts/"))]
    assert "Requires-Dist: apache-airflow<4,>=2.11" in metadata
    assert "Description-Content-Type: text/markdown" in metadata
    assert "provider_info = airflow_provider_commercetools.get_provider_info:get_provider_info" in entry_points
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"pyproject.toml", "README.md", f"{NAME}/py.typed", f"{NAME}/get_provider_info.py"} <= members
    assert f"{NAME}/testing/fake/spec_actions.json" in members
    assert "example_dags/example_commercetools_partitioned_export.py" in members
    assert not [m for m in members if m.startswith("tests/") or m.endswith(".pyc")], "the sdist has test files"


def test_wheel_alone_in_a_new_virtualenv_is_discovered_by_airflow(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=tmp_path)
    run(
        [str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), "-c", str(LOCK), str(wheel)],
        cwd=tmp_path,
    )
    home = tmp_path / "airflow-home"
    home.mkdir()
    env = {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    found = json.loads(run([str(venv / "bin" / "python"), "-c", DISCOVER], cwd=tmp_path, **env).stdout.splitlines()[-1])
    assert Path(found["module"]).is_relative_to(venv), f"imported from {found['module']}, not from the wheel"
    assert found["airflow"].startswith("3." if AIRFLOW_V_3_0_PLUS else "2.11.")
    assert found["provider"] == __version__
    assert found["hook"] == "airflow_provider_commercetools.hooks.commercetools.CommercetoolsHook"
    assert found["category_actions"] == 22  # CategoryUpdateAction has 22 actions at the spec commit
    assert set(found["form"]) == FORM_FIELDS
    assert found["labels"]["host"] == "API URL" and found["labels"]["password"] == "Client Secret"
    listed = run([str(venv / "bin" / "airflow"), "providers", "list", "-o", "json"], cwd=tmp_path, **env)
    assert "airflow-provider-commercetools" in {p["package_name"] for p in json.loads(listed.stdout)}
