#!/usr/bin/env bash
# Install what the project needs (idempotent; quick when already done).
# Usage: scripts/setup.sh [runtime|dev|spark]
#   runtime, dev: into .venv (requirements.txt, requirements-dev.txt)
#   spark: into .venv-spark (requirements-spark.txt: pyspark, pandas<3, and dev), with Java for Spark
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"
venv=.venv
req=requirements.txt
[ "$kind" = dev ] && req=requirements-dev.txt
if [ "$kind" = spark ]; then
  venv=.venv-spark
  req=requirements-spark.txt
  if ! command -v java >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    if command -v apt-get >/dev/null 2>&1; then
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
    else
      echo "note: Java not found and apt-get not available; the Spark tests will be skipped" >&2
    fi
  fi
fi
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$kind"
if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ] \
  || [ requirements-dev.txt -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  touch "$stamp"
fi
