"""CSRF: with the check on (as in production), every state-changing form refuses a post that
lacks its token, for a persona who may otherwise use it, and writes nothing. The routes come
from the matrix's ``EXPECTED`` table, which tests/app/test_access_matrix.py keeps equal to the URL
map, so a new form is covered as soon as it is given its answers there.

The API is CSRF-exempt because it never takes the session cookie as authentication: a
logged-in browser cannot call it without a bearer token, which a forged cross-site request
cannot carry.
"""
from __future__ import annotations

import re

import pytest

from consult import clock
from tests.access_world import NOW, PERSONAS, Rig
from tests.app.test_access_matrix import EXPECTED, LOGIN, NOOP, OK, call, routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def allowed_persona(answers: dict[str, str]) -> str:
    """The first persona the post would succeed for."""
    return next(p for p in PERSONAS if answers[p] in (OK, NOOP))


# Posts that take no CSRF token on purpose, and why.
EXEMPT = {
    # RFC 8058 one-click unsubscribe: the mail program posts to the link without our form; the
    # signed token in the URL is the key, and it only ever turns messages off.
    ("messages.unsubscribe", "POST"),
}
FORMS = sorted((endpoint, method) for endpoint, method in EXPECTED
               if method in UNSAFE and not endpoint.startswith("api.")
               and (endpoint, method) not in EXEMPT)
# API calls that need someone: with only a browser session they must be refused.
API_NEEDING_A_USER = sorted((endpoint, method) for (endpoint, method), entry in EXPECTED.items()
                            if endpoint.startswith("api.") and entry.answers["visitor"] == LOGIN
                            and endpoint != "api.tokens_create")


@pytest.fixture(scope="module")
def rig(database_template, tmp_path_factory):
    rig = Rig(database_template, tmp_path_factory.mktemp("csrf"), {"WTF_CSRF_ENABLED": True},
              name="csrf")
    yield rig
    rig.close()


def test_every_state_changing_page_route_is_checked(rig):
    present = {(e, m) for (e, m) in routes(rig.app) if m in UNSAFE and not e.startswith("api.")}
    present -= EXEMPT
    assert present <= set(FORMS), f"give {sorted(present - set(FORMS))} their answers in " \
                                  "tests/app/test_access_matrix.py"


@pytest.mark.parametrize("endpoint, method", FORMS)
def test_a_post_without_the_token_is_refused(rig, endpoint, method):
    persona = allowed_persona(EXPECTED[(endpoint, method)].answers)
    c = call(rig, endpoint, method, persona, csrf_token=False)
    assert c.response.status_code == 400, f"{endpoint} as {persona}: {c.response.status_code}"
    assert "Please send again" in c.response.get_data(as_text=True)
    assert not c.wrote, f"{endpoint} as {persona}: refused but wrote {c.wrote}"


@pytest.mark.parametrize("endpoint, method, persona", [
    ("comments.create", "POST", "resident"), ("accounts.login", "POST", "visitor")])
def test_the_same_form_with_its_token_works(rig, endpoint, method, persona):
    """So the refusals above are the CSRF check, not something else."""
    c = call(rig, endpoint, method, persona, csrf_token=True)
    assert c.response.status_code in (302, 303)
    assert not any(category == "error" for category, _ in c.flashed)
    assert c.wrote


def test_htmx_sends_the_token_in_a_header(rig):
    rig.fresh()
    client = rig.client("resident")
    ids = rig.world.ids
    html = client.get(f"/topics/{ids['t_open']}").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)  # hx-headers on <body>
    headers = {"HX-Request": "true"}
    with clock.frozen(NOW):
        refused = client.post(f"/comments/{ids['c_neighbour']}/react", data={"value": "agree"},
                              headers=headers)
        assert refused.status_code == 400
        response = client.post(f"/comments/{ids['c_neighbour']}/react", data={"value": "agree"},
                               headers={**headers, "X-CSRFToken": token})
    rig.dirty = True
    assert response.status_code == 200
    assert "Your reaction is recorded." in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint, method", API_NEEDING_A_USER)
def test_the_api_ignores_the_session_cookie(rig, endpoint, method):
    """A logged-in browser session is nobody to the API: no bearer token, 401."""
    c = call(rig, endpoint, method, "resident", session=True, headers={})
    assert c.response.status_code == 401, f"{endpoint}: {c.response.status_code}"
    assert c.response.mimetype == "application/problem+json"
    assert not c.wrote


def test_the_api_needs_no_csrf_token_with_a_bearer_token(rig):
    c = call(rig, "api.comment", "POST", "resident")
    assert c.response.status_code == 201, c.response.get_json()
    assert c.wrote
