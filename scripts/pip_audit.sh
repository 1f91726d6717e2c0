#!/usr/bin/env bash
# pip-audit, as scripts/audit.sh runs it. PIP_AUDIT and PYTHON name other executables (the tests
# use a stand-in that prints what pip-audit prints).
set -euo pipefail
cd "$(dirname "$0")/.."
pip_audit="${PIP_AUDIT:-.venv/bin/pip-audit}"
python="${PYTHON:-.venv/bin/python}"
# pip-audit looks each installed package up in a vulnerability service over the network. From a
# machine that cannot reach it every lookup fails and pip-audit still says "No known
# vulnerabilities found": that says nothing, so it is never printed as a pass here. The summary
# counts what was really checked; when nothing was, the audit says SKIPPED and why. It fails on a
# vulnerability found, and on a skip only when AUDIT_REQUIRED=1 (set it where the service is
# reachable, so that a silent skip cannot pass there).
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
"$pip_audit" --skip-editable --progress-spinner off >"$out" 2>&1 || status=$?
if grep -q "^Found [0-9]* known vulnerabilit" "$out"; then
    cat "$out"
    exit 1
fi
unchecked="$(grep -c "could not be audited" "$out" || true)"
if [ "$status" -ne 0 ] && [ "$unchecked" -eq 0 ]; then
    cat "$out"
    exit "$status"
fi
total="$("$python" -m pip list --exclude-editable --format=freeze 2>/dev/null | wc -l)"
checked=$((total - unchecked))
if [ "$checked" -le 0 ]; then
    echo "pip-audit: SKIPPED: none of the $total installed packages could be looked up (the" \
         "vulnerability service gave no answer from this machine), so nothing was checked."
    [ "${AUDIT_REQUIRED:-0}" = "1" ] && { echo "AUDIT_REQUIRED=1: failing."; exit 1; }
    exit 0
fi
echo "pip-audit: checked $checked of $total installed packages; no known vulnerabilities in them."
if [ "$unchecked" -gt 0 ]; then
    echo "NOT CHECKED: $unchecked packages could not be looked up (no answer for their" \
         "versions):"
    grep "could not be audited" "$out" | awk '{print $1}' | paste -sd' ' | fold -s -w 96 \
        | sed 's/^/    /'
    [ "${AUDIT_REQUIRED:-0}" = "1" ] && { echo "AUDIT_REQUIRED=1: failing."; exit 1; }
fi
exit 0
