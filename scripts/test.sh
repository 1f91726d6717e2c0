#!/usr/bin/env bash
# Set everything up and run the whole test suite: on SQLite, then on PostgreSQL. The second
# pass runs the tests that use the database (tests/conftest.py, DATABASE_TESTS_ONLY): the
# browser tests (tests/browser, marker "browser": pages, scripts and layout in Chromium) and
# the tests of rules, parsers and page models answer the same on both and run once.
#   TEST_DATABASE_URL  PostgreSQL to test on (default: postgres@127.0.0.1:5432/test)
#   SKIP_POSTGRES=1    run on SQLite only
#   TEST_WORKERS=N     pytest-xdist workers (default 2, one per core here; 0 runs in one process)
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test

# Browser tests drive Debian's chromium (Playwright's own browser download is not used).
if ! command -v chromium >/dev/null 2>&1 && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    echo "Installing chromium for the browser tests..."
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

# The tests start their own Redis server (tests/redis_server.py) from Debian's redis-server.
if ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing redis-server for the tests..."
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq redis-server >/dev/null
fi

scripts/audit.sh

mkdir -p test-artifacts
workers=(-n "${TEST_WORKERS:-2}")
[ "${TEST_WORKERS:-2}" = "0" ] && workers=(-p no:xdist)
echo "== Test suite on SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest "${workers[@]}" "$@"

if [ "${SKIP_POSTGRES:-0}" != "1" ]; then
    export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
    echo "== Test suite on PostgreSQL ($TEST_DATABASE_URL): the tests that use the database"
    DATABASE_TESTS_ONLY=1 .venv/bin/python -m pytest "${workers[@]}" -m "not browser" "$@"
fi
