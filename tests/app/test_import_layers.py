"""Import layering of ``consult/``: no new import cycle, no new import from a lower layer up to
a higher one.

The layers and each module's place in them are written out in ``scripts/imports.py``
(``LAYERS``), which also reads the imports; ``.venv/bin/python scripts/imports.py`` prints the
same findings as a report. The two lists below are the state when this check was written. They
may only shrink: a cycle or an upward import that is not listed fails, and so does a listed one
that no longer occurs (delete its entry).
"""
from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("consult_import_check",
                                               ROOT / "scripts" / "imports.py")
check = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check  # dataclasses look their module up
_spec.loader.exec_module(check)

HERE = "tests/app/test_import_layers.py"

# Import cycles (strongly connected modules), function-level and TYPE_CHECKING imports counted.
IMPORT_CYCLES = {
    # accounts/models.py imports Community under TYPE_CHECKING for an annotation;
    # community/models.py imports User at module level.
    "accounts models <-> community models": {
        "consult.accounts.models", "consult.community.models"},
}

# Imports from a lower layer up to a higher one: (importing file, imported module, what it
# takes). Listed once per import statement; line numbers are left out so that edits elsewhere
# in a file do not touch this list (a failure names the line).
UPWARD_IMPORTS: list[tuple[str, str, str]] = [
    # None left: keep it so. (The seven of the first check went when is_htmx, the text-size
    # cookie and the secret fields moved to consult/http.py and the vote labels to
    # consult/votes/labels.py.)
]


@pytest.fixture(scope="module")
def scanned():
    return check.scan()


def _layer(module: str) -> str:
    return check.LAYERS.get(module, "no layer")


def test_every_module_has_a_layer(scanned):
    missing = check.unclassified(scanned.modules)
    gone = sorted(set(check.LAYERS) - set(scanned.modules))
    problems = [f"{m} has no layer: add it to LAYERS in scripts/imports.py" for m in missing]
    problems += [f"{m} is in LAYERS but no longer exists: remove it from LAYERS in "
                 f"scripts/imports.py" for m in gone]
    assert not problems, "\n".join(problems)


def test_no_import_cycle_beyond_the_baseline(scanned):
    found = check.cycles(check.graph(scanned.imports, check.ALL_KINDS))
    known = {frozenset(members): name for name, members in IMPORT_CYCLES.items()}
    problems = []
    for members in found:
        if frozenset(members) in known:
            continue
        edges = [f"    {imp.where}: {imp.source} imports {imp.what} from {imp.target} "
                 f"({imp.kind} level)"
                 for imp in scanned.imports if imp.source in members and imp.target in members]
        problems.append(
            f"New import cycle among {', '.join(members)}:\n" + "\n".join(edges) + "\n"
            "  Fix: move the piece both sides need down a layer (into a models, rules or "
            "service/queries module both may import), so that only one side imports the "
            "other. A function-level import hides a cycle; it does not remove it.")
    found_sets = {frozenset(members) for members in found}
    for name, members in IMPORT_CYCLES.items():
        if frozenset(members) not in found_sets:
            problems.append(f"The cycle {name!r} ({', '.join(sorted(members))}) no longer "
                            f"occurs: remove it from IMPORT_CYCLES in {HERE}.")
    assert not problems, "\n".join(problems)


def test_no_upward_import_beyond_the_baseline(scanned):
    up = check.upward(scanned.imports)
    found = Counter((imp.path, imp.target, imp.what) for imp in up)
    listed = Counter(UPWARD_IMPORTS)
    problems = []
    for key, count in found.items():
        if count <= listed[key]:
            continue
        if listed[key]:
            problems.append(f"{key!r} is listed {listed[key]} time(s) in UPWARD_IMPORTS but "
                            f"occurs {count} times; the new one is among these:")
        for imp in up:
            if (imp.path, imp.target, imp.what) == key:
                problems.append(
                    f"{imp.where}: {imp.source} ({_layer(imp.source)}) imports {imp.what} from "
                    f"{imp.target} ({_layer(imp.target)}), a higher layer.\n"
                    f"  Fix: move {imp.what} down to the {_layer(imp.source)} layer or lower "
                    f"and import it from there (layers, low to high: "
                    f"{check.layer_order()}).")
    for key, count in listed.items():
        if found[key] < count:
            path, target, what = key
            problems.append(f"{path} no longer imports {what} from {target}: remove "
                            f"{key!r} from UPWARD_IMPORTS in {HERE}.")
    assert not problems, "\n".join(problems)


def test_the_scan_reads_every_kind_of_import(tmp_path):
    """The scanner on a small package of its own: relative imports, a submodule taken from its
    package, TYPE_CHECKING and function-level imports, and the cycles they make."""
    package = tmp_path / "consult"
    (package / "a").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a" / "__init__.py").write_text("")
    (package / "a" / "models.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import rules\n"
        "if TYPE_CHECKING:\n"
        "    from consult.a.views import page\n")
    (package / "a" / "rules.py").write_text(
        "import os\n"
        "def f():\n"
        "    from consult.a import models\n"
        "    import json\n")
    (package / "a" / "views.py").write_text(
        "from ..a.models import Thing, Other\n"
        "import consult.a.rules\n")
    scanned = check.scan(tmp_path)
    found = {(i.source, i.target, i.names, i.line, i.kind) for i in scanned.imports}
    assert found == {
        ("consult.a.models", "consult.a.rules", (), 2, check.MODULE_LEVEL),
        ("consult.a.models", "consult.a.views", ("page",), 4, check.TYPE_ONLY),
        ("consult.a.rules", "consult.a.models", (), 3, check.FUNCTION_LEVEL),
        ("consult.a.views", "consult.a.models", ("Thing", "Other"), 1, check.MODULE_LEVEL),
        ("consult.a.views", "consult.a.rules", (), 2, check.MODULE_LEVEL),
    }
    assert (scanned.function_level_statements, scanned.function_level_consult_statements) == (2, 1)
    assert check.cycles(check.graph(scanned.imports, check.ALL_KINDS)) == [
        ["consult.a.models", "consult.a.rules", "consult.a.views"]]
    assert check.cycles(check.graph(scanned.imports, (check.MODULE_LEVEL,))) == []
