#!/usr/bin/env bash
# Refresh the message catalogues after changing texts in code or templates: extract every
# marked string, then add the new ones to consult/translations/*/LC_MESSAGES/messages.po
# (and drop the ones no longer used). Translate the new, empty entries afterwards;
# tests/app/test_translations.py fails until every one is translated.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/pybabel ] || scripts/setup.sh test

pot="$(mktemp --suffix=.pot)"
trap 'rm -f "$pot"' EXIT
.venv/bin/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k _ln:1,2 -k lazy_pgettext:1c,2 \
    --no-location --sort-output -o "$pot" .
.venv/bin/pybabel --quiet update -d consult/translations -i "$pot" \
    --no-fuzzy-matching --ignore-obsolete

# Say what is left to do: entries with no translation yet.
.venv/bin/python - <<'PY'
from pathlib import Path
from babel.messages.pofile import read_po

for po in sorted(Path("consult/translations").glob("*/LC_MESSAGES/messages.po")):
    with po.open("rb") as fh:
        todo = [m.id for m in read_po(fh) if m.id and (m.fuzzy or not any(
            m.string if isinstance(m.string, tuple) else (m.string,)))]
    print(f"{po}: {len(todo)} to translate")
    for msgid in todo:
        print("   ", msgid[0] if isinstance(msgid, tuple) else msgid)
PY
