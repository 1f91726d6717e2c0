"""One unit of work per request and per command (consult/unit_of_work.py): what a request or a
command leaves in the database, read back through a connection of its own, so that only what
was committed counts (the test and the requests it makes share one session)."""
from __future__ import annotations

import click
import pytest
from flask import abort
from sqlalchemy import func, select

from consult import unit_of_work
from consult.accounts.models import Role, User
from consult.audit.models import AuditEntry
from consult.community.models import Community
from consult.extensions import db
from consult.halls.models import Hall
from consult.refusals import Refused
from tests import factories
from tests.factories import PASSWORD

# The tests add routes, which Flask allows only before an app's first request.
pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.fresh_app]

WRONG = "The phone/e-mail or the password is not right."


def stored(statement):
    """Rows as committed: read on a connection of the engine's own, not the shared session."""
    with db.engine.connect() as conn:
        return conn.execute(statement).all()


def stored_count(model, *where) -> int:
    return stored(select(func.count()).select_from(model).where(*where))[0][0]


def community_named(name: str) -> list:
    return stored(select(Community.id).where(Community.name == name))


def html(response) -> str:
    return response.get_data(as_text=True)


# --- real pages ----------------------------------------------------------------------------

@pytest.fixture
def place(app):
    """A community with a hall, its admin, and a platform admin."""
    c = factories.community("幸福社区")
    factories.hall(c, "居民议事厅")
    admin = factories.office_holder(c, Role.ADMIN, "王管理")
    platform = factories.user("平台", platform_admin=True)
    db.session.commit()
    return c, admin, platform


def test_a_successful_form_is_stored_and_seen_by_the_next_request(place, client, login):
    community, admin, _platform = place
    login(admin)
    response = client.post(f"/communities/{community.id}/halls/new", data={
        "name": "新议事厅", "address": "三楼", "capacity": "40", "accessibility": "有电梯"})
    assert response.status_code == 302
    rows = stored(select(Hall.id, Hall.capacity).where(Hall.name == "新议事厅"))
    assert len(rows) == 1 and rows[0].capacity == 40
    assert response.headers["Location"] == f"/halls/{rows[0].id}"
    assert stored_count(AuditEntry, AuditEntry.action == "hall.create") == 1
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "新议事厅" in html(page)


def test_a_refused_form_answering_200_writes_nothing_and_keeps_what_was_typed(place, client,
                                                                              login):
    _community, _admin, platform = place
    login(platform)
    before = (stored_count(Community), stored_count(AuditEntry))
    response = client.post("/admin/communities/new", data={
        "name": "幸福社区", "district": "朝阳区", "street_office": "和平街道",
        "cosign_threshold": "15"})
    # The admin pages answer a refusal with the form again, as a 200: only the refusal itself
    # keeps the request from being committed.
    assert response.status_code == 200
    page = html(response)
    assert ('<p class="error" id="name-error">A community with this name already exists.</p>'
            in page)
    assert 'value="朝阳区"' in page and 'value="和平街道"' in page and 'value="15"' in page
    assert (stored_count(Community), stored_count(AuditEntry)) == before


def test_a_refused_hall_keeps_nothing_and_shows_the_message_at_its_field(place, client, login):
    community, admin, _platform = place
    login(admin)
    before = (stored_count(Hall), stored_count(AuditEntry))
    response = client.post(f"/communities/{community.id}/halls/new", data={
        "name": "居民议事厅", "address": "三楼<b>", "capacity": "10"})
    assert response.status_code == 400
    page = html(response)
    assert ('<p class="error" id="name-error">This community already has a hall of that '
            'name.</p>') in page
    assert 'value="三楼&lt;b&gt;"' in page
    assert (stored_count(Hall), stored_count(AuditEntry)) == before


def test_a_wrong_password_is_counted_although_the_login_is_refused(app, client):
    user = factories.user("李四", email="li@example.org")
    db.session.commit()
    for n in (1, 2):
        response = client.post("/login", data={"identifier": "li@example.org",
                                               "password": "wrong"})
        assert response.status_code == 200 and WRONG in html(response)
        assert stored(select(User.failed_logins).where(User.id == user.id)) == [(n,)]
    response = client.post("/login", data={"identifier": "li@example.org",
                                           "password": PASSWORD})
    assert response.status_code == 302
    assert stored(select(User.failed_logins).where(User.id == user.id)) == [(0,)]


# --- throwaway routes: what the hook decides -------------------------------------------------

def _add(name: str) -> None:
    db.session.add(Community(name=name))
    db.session.flush()


@pytest.fixture
def routes(app):
    """Routes that write a community and then answer in each way the hook tells apart.
    Registered before the app answers its first request; exceptions become the 500 page."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def writes(name, answer):
        def view():
            _add(name)
            return answer()
        app.add_url_rule(f"/_uow/{name}", f"uow_{name}", view, methods=["GET", "POST"])

    writes("ok", lambda: ("written", 200))
    writes("redirect", lambda: ("", 302, {"Location": "/"}))
    writes("unprocessable", lambda: ("no", 422))
    writes("aborted", lambda: abort(403))

    def refused_200():
        unit_of_work.refused(Refused("Not today.", "name"))
        return "the form again", 200
    writes("refused", refused_200)

    def kept_401():
        unit_of_work.keep()
        return "refused, but counted", 401
    writes("kept", kept_401)

    def refused_then_written():
        unit_of_work.refused()
        _add("after-refusal")  # a refused request keeps nothing, even what it writes after
        return "", 200
    writes("refused-then", refused_then_written)

    def raises():
        raise RuntimeError("a bug after the write")
    writes("raises", raises)

    def clash():
        # Two rows with the same unique name, never flushed: the clash surfaces only when the
        # hook commits, after the view has answered 200.
        db.session.add_all([Community(name="clash"), Community(name="clash")])
        return "looks fine", 200
    app.add_url_rule("/_uow/clash", "uow_clash", clash, methods=["POST"])
    return app


@pytest.mark.parametrize("name, status", [("ok", 200), ("redirect", 302)])
def test_a_writing_request_that_succeeds_is_committed(routes, client, name, status):
    assert client.post(f"/_uow/{name}").status_code == status
    assert len(community_named(name)) == 1


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_get_or_head_that_writes_is_rolled_back(routes, client, method):
    assert getattr(client, method)("/_uow/ok").status_code == 200
    assert community_named("ok") == []


@pytest.mark.parametrize("name, status", [("unprocessable", 422), ("aborted", 403)])
def test_a_post_answering_4xx_after_writing_is_rolled_back(routes, client, name, status):
    assert client.post(f"/_uow/{name}").status_code == status
    assert community_named(name) == []


def test_a_refused_post_answering_200_is_rolled_back(routes, client):
    response = client.post("/_uow/refused")
    assert response.status_code == 200
    assert community_named("refused") == []
    # Without a form the refusal is flashed: the next page shows it.
    with client.session_transaction() as session:
        assert ("error", "Not today.") in session.get("_flashes", [])


def test_a_refused_request_keeps_nothing_written_after_the_refusal(routes, client):
    assert client.post("/_uow/refused-then").status_code == 200
    assert community_named("refused-then") == [] and community_named("after-refusal") == []


def test_keep_commits_a_request_that_answers_4xx(routes, client):
    assert client.post("/_uow/kept").status_code == 401
    assert len(community_named("kept")) == 1


def test_keep_does_not_carry_over_to_the_next_request(routes, client):
    client.post("/_uow/kept")
    assert client.post("/_uow/unprocessable").status_code == 422
    assert community_named("unprocessable") == []


def test_a_post_that_raises_after_writing_leaves_nothing(routes, client):
    response = client.post("/_uow/raises")
    assert response.status_code == 500
    assert community_named("raises") == []
    # The session is usable again: the next request writes.
    assert client.post("/_uow/ok").status_code == 200
    assert len(community_named("ok")) == 1


def test_a_commit_that_fails_gives_the_500_page_and_leaves_nothing(routes, client):
    before = stored_count(Community)
    response = client.post("/_uow/clash")
    assert response.status_code == 500
    assert community_named("clash") == [] and stored_count(Community) == before
    assert client.post("/_uow/ok").status_code == 200
    assert len(community_named("ok")) == 1


# --- commands ------------------------------------------------------------------------------

@pytest.fixture
def commands(app):
    @app.cli.command("uow-writes")
    @click.argument("name")
    @click.option("--then", type=click.Choice(["return", "fail", "exit", "raise"]),
                  default="return")
    @unit_of_work.command
    def writes(name, then):
        _add(name)
        if then == "fail":
            raise click.ClickException("refused")
        if then == "exit":
            raise SystemExit(1)
        if then == "raise":
            raise RuntimeError("a bug after the write")
        click.echo("written")

    return app.test_cli_runner()


def test_a_command_that_returns_is_committed(commands):
    result = commands.invoke(args=["uow-writes", "returned"])
    assert result.exit_code == 0 and "written" in result.output
    assert len(community_named("returned")) == 1


@pytest.mark.parametrize("then", ["fail", "exit", "raise"])
def test_a_command_that_fails_leaves_nothing(commands, then):
    result = commands.invoke(args=["uow-writes", then, "--then", then])
    assert result.exit_code != 0
    assert community_named(then) == []
