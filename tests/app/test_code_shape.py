"""One shape for the services: the person who acts (or reads) comes first, ``f(actor, obj, ...)``,
in every domain, so that calls read alike: ``schedule_meeting(secretary, community, ...)``,
``cast(actor, vote, option)``, ``post(actor, topic, body)``, ``lifecycle.apply(actor, topic,
name)``.

The check reads the service modules' public functions with ``ast``: a function with a positional
parameter named for a person must have a person as its first parameter. Ids (``user_id``) are not
persons, and a keyword-only person (``import_roster(..., *, actor=None)``) cannot be passed in the
wrong place, so neither counts.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The modules that hold services (the rules, their reads and the lifecycle), by file name.
SERVICE_MODULES = {
    "service.py", "comments.py", "reception.py", "booking.py", "minutes.py", "residency.py",
    "reset.py", "importer.py", "board.py", "lockout.py", "queries.py", "lifecycle.py",
    "from_reception.py", "tokens.py", "matters.py",
}
# Parameter names that stand for a person (an account).
PERSONS = {
    "actor", "user", "viewer", "reader", "secretary", "author", "voter", "resident", "proposer",
    "representative", "moderator", "admin", "current_user",
}
# Exceptions to the shape, by (file, function). None: keep it so (a listed function that is in
# shape fails the test too).
NOT_YET: set[tuple[str, str]] = set()


def out_of_shape(tree: ast.Module) -> list[str]:
    """The public functions of a module whose first parameter is not a person although a later
    positional one is."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            if any(n in PERSONS for n in names[1:]) and names[0] not in PERSONS:
                found.append(node.name)
    return found


def test_services_take_the_acting_person_first():
    wrong = {(path.relative_to(ROOT).as_posix(), name)
             for path in sorted((ROOT / "consult").rglob("*.py")) if path.name in SERVICE_MODULES
             for name in out_of_shape(ast.parse(path.read_text(encoding="utf-8")))}
    new = sorted(wrong - NOT_YET)
    assert not new, ("These take a person but not in first place; make them "
                     f"f(actor, obj, ...) and update their callers: {new}")
    fixed = sorted(NOT_YET - wrong)
    assert not fixed, f"Now in shape (or gone): delete them from NOT_YET: {fixed}"


def test_the_check_finds_the_old_shape_only():
    source = ("def old(topic, user, days): ...\n"
              "def new(actor, topic, days): ...\n"
              "def two_people(actor, rec, resident): ...\n"
              "def by_id(meeting_id, user_id): ...\n"
              "def keyword_only(name, *, actor=None): ...\n"
              "def _private(topic, user): ...\n")
    assert out_of_shape(ast.parse(source)) == ["old"]
