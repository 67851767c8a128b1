#!/usr/bin/env bash
# Creates the virtualenvs and installs the emulator's npm packages. `setup.sh` (for the tests):
# .venv with Airflow 3.x and the test tools, .venv-af2 with Airflow 2.11, .venv-cluster with
# Airflow 3.x, the Celery and Amazon providers, psycopg2 and moto (the processes of tests/cluster);
# `setup.sh demo`: .venv with Airflow 3.x only. Every version installed is pinned by a lock file in
# requirements/ (refresh them with `bash scripts/lock.sh`). Re-running is fast: a step is skipped
# while its inputs (pyproject.toml, the lock, the arguments) are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
source scripts/uv.sh

# make_venv DIR LOCK REQUIREMENT...: install the requirements into DIR (a venv with pip, made by
# python -m venv), every version pinned by requirements/LOCK.lock (a constraints file), with uv,
# unless DIR already has exactly these.
make_venv() {
  local venv=$1 lock="requirements/$2.lock"
  shift 2
  local stamp="$venv/.installed" want
  want=$( (cat pyproject.toml "$lock"; echo "$@ compile-bytecode") | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "== installing into $venv from $lock: $*"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  # --compile-bytecode: the .pyc files are written now, so that every process that imports Airflow
  # (tests start many) does not compile it again, also where PYTHONDONTWRITEBYTECODE is set (6 s -> 2.5 s).
  if ! "$UV" pip install --compile-bytecode --python "$venv/bin/python" -c "$lock" "$@" >"$venv/install.log" 2>&1; then
    tail -40 "$venv/install.log"
    echo "uv pip install failed in $venv (full log: $venv/install.log)" >&2
    exit 1
  fi
  "$venv/bin/python" -c "import airflow, airflow_provider_commercetools" >/dev/null
  echo "$want" >"$stamp"
}

if [ "${1:-}" = "demo" ]; then
  make_venv .venv airflow3 -e . apache-airflow   # no test tools, no browser driver; versions from the lock
else
  make_venv .venv airflow3 -e ".[test]" -r requirements/airflow3.in
  make_venv .venv-af2 airflow2 -e ".[test]" -r requirements/airflow2.in
  make_venv .venv-cluster cluster -e . -r requirements/cluster.in
fi

if [ ! -f emulator/node_modules/.package-lock.json ] || [ emulator/package-lock.json -nt emulator/node_modules/.package-lock.json ]; then
  echo "== npm ci (emulator)"
  npm ci --prefix emulator --no-audit --no-fund --loglevel=error
fi
