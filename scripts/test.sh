#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs everything (versions from requirements/*.lock),
# then ruff, mypy, the import contracts (lint-imports), the docs (when scripts/docs.sh exists), and
# pytest on Airflow 3.x and on Airflow 2.11, each spread over pytest-xdist workers (PYTEST_WORKERS,
# default 3: the tests wait on servers and subprocesses more than they compute). The cluster test
# (tests/cluster) and the browser tests run once, in the Airflow 3 pass; so do the layer's tests
# (tests/commercetools, no Airflow in them) while scripts/layer_stack.py finds that both locks pin the
# same HTTP/JSON stack. Extra arguments go to pytest (e.g. -k hook); a pass that selects no test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/install_browser.sh ]; then bash scripts/install_browser.sh; fi
bash scripts/install_services.sh   # redis-server and postgresql for tests/cluster

WORKERS=${PYTEST_WORKERS:-3}

# run_pytest VENV ARG...: pytest in VENV's Python over WORKERS xdist workers (tests sharing a
# server are one xdist_group, see tests/conftest.py), with its wall time; exit 5 (no test
# collected) fails like any other failure, with a word on why.
run_pytest() {
  local venv=$1 start=$SECONDS status=0
  shift
  echo "== pytest, Airflow $("$venv/bin/python" -c 'import airflow; print(airflow.__version__)')"
  "$venv/bin/python" -m pytest -n "$WORKERS" --dist loadgroup --durations=20 "$@" || status=$?
  echo "== pytest in $venv: $((SECONDS - start)) s, exit status $status"
  if [ "$status" -eq 5 ]; then
    echo "pytest in $venv selected no test: that is a failure here (check the arguments)" >&2
  fi
  return "$status"
}

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== lint-imports"
.venv/bin/lint-imports
if [ -f scripts/docs.sh ]; then
  echo "== docs"
  bash scripts/docs.sh
fi

run_pytest .venv "$@"
af2_skip=()
if .venv/bin/python scripts/layer_stack.py requirements/airflow3.lock requirements/airflow2.lock; then
  af2_skip=(--ignore=tests/commercetools)
fi
run_pytest .venv-af2 -m "not ui and not cluster" "${af2_skip[@]}" "$@"
