#!/usr/bin/env bash
# Creates the two virtualenvs (Airflow 3.x in .venv, Airflow 2.11 in .venv-af2) and installs the
# emulator's npm packages. Re-running is fast: each step is skipped while its inputs are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1

# name, Airflow requirement, extra requirements
make_venv() {
  local venv=$1 airflow=$2
  shift 2
  local stamp="$venv/.installed"
  local want
  want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "== installing $venv ($airflow)"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  "$venv/bin/pip" install -q -e ".[test]" "$airflow" "$@" 2>&1 | grep -v "^WARNING: Location" || true
  "$venv/bin/python" -c "import airflow, airflow_provider_commercetools" >/dev/null
  echo "$want" >"$stamp"
}

make_venv .venv "apache-airflow>=3.1,<4" "playwright>=1.65,<2"
# The demo needs only Airflow 3.x; the test suite also runs on 2.11.
if [ "${1:-}" != "demo" ]; then
  make_venv .venv-af2 "apache-airflow==2.11.*"
fi

if [ ! -f emulator/node_modules/.package-lock.json ] || [ emulator/package-lock.json -nt emulator/node_modules/.package-lock.json ]; then
  echo "== npm ci (emulator)"
  npm ci --prefix emulator --no-audit --no-fund --loglevel=error
fi
