#!/usr/bin/env bash
# Security checks, run by scripts/test.sh before the tests:
#   bandit     lists every finding in consult/, fails on any of high severity
#   pip-audit  checks the installed packages (not Consult itself) against known
#              vulnerabilities, fails on any found; says SKIPPED (never "no vulnerabilities")
#              when it could look nothing up, and fails then too with AUDIT_REQUIRED=1
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/bandit ] && [ -x .venv/bin/pip-audit ] || scripts/setup.sh test

echo "== bandit (all findings; high severity fails)"
.venv/bin/bandit -r consult -q --exit-zero -f custom \
    --msg-template '{relpath}:{line} {test_id} {severity}/{confidence} {msg}'
.venv/bin/bandit -r consult -q --severity-level high

echo "== pip-audit"
scripts/pip_audit.sh
