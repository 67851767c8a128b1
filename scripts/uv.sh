# Sourced by setup.sh and lock.sh: puts a pinned uv (from PyPI, installed with pip into .venv-tools)
# in $UV. uv resolves the locks (lock.sh) and installs them (setup.sh) several times faster than pip.
UV_VERSION=0.13.9
export PIP_DISABLE_PIP_VERSION_CHECK=1 UV_LINK_MODE=copy UV_NO_PROGRESS=1
UV=.venv-tools/bin/uv
if [ "$("$UV" --version 2>/dev/null)" != "uv $UV_VERSION" ]; then
  [ -x .venv-tools/bin/python ] || "${PYTHON:-python3}" -m venv .venv-tools
  if ! .venv-tools/bin/pip install -q "uv==$UV_VERSION" >.venv-tools/pip.log 2>&1; then
    grep -v "^WARNING: Location" .venv-tools/pip.log | tail -20
    echo "pip install uv==$UV_VERSION failed (log: .venv-tools/pip.log)" >&2
    exit 1
  fi
fi
# uv does not read pip.conf: give it the system CA bundle (pip's `cert`) unless one is set already.
if [ -z "${SSL_CERT_FILE:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
fi
