"""The permission table, role by role, without HTTP."""
from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.community.models import ResidencyStatus
from consult.extensions import db
from consult.permissions import RULES, check, may
from consult.topics.models import Topic
from tests import factories

ROLES = ["visitor", "logged_in", "pending", "resident", "resident_elsewhere", "secretary",
         "secretary_elsewhere", "representative", "admin", "admin_elsewhere", "platform_admin",
         "grid_worker", "grid_worker_elsewhere"]

# action -> roles allowed on an object of "our" community
EXPECTED = {
    "community.create": {"platform_admin"},
    "community.manage": {"admin", "platform_admin"},
    "admin.enter": {"admin", "admin_elsewhere", "platform_admin"},
    "roles.manage": {"admin", "platform_admin"},
    "residency.request": set(ROLES) - {"visitor"},
    "residency.review_any": {"secretary", "secretary_elsewhere", "admin", "admin_elsewhere",
                             "platform_admin"},
    "residency.decide": {"secretary", "admin", "platform_admin"},
    "resident.act": {"resident"},
    # grid workers, judged on a building of our community's grid (grid.work) or on it
    "grid.work": {"grid_worker", "secretary", "admin", "platform_admin"},
    "grid.work_any": {"grid_worker", "secretary", "admin", "platform_admin"},
    # judged on our community's grid: its people and who voted there; acting for a resident
    # who consented is for its grid workers alone (a worker of another grid of the same
    # community: tests/grids/test_grid_rules.py)
    "grid.enter": {"grid_worker", "grid_worker_elsewhere"},
    "grid.see_people": {"grid_worker", "secretary", "admin", "platform_admin"},
    "grid.act_for": {"grid_worker"},
    # ... with whole phone numbers: who phones the grid's owners (administrators: masked)
    "grid.see_phones": {"grid_worker", "secretary"},
    # on a community-wide topic of "ours", proposed by "resident"
    "topic.propose": {"resident"},
    "topic.edit_draft": {"resident"},
    "topic.withdraw": {"resident"},
    "topic.participate": {"resident"},
    "topic.speak": {"secretary", "representative", "admin"},
    "topic.manage": {"secretary", "admin", "platform_admin"},
    "topic.moderate": {"secretary", "admin", "platform_admin"},
    "topic.moderate_any": {"secretary", "secretary_elsewhere", "admin", "admin_elsewhere",
                           "platform_admin"},
    "topic.follow": set(ROLES) - {"visitor"},
    "desk.enter": {"secretary", "secretary_elsewhere", "representative", "admin",
                   "admin_elsewhere", "platform_admin"},
    # studios, judged on the community (object-level rules: the end of this file)
    "studio.manage": {"admin", "platform_admin"},
    "studio.book": {"representative"},
    "studio.cancel": {"representative", "admin", "platform_admin"},
    "studio.reserve": {"resident"},
    "studio.record": {"representative"},
    # halls, judged on the community (meetings: tests/app/test_access_matrix.py)
    "hall.manage": {"admin", "platform_admin"},
    "meeting.manage": {"secretary", "admin", "platform_admin"},
    "meeting.attend": {"resident"},
    # paper ballots: entering and printing judged on a building of our grid (vote.paper), the
    # desk, resolving and photos on the community
    "vote.paper": {"grid_worker", "secretary", "admin", "platform_admin"},
    "vote.paper_desk": {"grid_worker", "secretary", "admin", "platform_admin"},
    "vote.paper_resolve": {"secretary", "admin", "platform_admin"},
    "vote.paper_photo": {"secretary", "admin", "platform_admin"},
    # outcomes, judged on a topic
    "outcome.object": {"resident"},
    "outcome.rate": {"resident"},
    # activation of roster owners, judged on the community (a grid or building: the same)
    "activation.issue": {"secretary", "admin", "platform_admin", "grid_worker"},  # a building
    # votes: a proxy is granted by a member of the elector (judged on a seat whose only member
    # is "resident"), paper authorisations recorded by the community's office holders
    "vote.proxy_grant": {"resident"},
    "vote.proxy_record": {"secretary", "admin", "platform_admin"},
    # the access record (查阅记录): exported by administrators (each of their communities)
    "disclosures.export": {"admin", "admin_elsewhere", "platform_admin"},
}


@pytest.fixture
def world(app):
    ours = factories.community("我们社区")
    theirs = factories.community("别的社区")
    people = {"visitor": AnonymousUserMixin(), "logged_in": factories.user("路人"),
              "pending": factories.resident(ours, "待认证", status=ResidencyStatus.PENDING),
              "resident": factories.resident(ours, "居民"),
              "resident_elsewhere": factories.resident(theirs, "外社区居民"),
              "platform_admin": factories.user("平台管理员", platform_admin=True)}
    for role, community, key in [(Role.SECRETARY, ours, "secretary"),
                                 (Role.SECRETARY, theirs, "secretary_elsewhere"),
                                 (Role.REPRESENTATIVE, ours, "representative"),
                                 (Role.ADMIN, ours, "admin"),
                                 (Role.ADMIN, theirs, "admin_elsewhere")]:
        people[key] = factories.user(key)
        factories.grant(people[key], community, role)
    people["grid_worker"] = factories.grid_worker(ours.grids[0], "网格员")
    people["grid_worker_elsewhere"] = factories.grid_worker(theirs.grids[0], "外社区网格员")
    db.session.add(Topic(community_id=ours.id, proposer_id=people["resident"].id,
                         title="加装电梯", category="property"))
    db.session.commit()
    return ours, people


def object_for(action: str, ours):
    """Topic rules judge a topic; the others the community."""
    if (action.startswith(("topic.", "outcome.")) and action != "topic.propose"):
        return db.session.scalar(select(Topic).where(Topic.community_id == ours.id))
    if action.startswith(("hall.", "meeting.")):
        return factories.meeting(factories.hall(ours)) if action.startswith("meeting.") \
            else factories.hall(ours)
    if action in ("grid.work", "activation.issue", "vote.paper"):
        return ours.grids[0].buildings[0]
    if action == "vote.proxy_grant":
        from consult.accounts.models import User
        from consult.votes.proxies import Seat

        resident = db.session.scalar(select(User.id).where(User.name == "居民"))
        return Seat(elector=None, member_ids=frozenset({resident}), community_id=ours.id)
    if action in ("grid.see_people", "grid.act_for", "grid.see_phones"):
        return ours.grids[0]
    return ours


def test_every_rule_has_expectations():
    assert set(RULES) == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_rule_role_by_role(world, action):
    ours, people = world
    obj = object_for(action, ours)
    allowed = {name for name, person in people.items() if may(person, action, obj)}
    assert allowed == EXPECTED[action]


@pytest.mark.usefixtures("english")
def test_refusals_say_why(world):
    ours, people = world
    assert check(people["visitor"], "resident.act", ours).code == "login_required"
    refusal = check(people["pending"], "resident.act", ours)
    assert refusal.code == "not_verified"
    assert "verified residents" in str(refusal.message)
    assert check(people["secretary"], "community.manage", ours).code == "forbidden"


def test_unknown_action_is_an_error_not_an_allow(world):
    _, people = world
    with pytest.raises(KeyError):
        may(people["platform_admin"], "topic.nuke")


# --- object-level rules on studios and sessions ----------------------------------------------

@pytest.fixture
def studio_world(app):
    from tests.studio_world import NOW, build, session_at

    with clock.frozen(NOW):
        w = build(n_residents=2)
        session = session_at(w, "2026-12-01 09:00")
        admin_of_other = factories.office_holder(w.other, Role.ADMIN, "别社区管理")
        db.session.commit()
    return w, session, admin_of_other


def test_booking_needs_attachment_to_the_studio(studio_world):
    w, _session, _admin_of_other = studio_world
    other_studio = factories.studio(w.community, "另一个工作室")
    assert may(w.rep, "studio.book", w.studio)
    assert not may(w.rep, "studio.book", other_studio)
    assert not may(w.admin, "studio.book", w.studio)


def test_sessions_are_recorded_and_cancelled_by_their_holder(studio_world):
    w, session, admin_of_other = studio_world
    assert may(w.rep, "studio.record", session)
    assert not may(w.rep2, "studio.record", session)
    assert not may(w.admin, "studio.record", session)
    assert may(w.rep, "studio.cancel", session)
    assert not may(w.rep2, "studio.cancel", session)
    assert may(w.admin, "studio.cancel", session)
    assert not may(admin_of_other, "studio.cancel", session)


@pytest.mark.usefixtures("english")
def test_paper_ballots_of_another_grid_are_not_a_grid_workers(world):
    """A grid worker enters and prints paper ballots for the buildings of their own grid only;
    the secretary for every building of the community."""
    from consult.community.models import Building, Grid

    ours, people = world
    grid = Grid(community_id=ours.id, name="第二网格")
    db.session.add(grid)
    db.session.flush()
    building = Building(grid_id=grid.id, name="9栋")
    db.session.add(building)
    db.session.commit()
    refusal = check(people["grid_worker"], "vote.paper", building)
    assert refusal is not None and refusal.code == "forbidden"
    assert "grid worker of this grid" in str(refusal.message)
    assert may(people["grid_worker"], "vote.paper", ours.grids[0].buildings[0])
    assert may(people["secretary"], "vote.paper", building)
    assert not may(people["grid_worker"], "vote.paper_photo", ours)


@pytest.mark.usefixtures("english")
def test_only_the_electors_members_grant_a_proxy(world):
    from consult.votes.proxies import Seat

    ours, people = world
    seat = Seat(elector=None, member_ids=frozenset({people["resident"].id}), community_id=ours.id)
    refusal = check(people["secretary"], "vote.proxy_grant", seat)
    assert refusal.code == "forbidden" and "owner of these homes" in str(refusal.message)
    assert check(people["visitor"], "vote.proxy_grant", seat).code == "login_required"
    empty = Seat(elector=None, member_ids=frozenset(), community_id=ours.id)
    assert check(people["resident"], "vote.proxy_grant", empty).code == "forbidden"
