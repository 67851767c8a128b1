"""Do two lock files pin the same versions of everything the commercetools layer runs on?

The layer's tests (tests/commercetools) need no Airflow, so scripts/test.sh runs them in the Airflow 3
pass and again in the Airflow 2.11 pass only when this script finds a difference: in a package the
layer's source imports, or in anything such a package needs (the locks' ``# via`` lines), in either lock.
Usage: ``python scripts/layer_stack.py requirements/airflow3.lock requirements/airflow2.lock``; prints the
packages compared and the decision; exit status 0 = identical pins, 1 = they differ.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "airflow_provider_commercetools" / "commercetools"

#: Imports of the layer not compared: the provider itself, and Airflow, whose only uses there (the base
#: class of the errors, ObjectStoragePath for URLs) are exercised by the tests outside tests/commercetools,
#: which run on both Airflow lines.
NOT_COMPARED = frozenset({"__future__", "airflow", "airflow_provider_commercetools"})


def canonical(name: str) -> str:
    """A distribution or module name as the locks spell it (PEP 503: lower case, runs of -_. as one -)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, tuple[str, set[str]]]:
    """canonical name -> (pinned version, what it is there for: the `# via` lines) of a uv/pip-compile lock."""
    pins: dict[str, tuple[str, set[str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9._-]+)(\[[^\]]*\])?==([^\s;]+)", line):
            current = canonical(m.group(1))
            pins[current] = (m.group(3), set())
        elif current and (m := re.match(r"^\s+#\s+(?:via\s+)?(\S.*)$", line)) and m.group(1) != "via":
            pins[current][1].add(m.group(1).removeprefix("via ").strip())
    return pins


def layer_imports(layer: Path = LAYER) -> set[str]:
    """The third-party top-level modules the layer's source imports, canonical names."""
    modules: set[str] = set()
    for path in sorted(layer.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {canonical(m) for m in modules - set(sys.stdlib_module_names) - NOT_COMPARED}


def needed(roots: set[str], pins: dict[str, tuple[str, set[str]]]) -> set[str]:
    """``roots`` and everything the lock pins because one of them (transitively) needs it."""
    needs: dict[str, set[str]] = {}
    for name, (_, via) in pins.items():
        for parent in via:
            needs.setdefault(canonical(parent), set()).add(name)
    found, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(needs.get(name, ()))
    return found


def differences(first: Path, second: Path, roots: set[str]) -> tuple[list[str], list[str]]:
    """(the packages compared as name==version, the differences as text) between two locks."""
    a, b = read_lock(first), read_lock(second)
    compared = sorted(needed(roots, a) | needed(roots, b))

    def pin(pins: dict[str, tuple[str, set[str]]], name: str) -> str:
        return pins[name][0] if name in pins else "not pinned"

    same = [f"{name}=={pin(a, name)}" for name in compared if pin(a, name) == pin(b, name)]
    differ = [f"{name}: {pin(a, name)} / {pin(b, name)}" for name in compared if pin(a, name) != pin(b, name)]
    return same, differ


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    first, second = map(Path, argv)
    same, differ = differences(first, second, layer_imports())
    if differ:
        print(f"layer stack differs between {first} and {second}: " + "; ".join(differ))
        print("decision: run tests/commercetools with both")
        return 1
    print(f"layer stack pinned identically in {first} and {second}: " + ", ".join(same))
    print("decision: tests/commercetools need to run with one of them only")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
