#!/usr/bin/env bash
# Set everything up and serve Consult on SQLite with the demo community at http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=consult
.venv/bin/flask db upgrade
.venv/bin/flask demo seed --if-empty
echo "Consult is at http://127.0.0.1:5000  (Ctrl-C stops it)"
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
