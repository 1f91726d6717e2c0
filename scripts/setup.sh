#!/usr/bin/env bash
# Shared set-up for scripts/run.sh and scripts/test.sh: a virtualenv in .venv with the project
# installed, and the translation catalogues compiled. Safe to run again; skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Consult needs Python 3.11 or newer ($python is $("$python" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=".venv/.consult-installed${extras:+-$extras}"
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
    echo "$want" > "$stamp"
fi
# Compiled catalogues (.mo) are build output, not committed; compile the .po files we ship.
if compgen -G "consult/translations/*/LC_MESSAGES/messages.po" > /dev/null; then
    .venv/bin/pybabel compile --statistics -d consult/translations 2>&1 | grep -v '^compiling' || true
fi
