#!/usr/bin/env bash
# Install what is needed and start the app. A new database gets the demo (ENTITLEMENTS_START_WITH
# defaults to `demo` here; set it to `ask` for the first-run choice or `empty` to start empty).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh runtime
export ENTITLEMENTS_START_WITH="${ENTITLEMENTS_START_WITH:-demo}"
exec .venv/bin/python -m streamlit run app.py "$@"
