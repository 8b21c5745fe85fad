#!/usr/bin/env bash
# Install what is needed (Python packages, Debian's Chromium for the browser tests)
# and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: apt-get not found; browser tests will be skipped" >&2
  fi
fi
.venv/bin/python -m ruff check .
exec .venv/bin/python -m pytest -q "$@"
