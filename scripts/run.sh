#!/usr/bin/env bash
# Set everything up and serve Consult on SQLite with the demo community at http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export FLASK_APP=consult
.venv/bin/flask db upgrade
.venv/bin/flask demo seed --if-empty
echo "Consult is at http://127.0.0.1:5000  (Ctrl-C stops it)"
# The demo "sends" SMS into this terminal (MESSAGE … lines): codes, reminders, vote notices.
# Set SMS_PROVIDER= (empty) to see the site as it is with no SMS provider at all.
SMS_PROVIDER="${SMS_PROVIDER-log}" exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
