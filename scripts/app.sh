#!/usr/bin/env bash
# Install what is needed and start the app (it builds the demo database when there is none).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime
exec .venv/bin/python -m streamlit run app.py "$@"
