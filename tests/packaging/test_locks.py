"""The lock files (requirements/*.lock, made by ``bash scripts/lock.sh``) agree with pyproject.toml and
requirements/*.in, and the virtualenv running this test has exactly the locked versions."""

from __future__ import annotations

import re
import sys
from importlib.metadata import distributions
from pathlib import Path

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.layer_stack import read_lock as read_lock_file

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"
FIX = "run `bash scripts/lock.sh` and commit requirements/*.lock"
OURS = "airflow-provider-commercetools (pyproject.toml)"


def lock_inputs() -> dict[str, bool]:
    """lock name -> whether the lock includes pyproject's `test` extra, read from scripts/lock.sh."""
    script = (ROOT / "scripts" / "lock.sh").read_text()
    found = {m.group(1): bool(m.group(2)) for m in re.finditer(r"^compile (\w+)( --extra test)?", script, re.M)}
    assert found, "scripts/lock.sh compiles no lock"
    return found


def read_lock(name: str) -> dict[str, tuple[str, set[str]]]:
    """canonical name -> (pinned version, what it is there for: the `# via` lines) of requirements/NAME.lock."""
    return read_lock_file(REQUIREMENTS / f"{name}.lock")


def wanted(name: str, with_test: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"]) + (list(project["optional-dependencies"]["test"]) if with_test else [])
    for line in (REQUIREMENTS / f"{name}.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return [Requirement(line) for line in lines]


def environment() -> dict[str, str]:
    env = dict(default_environment())
    env.update(python_version="3.11", python_full_version="3.11.0", sys_platform="linux", platform_system="Linux")
    return env


@pytest.mark.parametrize("name", sorted(lock_inputs()))
def test_lock_satisfies_pyproject_and_its_inputs(name: str) -> None:
    pins = read_lock(name)
    problems = []
    for req in wanted(name, lock_inputs()[name]):
        if req.marker is not None and not req.marker.evaluate(environment()):
            continue
        pin = pins.get(str(canonicalize_name(req.name)))
        if pin is None:
            problems.append(f"{req} is not in requirements/{name}.lock")
        elif not req.specifier.contains(pin[0], prereleases=True):
            problems.append(f"{req}: requirements/{name}.lock pins {req.name}=={pin[0]}")
    assert not problems, f"pyproject.toml / requirements/{name}.in and the lock disagree ({FIX}):\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("name", sorted(lock_inputs()))
def test_lock_has_nothing_pyproject_no_longer_asks_for(name: str) -> None:
    direct = {str(canonicalize_name(r.name)) for r in wanted(name, lock_inputs()[name])}
    stale = sorted(pkg for pkg, (_, via) in read_lock(name).items() if via == {OURS} and pkg not in direct)
    assert not stale, f"requirements/{name}.lock pins {stale} for pyproject.toml, which no longer asks for them ({FIX})"


def test_this_virtualenv_has_the_locked_versions() -> None:
    """setup.sh installs with the lock as constraints: every installed package that the lock pins
    has the pinned version (a venv made before a lock refresh fails here: re-run scripts/setup.sh)."""
    import airflow

    venvs = {".venv": "airflow3", ".venv-af2": "airflow2"}
    venv = Path(sys.prefix).name
    if venv not in venvs:
        pytest.fail(f"run the suite with .venv/bin/python or .venv-af2/bin/python (this is {sys.prefix})")
    name = venvs[venv]
    assert airflow.__version__.startswith("3." if name == "airflow3" else "2.11.")
    pins = read_lock(name)
    wrong = sorted(
        f"{d.metadata['Name']}=={d.version} (locked: {pins[key][0]})"
        for d in distributions()
        if (key := str(canonicalize_name(d.metadata["Name"]))) in pins and pins[key][0] != d.version
    )
    assert not wrong, f"{venv} differs from requirements/{name}.lock: re-run bash scripts/setup.sh\n" + "\n".join(wrong)
