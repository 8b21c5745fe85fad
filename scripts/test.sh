#!/usr/bin/env bash
# Install what is needed (Python packages, Debian's Chromium for the browser tests, Java and
# PySpark for the Spark engine's tests) and run the whole test suite. Extra arguments go to pytest.
# The Spark tests (marked `spark`) run in .venv-spark (pyspark needs pandas<3); the rest in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
bash scripts/setup.sh spark
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
spark=0
.venv-spark/bin/python -m pytest -q -m spark "$@" || spark=$?
# 5: the arguments selected no Spark test (e.g. one test file): nothing failed.
[ "$spark" -eq 5 ] && spark=0
main=0
.venv/bin/python -m pytest -q -m "not spark" "$@" || main=$?
if [ "$spark" -ne 0 ]; then
  echo "the Spark tests failed (exit $spark); see above" >&2
  exit "$spark"
fi
exit "$main"
