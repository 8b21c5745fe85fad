#!/usr/bin/env bash
# Install what is needed and start the app (a new database: it offers the demo or an empty start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime
exec .venv/bin/python -m streamlit run app.py "$@"
