#!/usr/bin/env bash
# Builds the documentation site (docs/, Sphinx + MyST + Furo) into docs/_build/html with every
# warning an error (-n: every unresolved reference too), then checks the external links offline.
# Internal links, heading anchors, files, images, includes and autodoc targets are checked by the
# build itself; external URLs cannot be fetched here, so they are listed and checked for being
# well-formed https URLs. Needs .venv (bash scripts/setup.sh; scripts/test.sh runs it first).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "docs.sh: $PY is missing: run bash scripts/setup.sh" >&2; exit 1; }
OUT=docs/_build

# autodoc imports the package and so Airflow: give it a throwaway AIRFLOW_HOME, not ~/airflow.
AIRFLOW_HOME=$(mktemp -d)
trap 'rm -rf "$AIRFLOW_HOME"' EXIT
export AIRFLOW_HOME AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__LOGGING__LOGGING_LEVEL=WARNING

echo "== docs: sphinx-build -n -W (html into $OUT/html)"
rm -rf "$OUT"
"$PY" -m sphinx -n -W --keep-going -q -b html -d "$OUT/doctrees" docs "$OUT/html"

echo "== docs: external links (listed, checked for being well-formed https URLs; not fetched offline)"
"$PY" - README.md BENCHMARKS.md docs <<'PYTHON'
"""List the external link targets of the Markdown sources and fail on any that is not a well-formed https URL."""

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

LINK = re.compile(r"\]\(\s*<?([a-zA-Z][a-zA-Z0-9+.-]*://[^)>]*)>?\s*\)|<([a-zA-Z][a-zA-Z0-9+.-]*://[^>]*)>")
HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

files = []
for arg in map(Path, sys.argv[1:]):
    files += sorted(p for p in arg.rglob("*.md") if "_build" not in p.parts) if arg.is_dir() else [arg]
bad = []
urls = set()
for path in files:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for match in LINK.finditer(line):
            url = (match.group(1) or match.group(2)).strip()
            parts = urlsplit(url)
            urls.add(url)
            if parts.scheme != "https" or not HOST.match(parts.hostname or "") or re.search(r"\s", url):
                bad.append(f"{path}:{number}: {url}")
for url in sorted(urls):
    print("  ", url)
if bad:
    print("not well-formed https URLs:", *bad, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"{len(urls)} external URLs in {len(files)} files, all well-formed https URLs")
PYTHON
echo "== docs: ok, $OUT/html/index.html"
