#!/usr/bin/env bash
# Installs the headless browser that the UI tests (tests/ui) drive: Debian's chromium and
# chromium-driver. Idempotent: returns at once when /usr/bin/chromium is already there.
# Needs root (CI runs as root) or sudo. No browser is ever downloaded from elsewhere
# (never `playwright install`): Playwright drives this system Chromium.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi

source "$(dirname "$0")/apt.sh"
apt_ready install_browser.sh "/usr/bin/chromium" "chromium and chromium-driver"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser.sh: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
/usr/bin/chromium --version >&2
