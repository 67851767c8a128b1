#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs everything (versions from requirements/*.lock),
# then ruff, mypy and pytest on Airflow 3.x and on Airflow 2.11. The cluster test (tests/cluster)
# runs once, in the Airflow 3 pass: it starts its own Airflow 3 cluster from .venv-cluster whichever
# venv runs pytest. Extra arguments go to pytest (e.g. -k hook).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -f scripts/install_browser.sh ]; then bash scripts/install_browser.sh; fi
bash scripts/install_services.sh   # redis-server and postgresql for tests/cluster

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest, Airflow $(.venv/bin/python -c 'import airflow; print(airflow.__version__)')"
.venv/bin/python -m pytest "$@"
echo "== pytest, Airflow $(.venv-af2/bin/python -c 'import airflow; print(airflow.__version__)')"
.venv-af2/bin/python -m pytest -m "not ui and not cluster" "$@"
