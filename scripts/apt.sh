# Sourced by the install_*.sh scripts. apt_ready SCRIPT MISSING INSTALLING: make apt-get usable for
# SCRIPT, or exit saying why MISSING cannot be installed here; then say that it installs INSTALLING. Sets SUDO (empty for root, else `sudo -n`) for
# "${SUDO[@]}" apt-get ..., sets DEBIAN_FRONTEND=noninteractive and runs apt-get update.
apt_ready() {
  local script=$1 missing=$2 installing=$3
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "$script: $missing is missing and this user cannot run apt-get (not root, no sudo)" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$script: $missing is missing and apt-get is not available; install it by hand" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "$script: installing $installing with apt-get" >&2
  "${SUDO[@]}" apt-get update -qq
}
