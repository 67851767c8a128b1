#!/usr/bin/env bash
# Refreshes the lock files that scripts/setup.sh installs from (requirements/*.lock), after a change
# to pyproject.toml's dependencies or to requirements/*.in. One command: `bash scripts/lock.sh`.
# Each lock is `uv pip compile` of pyproject.toml (+ its `test` extra where the venv runs pytest)
# and the matching requirements/<name>.in, resolved for CPython 3.11 on Linux (the machines the
# README commands and CI run on). uv itself is pinned (scripts/uv.sh).
# Extra arguments go to uv, e.g. `bash scripts/lock.sh --upgrade` (newest versions within the
# ranges) or `--upgrade-package apache-airflow`; without them the pins already in a lock are kept
# where they still satisfy the ranges.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/uv.sh

# compile NAME [uv arguments]: requirements/NAME.lock from pyproject.toml and requirements/NAME.in
compile() {
  local name=$1
  shift
  "$UV" pip compile --quiet --python-version 3.11 --python-platform linux \
    --custom-compile-command "bash scripts/lock.sh" \
    pyproject.toml "requirements/$name.in" "$@" -o "requirements/$name.lock"
  echo "requirements/$name.lock: $(grep -c '==' "requirements/$name.lock") pins"
}

compile airflow3 --extra test "$@"
compile airflow2 --extra test "$@"
compile cluster "$@"
