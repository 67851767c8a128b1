#!/usr/bin/env bash
# Installs the headless browser that the UI tests (tests/ui) drive: Debian's chromium and
# chromium-driver. Idempotent: returns at once when /usr/bin/chromium is already there.
# Needs root (CI runs as root) or sudo. No browser is ever downloaded from elsewhere
# (never `playwright install`): Playwright drives this system Chromium.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    echo "install_browser.sh: /usr/bin/chromium is missing and this user cannot run apt-get (not root, no sudo)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser.sh: /usr/bin/chromium is missing and apt-get is not available; install Chromium by hand" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install_browser.sh: installing chromium and chromium-driver with apt-get" >&2
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser.sh: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
/usr/bin/chromium --version >&2
