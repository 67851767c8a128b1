"""scripts/layer_stack.py: the check that lets the Airflow 2.11 pass skip tests/commercetools, on lock files
that agree or differ in the layer's packages, their dependencies, or elsewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.layer_stack import layer_imports, read_lock

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "layer_stack.py"
LOCK = ROOT / "requirements" / "airflow3.lock"


def check(first: Path, second: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(first), str(second)], capture_output=True, text=True, timeout=60
    )


def repinned(tmp_path: Path, package: str, version: str) -> Path:
    """A copy of requirements/airflow3.lock with ``package`` pinned to ``version``."""
    text, count = re.subn(rf"(?m)^{re.escape(package)}==\S+", f"{package}=={version}", LOCK.read_text())
    assert count == 1, f"{package} is not pinned in {LOCK}"
    path = tmp_path / f"{package}-{version}.lock"
    path.write_text(text)
    return path


def without(tmp_path: Path, package: str) -> Path:
    """A copy of requirements/airflow3.lock without the pin of ``package`` (and its `# via` lines)."""
    text, count = re.subn(rf"(?m)^{re.escape(package)}==\S+\n(?:\s+#.*\n)*", "", LOCK.read_text())
    assert count == 1, f"{package} is not pinned in {LOCK}"
    path = tmp_path / f"no-{package}.lock"
    path.write_text(text)
    return path


def test_the_layer_imports_its_http_and_json_libraries_and_not_airflow() -> None:
    assert {"requests", "urllib3", "httpx", "tenacity", "msgspec"} <= layer_imports()
    assert not {name for name in layer_imports() if "airflow" in name}


def test_identical_locks_let_the_layer_tests_run_once() -> None:
    done = check(LOCK, LOCK)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "requests==" in done.stdout and "httpcore==" in done.stdout
    assert "decision: tests/commercetools need to run with one of them only" in done.stdout


@pytest.mark.parametrize("package", ["httpx", "httpcore", "h11", "certifi", "charset-normalizer", "msgspec"])
def test_a_different_pin_of_the_layer_stack_runs_the_layer_tests_on_both(tmp_path: Path, package: str) -> None:
    """The layer's imports and what they need (httpcore and h11 through httpx, charset-normalizer through requests)."""
    done = check(LOCK, repinned(tmp_path, package, "0.0.1"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{package}: {read_lock(LOCK)[package][0]} / 0.0.1" in done.stdout
    assert "decision: run tests/commercetools with both" in done.stdout


def test_a_package_pinned_in_one_lock_only_counts_as_a_difference(tmp_path: Path) -> None:
    done = check(without(tmp_path, "tenacity"), LOCK)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tenacity: not pinned / " in done.stdout


@pytest.mark.parametrize("package", ["apache-airflow", "sphinx", "pytest"])
def test_a_different_pin_outside_the_layer_stack_changes_nothing(tmp_path: Path, package: str) -> None:
    done = check(LOCK, repinned(tmp_path, package, "0.0.1"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert package not in done.stdout.split(":", 1)[1]


def test_the_real_locks_are_read_with_their_reasons() -> None:
    pins = read_lock(LOCK)
    assert "httpx" in pins["httpcore"][1]
    assert "requests" in pins["charset-normalizer"][1]
