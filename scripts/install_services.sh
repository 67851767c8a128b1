#!/usr/bin/env bash
# Installs the servers that the cluster test (tests/cluster) starts and stops itself: Debian's
# redis-server (the Celery broker) and postgresql (the Airflow metadata DB). Idempotent: returns at
# once when both are there. Needs root (CI runs as root) or sudo. Nothing is started here: the
# test runs each server in a temporary directory on 127.0.0.1 and a free port.
set -euo pipefail

have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
if command -v redis-server >/dev/null 2>&1 && have_postgres; then
    exit 0
fi

source "$(dirname "$0")/apt.sh"
apt_ready install_services.sh "redis-server or postgresql" "redis-server and postgresql"
# policy-rc.d 101: the packages' maintainer scripts must not start system-wide servers (the test
# starts its own); removed again afterwards.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
status=0
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends redis-server postgresql >/dev/null || status=$?
if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi
if [ "$status" -ne 0 ]; then
    echo "install_services.sh: apt-get install redis-server postgresql failed ($status)" >&2
    exit "$status"
fi
if ! command -v redis-server >/dev/null 2>&1 || ! have_postgres; then
    echo "install_services.sh: apt-get finished but redis-server or /usr/lib/postgresql/*/bin/initdb is still missing" >&2
    exit 1
fi
redis-server --version >&2
