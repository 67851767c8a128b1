"""What the Sphinx build cannot check in the Markdown sources, offline: external URLs and the examples' imports.

Run by ``scripts/docs.sh`` after the build, with the paths of the sources (files or folders):

- every external link target (``[text](https://...)``, ``<https://...>``) is listed and must be a
  well-formed ``https://`` URL (a dotted host name, no spaces): the machines that build the docs
  reach no external site, so the URLs are not fetched;
- every ``from airflow_provider_commercetools... import ...`` line of a ``python`` code block is run,
  so an example that names a moved module or a renamed class fails the docs build.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

LINK = re.compile(r"\]\(\s*<?([a-zA-Z][a-zA-Z0-9+.-]*://[^)>\s]*)>?\s*\)|<([a-zA-Z][a-zA-Z0-9+.-]*://[^>\s]*)>")
HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
PACKAGE_IMPORT = re.compile(r"^\s*from (airflow_provider_commercetools[\w.]*) import ([\w, ]+)$", re.MULTILINE)


def markdown_files(paths: Iterable[str]) -> list[Path]:
    """The Markdown files among ``paths`` (folders searched, built output skipped)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.md") if "_build" not in p.parts)
        else:
            files.append(path)
    return files


def external_links(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, URL)`` of each external link target in ``path``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for match in LINK.finditer(line):
            yield number, match.group(1) or match.group(2)


def is_well_formed_https(url: str) -> bool:
    """An ``https://`` URL with a dotted host name."""
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(HOST.match(parts.hostname or ""))


def example_imports(path: Path) -> Iterator[tuple[str, str]]:
    """``(module, name)`` of each import from this package in the ``python`` code blocks of ``path``."""
    for block in PYTHON_BLOCK.findall(path.read_text(encoding="utf-8")):
        for module, names in PACKAGE_IMPORT.findall(block):
            for name in names.split(","):
                yield module, name.strip()


def import_error(module: str, name: str) -> str | None:
    """Why ``from module import name`` fails, or None when it works."""
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def main(paths: list[str]) -> int:
    """Check the sources; print what was checked and every failure; 1 if anything failed."""
    files = markdown_files(paths)
    failures: list[str] = []
    urls: set[str] = set()
    imports: set[tuple[str, str]] = set()
    for path in files:
        for number, url in external_links(path):
            urls.add(url)
            if not is_well_formed_https(url):
                failures.append(f"{path}:{number}: not a well-formed https URL: {url}")
        for module, name in example_imports(path):
            imports.add((module, name))
            error = import_error(module, name)
            if error:
                failures.append(f"{path}: from {module} import {name}: {error}")
    print(f"external URLs (not fetched offline; checked for being well-formed https URLs): {len(urls)}")
    for url in sorted(urls):
        print("  ", url)
    print(f"imports of the code examples, run: {len(imports)}")
    if failures:
        print("docs sources: failed", *failures, sep="\n  ", file=sys.stderr)
        return 1
    print(f"docs sources: ok ({len(files)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
