"""No page runs more than 12 SQL statements, for anyone: every page a person reads, on the demo
community (every stage of a topic, a hall with minutes, a vote, outcomes, studios), as a
visitor, a resident, a secretary, a representative and the platform admin. The pages' own
tests show the count does not grow with the data; this is the ceiling across them all.

Each page answers each persona as :data:`REFUSED` says: 200 where they may read it, and a
redirect to the login page (visitors) or 403 only where they are really refused, so a page
that breaks into a refusal for people who may read it fails by name, never passes as "403"."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.accounts.models import Role, RoleGrant, User
from consult.community.models import Community, Residency
from consult.demo.seed import seed
from consult.extensions import db
from consult.halls.models import Hall, Meeting, Minutes
from consult.permissions import forget_memberships
from consult.studios.models import Studio, StudioSession
from consult.topics.models import Topic
from consult.votes.models import Vote

BUDGET = 12
# Pages with a budget of their own (at most BUDGET). The home page: the user, their homes,
# communities and their 4 counts, topics by stage, closing soon, newest, role grants, and for a
# signed-in person their to-do (the open votes they have not cast: one query however many).
BUDGETS = {"home": 12}
PERSONAS = ["visitor", "resident", "secretary", "representative", "grid_worker",
            "platform_admin"]
LOGIN = 302  # a visitor is sent to the login page (checked: the redirect goes there)

# page name -> persona -> status; a page not listed answers 200 to everyone.
_SIGNED_IN = {"visitor": LOGIN}
_OFFICE = {"visitor": LOGIN, "resident": 403, "representative": 403}  # secretaries, admins
# (a grid worker reads their grid and the paper desk, not the office's queues)
_OFFICE_ONLY = {**_OFFICE, "grid_worker": 403}
_PLATFORM = {"visitor": LOGIN, "resident": 403, "representative": 403, "secretary": 403,
             "grid_worker": 403}
REFUSED = {
    "my notifications": _SIGNED_IN, "my residency": _SIGNED_IN, "my reservations": _SIGNED_IN,
    "my studio sessions": _SIGNED_IN, "my devices": _SIGNED_IN, "close my account": _SIGNED_IN,
    "my grids": _SIGNED_IN, "my assistance": _SIGNED_IN, "grid": _OFFICE,
    "moderation queue": _OFFICE_ONLY, "verification queue": _OFFICE_ONLY,
    "admin home": _PLATFORM, "admin community": _PLATFORM, "vote paper ballots": _OFFICE,
}


def expected(page: str, persona: str) -> int:
    return REFUSED.get(page, {}).get(persona, 200)


def first(query):
    found = db.session.scalars(query.limit(1)).first()
    assert found is not None, query
    return found


@pytest.fixture
def demo(app):
    """The demo's people (one per persona) and its pages as ``{name: path}``."""
    seed(echo=lambda _line: None)
    db.session.commit()
    community = first(select(Community))
    people = {
        "resident": first(select(User).join(Residency, Residency.user_id == User.id)
                          .where(Residency.status == "verified").order_by(User.id)),
        "platform_admin": first(select(User).where(User.is_platform_admin)),
    }
    for role in (Role.SECRETARY, Role.REPRESENTATIVE, Role.GRID_WORKER):
        people[role.value] = first(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role == role.value).order_by(User.id))
    c = community.id
    pages = {
        "home": "/", "topics": "/topics",
        "topics commenting": "/topics?stage=commenting&sort=active",
        "community": f"/communities/{c}", "community halls": f"/communities/{c}/halls",
        "community outcomes": f"/communities/{c}/outcomes",
        "community dashboard": f"/communities/{c}/dashboard", "studios": "/studios",
        "moderation queue": "/moderation", "verification queue": "/verifications",
        "my notifications": "/me/notifications", "my residency": "/me/residency",
        "my reservations": "/me/reservations", "my studio sessions": "/me/studio-sessions",
        "my devices": "/me/devices", "me": "/me", "admin home": "/admin/",
        "close my account": "/account/close",
        "admin community": f"/admin/communities/{c}",
        "my grids": "/grids", "my assistance": "/my/assistance",
        "grid": f"/grids/{community.grids[0].id}",
    }
    # One topic of every stage (drafts are their proposer's alone, and the demo has none).
    for stage in db.session.scalars(select(Topic.stage).distinct().where(Topic.stage != "draft")):
        topic = first(select(Topic).where(Topic.stage == stage).order_by(Topic.id))
        pages[f"topic ({stage})"] = f"/topics/{topic.id}"
        pages[f"topic ({stage}), broad support"] = f"/topics/{topic.id}?sort=consensus"
    minutes = first(select(Minutes))
    pages["hall"] = f"/halls/{first(select(Hall)).id}"
    unminuted = first(select(Meeting).where(Meeting.id.not_in(select(Minutes.meeting_id))))
    pages["meeting without minutes"] = f"/meetings/{unminuted.id}"
    pages["meeting with minutes"] = f"/meetings/{minutes.meeting_id}"
    pages["minutes"] = f"/meetings/{minutes.meeting_id}/minutes"
    pages["vote"] = f"/votes/{first(select(Vote)).id}"
    pages["vote paper ballots"] = f"/votes/{first(select(Vote)).id}/papers"
    session = first(select(StudioSession))
    pages["studio"] = f"/studios/{first(select(Studio)).id}"
    pages["studio session"] = f"/studio-sessions/{session.id}"
    pages["representative"] = f"/communities/{c}/representatives/{session.representative_id}"
    assert not set(REFUSED) - set(pages), "REFUSED names pages the test no longer reads"
    return people, pages


def test_every_page_is_read_by_someone():
    """A page refused to every persona is a page nobody can read: name it."""
    nobody = [page for page in REFUSED
              if all(expected(page, persona) != 200 for persona in PERSONAS)]
    assert not nobody, f"pages refused to every persona: {nobody}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_runs_more_than_twelve_queries(app, client, login, count_queries, demo,
                                               persona):
    people, pages = demo
    if persona != "visitor":
        login(people[persona])
    over, wrong = {}, {}
    for name, path in pages.items():
        db.session.expire_all()  # as in a fresh request: nothing cached from the last one
        forget_memberships()
        with count_queries() as q:
            response = client.get(path)
        want, got = expected(name, persona), response.status_code
        if got == LOGIN and not response.location.startswith("/login?next="):
            got = f"302 to {response.location}"
        if got != want:
            wrong[name] = f"{path}: expected {want}, got {got}"
        if q.count > BUDGETS.get(name, BUDGET):
            over[name] = f"{path}: {q.count} (budget {BUDGETS.get(name, BUDGET)})"
    assert not wrong, f"pages answering {persona} wrongly: {wrong}"
    assert not over, f"pages over their budget of queries for {persona}: {over}"
