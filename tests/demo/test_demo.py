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
    vote = db.session.scalar(select(Vote).order_by(Vote.id))  # the first one the demo made
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


def test_demo_shows_issue_13_every_owner_can_take_part(app, client):
    """A grid worker per grid; the open owners' vote has online, paper and proxy ballots, papers
    at every step of the desk, a consent and what the grid worker did under it; the printed
    logins log in and show it."""
    import re
    from datetime import timedelta

    from consult import clock
    from consult.grids.models import AssistedAct, Consent
    from consult.topics.models import Comment
    from consult.votes import paper, service
    from consult.votes.models import Ballot, Elector, Vote, VoteProxy
    from consult.votes.paper_models import EntryKind, PaperBallot, PaperEntry, PaperStatus

    lines = []
    assert seed(echo=lines.append) is True
    db.session.commit()
    workers = db.session.execute(select(RoleGrant.grid_id, User).join(
        User, User.id == RoleGrant.user_id).where(RoleGrant.role == Role.GRID_WORKER.value)).all()
    assert sorted(g for g, _ in workers) == sorted(db.session.scalars(select(Grid.id)))
    vote = db.session.scalar(select(Vote).where(Vote.rule == "civil_code_ordinary"))
    assert vote.is_open(clock.utcnow()) and vote.electorate == "owners"
    assert vote.opens_at - vote.announced_at >= timedelta(days=vote.notice_days)
    channels = paper.channel_counts(vote)
    assert channels["online"] >= 1 and channels["paper"] >= 1 and channels["proxy"] >= 1
    statuses = dict(db.session.execute(select(PaperBallot.status, func.count()).where(
        PaperBallot.vote_id == vote.id).group_by(PaperBallot.status)).all())
    assert statuses[PaperStatus.COUNTED.value] == channels["paper"]
    assert statuses[PaperStatus.DISPUTED.value] == 1 and statuses[PaperStatus.ENTERED.value] == 1
    assert statuses[PaperStatus.SPOILT.value] == 1 and statuses[PaperStatus.PRINTED.value] >= 3
    # Each counted paper was entered by the grid worker and confirmed by someone else.
    worker_ids = {u.id for _, u in workers}
    for paper_id, in db.session.execute(select(PaperBallot.id).where(
            PaperBallot.status == PaperStatus.COUNTED.value)):
        entries = dict(db.session.execute(select(PaperEntry.kind, PaperEntry.entered_by_id)
                                          .where(PaperEntry.paper_id == paper_id)).all())
        assert entries[EntryKind.ENTRY.value] in worker_ids
        assert entries[EntryKind.CONFIRMATION.value] not in worker_ids
    proxied = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id,
                                                     Ballot.channel == "proxy"))
    assert proxied.counted and db.session.get(VoteProxy, proxied.proxy_id).channel == "paper"
    assert count(VoteProxy, VoteProxy.channel == "online", VoteProxy.accepted_at.is_not(None)) == 1
    # The consent and what the grid worker did under it.
    consent = db.session.scalar(select(Consent))
    assert consent.source == "in_person" and consent.recorded_by_id in worker_ids
    acts = {a.kind: a for a in db.session.scalars(select(AssistedAct))}
    assert set(acts) == {"vote", "comment"}
    assisted = db.session.get(Ballot, acts["vote"].ballot_id)
    assert assisted.counted and assisted.assisted_by_id in worker_ids
    assert db.session.get(Comment, acts["comment"].comment_id).author_id == consent.resident_id
    # A stored result counts every channel once.
    counted = count(Ballot, Ballot.vote_id == vote.id, Ballot.counted.is_(True))
    assert counted == sum(channels.values())
    with clock.frozen(vote.closes_at + timedelta(minutes=1)):
        result = service.close(vote)
    headcount = db.session.scalar(select(func.sum(Elector.headcount)).join(
        Ballot, Ballot.elector_id == Elector.id).where(Ballot.vote_id == vote.id,
                                                        Ballot.counted.is_(True)))
    assert sum(result["votes"].values()) == headcount
    db.session.rollback()
    # The printed logins log in and lead to what the summary promises.
    text = "\n".join(lines)
    phones = set(re.findall(r"grid worker\s+\S+\s+(1\d{10})", text))
    assert phones == {u.phone for _, u in workers}
    assert f"/votes/{vote.id}/papers" in text and "/activation" in text and "/activate" in text
    worker = next(u for _, u in workers if u.phone in text.split("log in as", 1)[1][:40])
    desk = _logged_in(client, worker.phone).get(f"/votes/{vote.id}/papers")
    assert desk.status_code == 200
    for serial in re.findall(r"serial ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text):
        assert db.session.scalar(select(PaperBallot.status).where(
            PaperBallot.serial == serial)) == PaperStatus.PRINTED.value
    resident = db.session.get(User, consent.resident_id)
    assert f"{resident.name} {resident.phone}" in text
    page = _logged_in(client, resident.phone).get("/my/assistance")
    assert page.status_code == 200 and worker.name in page.get_data(as_text=True)
    pending = db.session.scalar(select(VoteProxy).where(VoteProxy.channel == "online"))
    assert pending.proxy_phone in text
    assert _logged_in(client, pending.proxy_phone).get(f"/votes/{vote.id}").status_code == 200


def _logged_in(client, phone):
    client.post("/logout", data={})
    response = client.post("/login", data={"identifier": phone, "password": DEMO_PASSWORD})
    assert response.status_code == 302, phone
    return client
