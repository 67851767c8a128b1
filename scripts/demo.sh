#!/usr/bin/env bash
# The demo: installs what it needs (Airflow 3.x in .venv, the emulator's npm packages), then runs
# the example DAGs against a local commercetools emulator and prints what moved.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
exec .venv/bin/python scripts/demo.py
