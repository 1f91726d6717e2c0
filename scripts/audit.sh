#!/usr/bin/env bash
# Security checks, run by scripts/test.sh before the tests:
#   bandit     lists every finding in consult/, fails on any of high severity
#   pip-audit  checks the installed packages (not Consult itself) against known
#              vulnerabilities, fails on any found
# Packages pip-audit could not look up are reported but do not fail the run: the lookup
# depends on the package index answering, which says nothing about our code.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/bandit ] && [ -x .venv/bin/pip-audit ] || scripts/setup.sh test

echo "== bandit (all findings; high severity fails)"
.venv/bin/bandit -r consult -q --exit-zero -f custom \
    --msg-template '{relpath}:{line} {test_id} {severity}/{confidence} {msg}'
.venv/bin/bandit -r consult -q --severity-level high

echo "== pip-audit"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
.venv/bin/pip-audit --skip-editable --progress-spinner off >"$out" 2>&1 || status=$?
if grep -q "^Found [0-9]* known vulnerabilit" "$out"; then
    cat "$out"
    exit 1
fi
unchecked="$(grep -c "could not be audited" "$out" || true)"
if [ "$status" -ne 0 ] && [ "$unchecked" -eq 0 ]; then
    cat "$out"
    exit "$status"
fi
total="$(.venv/bin/python -m pip list --exclude-editable --format=freeze 2>/dev/null | wc -l)"
echo "pip-audit: no known vulnerabilities in $((total - unchecked)) of $total installed packages."
if [ "$unchecked" -gt 0 ]; then
    echo "WARNING: $unchecked packages could not be looked up (the index gave no answer for" \
         "their versions), so they were NOT checked:"
    grep "could not be audited" "$out" | awk '{print $1}' | paste -sd' ' | fold -s -w 96 \
        | sed 's/^/    /'
fi
