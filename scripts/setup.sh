#!/usr/bin/env bash
# Creates the virtualenvs and installs the emulator's npm packages. `setup.sh` (for the tests):
# .venv with Airflow 3.x and the test tools, .venv-af2 with Airflow 2.11; `setup.sh demo`: .venv with
# Airflow 3.x only. Re-running is fast: a step is skipped while its inputs are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1

# make_venv DIR REQUIREMENT...: install the requirements into DIR unless it already has exactly these.
make_venv() {
  local venv=$1
  shift
  local stamp="$venv/.installed" want
  want=$( (cat pyproject.toml; echo "$@") | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "== installing into $venv: $*"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  if ! "$venv/bin/pip" install -q "$@" >"$venv/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$venv/pip.log" | tail -40
    echo "pip install failed in $venv (full log: $venv/pip.log)" >&2
    exit 1
  fi
  "$venv/bin/python" -c "import airflow, airflow_provider_commercetools" >/dev/null
  echo "$want" >"$stamp"
}

if [ "${1:-}" = "demo" ]; then
  make_venv .venv -e . "apache-airflow>=3.1,<4"
else
  make_venv .venv -e ".[test]" "apache-airflow>=3.1,<4" "playwright>=1.65,<2"
  make_venv .venv-af2 -e ".[test]" "apache-airflow==2.11.*"
fi

if [ ! -f emulator/node_modules/.package-lock.json ] || [ emulator/package-lock.json -nt emulator/node_modules/.package-lock.json ]; then
  echo "== npm ci (emulator)"
  npm ci --prefix emulator --no-audit --no-fund --loglevel=error
fi
