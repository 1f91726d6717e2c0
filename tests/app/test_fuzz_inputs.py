"""Hostile values in every form field and every query parameter: no server error, ever.

Every route of the URL map that the access matrix (tests/app/test_access_matrix.py) knows how to
call successfully is called again as a person allowed to use it, with each field of its form
or JSON body replaced in turn by values people do not type but attackers send: a NUL, twenty
digits, negative and fractional numbers, dates at the year 1 and 9999, 20,000 characters,
full-width digits, the wrong JSON type. Every GET route gets every query parameter the code
reads and every field of the GET forms on its page, the same way. Any 5xx fails, naming the
request; anything else (a form error, a 400 page, a problem document) is a fine answer.
Runs on the access matrix's world, restored whenever a request changed it. On PostgreSQL, where
restoring the world costs more, only the values the database itself can refuse are sent.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from consult import clock
from tests.access_world import NOW, PERSONAS
from tests.conftest import ON_POSTGRES
from tests.app.test_access_matrix import EXPECTED, OK, build_url, fill, routes

ROOT = Path(__file__).resolve().parents[2]
# Most allowed first: the person who reaches furthest into a view before it answers.
PREFERENCE = ("platform_admin", "admin", "secretary", "representative", "resident",
              "unverified", "outsider", "other_secretary", "grid_worker", "visitor")

TEXT_VALUES = ["\x00", "9" * 20, "-99999999999", "0001-01-01", "9999-12-31", "0001-01",
               "9999-12", "23:99", "x" * 20_000, "", "１２", "1e309"]
JSON_VALUES = [10 ** 20, -(10 ** 20), -1, 0.5, "x" * 20_000, "\x00", None, [], {}, True,
               "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9" * 20]
if ON_POSTGRES:
    # What only the database can get wrong (NUL in text, numbers and dates out of range, long
    # text); the rest behaves the same on both and runs on SQLite, where restoring is cheap.
    TEXT_VALUES = ["\x00", "9" * 20, "-99999999999", "0001-01-01", "9999-12-31", "x" * 20_000]
    JSON_VALUES = [10 ** 20, -(10 ** 20), "x" * 20_000, "\x00", "9999-12-31T23:59:59Z"]
# Query parameters read under names the source scan below cannot see.
KNOWN_PARAMETERS = {"page", "per_page", "q", "stage", "category", "community", "sort", "from",
                    "to", "month", "week", "next", "code", "receipt", "fragment", "hall",
                    "topic", "building", "area"}


def _parameters_in_source() -> set[str]:
    found = set(KNOWN_PARAMETERS)
    pattern = re.compile(r"""(?:request\.args\.get|_arg)\(\s*["'](\w+)["']""")
    for path in (ROOT / "consult").rglob("*.py"):
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


PARAMETERS = sorted(_parameters_in_source())


def _persona(answers: dict[str, str]) -> str | None:
    return next((p for p in PREFERENCE if answers.get(p) == OK), None)


def _cases():
    for (endpoint, method), entry in sorted(EXPECTED.items()):
        if _persona(entry.answers) is None:
            continue
        if method == "GET" or entry.data is not None:
            yield endpoint, method


CASES = list(_cases())


@pytest.fixture(scope="module")
def rig(database_template, tmp_path_factory):
    from tests.access_world import Rig

    rig = Rig(database_template, tmp_path_factory.mktemp("fuzz"), name="fuzz")
    yield rig
    rig.close()


def _send(rig, client, method, url, api, data=None, query=None, json_body=None):
    before = rig.counts()
    with clock.frozen(NOW):
        if api:
            response = client.open(url, method=method, query_string=query,
                                   json=json_body if method != "GET" else None,
                                   headers=client.bearer)
        else:
            response = client.open(url, method=method, query_string=query, data=data)
    if method != "GET" and (response.status_code < 400 or rig.counts() != before):
        rig.dirty = True
    return response


def _forms_on(html: str) -> set[str]:
    """Names of the fields of the GET forms on a page."""
    names = set()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S | re.I):
        head = form[:form.index(">")]
        if re.search(r"""method=["']?post""", head, flags=re.I):
            continue
        names.update(re.findall(r"""<(?:input|select|textarea)\b[^>]*\bname=["']([^"']+)""",
                                form, flags=re.I))
    return names - {"csrf_token"}


@pytest.mark.parametrize("endpoint, method", CASES)
def test_no_hostile_value_is_a_server_error(rig, endpoint, method):
    rig.fresh()
    entry = EXPECTED[(endpoint, method)]
    persona = _persona(entry.answers)
    api = endpoint.startswith("api.")
    values = rig.world.values()
    person = rig.world.people.get(persona)
    values.update(identifier=person.identifier if person else values["bystander_phone"],
                  me=person.id if person else 0)
    url = build_url(routes(rig.app)[(endpoint, method)], entry, values)
    base_path, _, base_query = url.partition("?")
    failures = []

    def client():
        c = rig.client(persona, session=not api)
        c.bearer = rig.bearer(persona) if api else {}
        return c

    def check(response, what):
        if response.status_code >= 500:
            failures.append(f"{method} {base_path} {what}: {response.status_code}")

    if method == "GET":
        page = _send(rig, client(), "GET", url, api)
        fixed = dict(p.split("=", 1) for p in base_query.split("&") if "=" in p)
        # Every parameter the code reads, all at once: each reads its own (a view answers
        # what it understands and ignores the rest).
        for value in TEXT_VALUES:
            response = _send(rig, client(), "GET", base_path, api,
                             query={**{n: value for n in PARAMETERS}, **fixed})
            check(response, f"?<every parameter>={value[:24]!r}")
        # The fields of the page's own GET forms one at a time, the others as the page has
        # them: a refusal of one cannot hide another.
        names = _forms_on(page.get_data(as_text=True)) \
            if not api and page.mimetype == "text/html" else set()
        for name in sorted(names):
            for value in TEXT_VALUES[1:]:  # a NUL is refused before any view
                response = _send(rig, client(), "GET", base_path, api,
                                 query={**fixed, name: value})
                check(response, f"?{name}={value[:24]!r}")
    else:
        sample = fill(entry.data, values, persona)
        assert isinstance(sample, dict), f"{endpoint}: the access matrix's data is not a form"
        for name, original in sample.items():
            if isinstance(original, tuple) or hasattr(original, "read"):
                continue  # an upload: the roster tests vary files
            for value in (JSON_VALUES if api else TEXT_VALUES[1:]):
                rig.fresh()
                data = fill(entry.data, values, persona)  # fresh uploads for each request
                if not api and isinstance(original, list):
                    value = [value]
                data[name] = value
                response = _send(rig, client(), method, url, api,
                                 data=None if api else data, json_body=data if api else None)
                check(response, f"{name}={str(value)[:24]!r}")
        rig.fresh()
        data = fill(entry.data, values, persona)
        if not api:  # a NUL anywhere is refused before the view (consult/inputs.py)
            response = _send(rig, client(), method, url, api,
                             data={k: ("\x00" if isinstance(v, str) else v)
                                   for k, v in data.items()})
            check(response, "every text field a NUL")
    assert not failures, "\n".join(failures[:20]) + f"\n({len(failures)} in all)"


def test_every_persona_listed_here_exists():
    assert set(PREFERENCE) == set(PERSONAS)
