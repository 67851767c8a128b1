#!/usr/bin/env bash
# Builds the documentation site (docs/, Sphinx + MyST + Furo) into docs/_build/html with every
# warning an error (-n: every unresolved Python reference too), then docs/check_sources.py.
# The build checks internal links, heading anchors, links to files, images, includes and autodoc
# targets; external URLs cannot be fetched here (no network but the package registries), so
# check_sources.py lists them and checks that each is a well-formed https URL, and runs the imports
# of the code examples. Needs .venv (bash scripts/setup.sh; scripts/test.sh runs it first).
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

echo "== docs: external URLs and the examples' imports (docs/check_sources.py)"
PYTHONPATH="$PWD" "$PY" docs/check_sources.py README.md BENCHMARKS.md docs
echo "== docs: ok, $OUT/html/index.html"
