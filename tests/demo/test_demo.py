"""The demo community the README's first command serves."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.accounts.models import Role, RoleGrant, User
from consult.accounts.passwords import check_password
from consult.audit.log import verify_chain
from consult.community.models import Building, Community, Grid, Residency, Unit
from consult.demo.seed import DEMO_PASSWORD, seed
from consult.extensions import db
from consult.topics.models import Reaction, Topic


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_seed_builds_the_promised_community(app):
    lines = []
    assert seed(echo=lines.append) is True
    assert count(Community) == 1 and count(Grid) == 2 and count(Building) == 6
    assert count(Unit) == 120
    assert 55 <= count(Residency, Residency.status == "verified") <= 65
    roles = dict(db.session.execute(select(RoleGrant.role, func.count())
                                    .group_by(RoleGrant.role)).all())
    assert roles[Role.SECRETARY.value] == 2 and roles[Role.REPRESENTATIVE.value] == 3
    admin = db.session.scalar(select(User).where(User.is_platform_admin))
    assert admin.phone == "13800000000" and check_password(admin.password_hash, DEMO_PASSWORD)
    assert any(DEMO_PASSWORD in line for line in lines)
    stages = set(db.session.scalars(select(Topic.stage)))
    assert {"draft", "proposed", "in_review", "commenting", "deliberating", "rejected",
            "withdrawn"} - {"draft"} <= stages
    # (the topic whose comments ended is on a hall meeting's agenda now: in deliberation)
    commenting = db.session.scalars(select(Topic).where(
        Topic.stage.in_(["commenting", "deliberating"]))).all()
    assert sum(t.comment_count for t in commenting) >= 10
    assert count(Reaction) > 50
    from consult.votes.models import Ballot, Vote
    vote = db.session.scalar(select(Vote))
    assert vote.electorate == "owners" and vote.topic.stage == "voting"
    assert count(Ballot, Ballot.counted) >= 10
    # Owners' votes keep the notice and length rules: announced at least the community's notice
    # days before they open, open at least its shortest voting time.
    from datetime import timedelta

    from consult import clock
    community = db.session.scalar(select(Community))
    civil = db.session.scalars(select(Vote).where(Vote.rule.like("civil_code%"))).all()
    assert len(civil) == 3
    for v in civil:
        assert v.opens_at - v.announced_at >= timedelta(days=community.vote_notice_days)
        assert v.closes_at - v.opens_at >= timedelta(days=community.vote_min_open_days)
        assert v.notice_days == community.vote_notice_days
    now = clock.utcnow()
    cancelled = [v for v in civil if v.cancelled_at is not None]
    assert len(cancelled) == 1 and len(cancelled[0].cancel_reason) >= 10
    upcoming = [v for v in civil if v.is_announced(now)]
    assert len(upcoming) == 1 and upcoming[0].topic_id == cancelled[0].topic_id
    assert upcoming[0].opens_at > now + timedelta(days=7)
    assert vote.is_open(now)
    assert verify_chain().ok


def test_demo_seed_if_empty_leaves_an_existing_database_alone(app):
    seed(echo=lambda _: None)
    users = count(User)
    assert seed(if_empty=True, echo=lambda _: None) is False
    assert count(User) == users


def test_demo_seed_command_commits_it_all_and_if_empty_adds_nothing(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Demo accounts" in result.output
    db.session.rollback()
    users = count(User)
    assert users > 60 and count(Unit) == 120
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "nothing added" in result.output
    db.session.rollback()
    assert count(User) == users
