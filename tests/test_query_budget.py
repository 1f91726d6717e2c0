"""No page runs more than 12 SQL statements, for anyone: every page a person reads, on the demo
community (every stage of a topic, a hall with minutes, a vote, outcomes, studios), as a
visitor, a resident, a secretary, a representative and the platform admin. The pages' own
tests show the count does not grow with the data; this is the ceiling across them all."""
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
PERSONAS = ["visitor", "resident", "secretary", "representative", "platform_admin"]


def first(query):
    found = db.session.scalars(query.limit(1)).first()
    assert found is not None, query
    return found


@pytest.fixture
def demo(app):
    seed(echo=lambda _line: None)
    db.session.commit()
    community = first(select(Community))
    people = {
        "resident": first(select(User).join(Residency, Residency.user_id == User.id)
                          .where(Residency.status == "verified").order_by(User.id)),
        "platform_admin": first(select(User).where(User.is_platform_admin)),
    }
    for role in (Role.SECRETARY, Role.REPRESENTATIVE):
        people[role.value] = first(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role == role.value).order_by(User.id))
    c = community.id
    pages = ["/", "/topics", "/topics?stage=commenting&sort=active", f"/communities/{c}",
             f"/communities/{c}/halls", f"/communities/{c}/outcomes",
             f"/communities/{c}/dashboard", "/studios", "/moderation", "/verifications",
             "/me/notifications", "/me/residency", "/me/reservations", "/me/studio-sessions",
             "/me/devices", "/admin/", f"/admin/communities/{c}"]
    for stage in db.session.scalars(select(Topic.stage).distinct()):
        topic = first(select(Topic).where(Topic.stage == stage).order_by(Topic.id))
        pages += [f"/topics/{topic.id}", f"/topics/{topic.id}?sort=consensus"]
    hall = first(select(Hall))
    minutes = first(select(Minutes))
    pages += [f"/halls/{hall.id}", f"/meetings/{first(select(Meeting)).id}",
              f"/meetings/{minutes.meeting_id}", f"/meetings/{minutes.meeting_id}/minutes"]
    vote = first(select(Vote))
    pages += [f"/votes/{vote.id}"]
    studio = first(select(Studio))
    session = first(select(StudioSession))
    pages += [f"/studios/{studio.id}", f"/studio-sessions/{session.id}",
              f"/communities/{c}/representatives/{session.representative_id}"]
    return people, pages


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_runs_more_than_twelve_queries(app, client, login, count_queries, demo,
                                               persona):
    people, pages = demo
    if persona != "visitor":
        login(people[persona])
    over = {}
    for path in pages:
        db.session.expire_all()  # as in a fresh request: nothing cached from the last one
        forget_memberships()
        with count_queries() as q:
            response = client.get(path)
        assert response.status_code in (200, 302, 403), (path, response.status_code)
        if q.count > BUDGET:
            over[path] = q.count
    assert not over, f"pages over {BUDGET} queries for {persona}: {over}"
