"""A small world for the API tests: one community (threshold 2) with residents, a secretary, a
topic open for comment with a comment, a draft, a meeting with published minutes, a studio with
a session tomorrow, and a vote open on a second topic; another community with an outsider.

``token(client, user)`` logs ``user`` in through ``POST /api/v1/tokens``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from consult.accounts.models import Role, User
from consult.clock import utcnow
from consult.community.models import Community, ResidencyStatus
from consult.extensions import db
from tests import factories


@dataclass
class World:
    community: Community
    other: Community
    residents: list[User]  # verified, in the community; [0] proposed the topics
    outsider: User  # verified in the other community
    pending: User  # residency not verified
    secretary: User
    representative: User
    topic: object  # commenting
    draft: object
    comment: object  # by residents[1] on topic
    voting_topic: object
    vote: object  # open, residents electorate, simple majority
    meeting: object  # with published minutes
    studio: object
    session: object  # tomorrow, 09:00–11:00 UTC, six 20-minute slots
    hall: object
    in_review: object  # a proposal waiting for the secretary's review
    to_vote: object  # deliberating; the published minutes resolve to put it to a vote
    upcoming: object  # a meeting in ten days with to_discuss on its agenda and draft minutes
    to_discuss: object  # deliberating, on the upcoming meeting's agenda
    to_cancel: object  # a meeting in twenty days, no agenda


def build(monkeypatch) -> World:
    from consult.halls.models import (
        AgendaItem, AgendaResolution, Minutes, MinutesRevision, RevisionStatus,
    )
    from consult.topics.models import Comment
    from consult.votes import service as vote_service

    c = factories.community("幸福社区", grids=1, buildings=2, units=3)
    c.cosign_threshold = 2
    other = factories.community("和谐社区")
    units = factories.units_of(c)
    residents = [factories.resident(c, f"居民{i}", unit=units[i], phone=f"1380000000{i}")
                 for i in range(5)]
    outsider = factories.resident(other, "外人")
    pending = factories.resident(c, "待认证", unit=units[5], status=ResidencyStatus.PENDING)
    secretary = factories.office_holder(c, Role.SECRETARY, "秘书")
    studio = factories.studio(c, "幸福代表工作室")
    rep = factories.representative(c, "王代表", studios=[studio], body="district_pc")
    topic = factories.topic(c, residents[0], title="楼道加装扶手")
    draft = factories.topic(c, residents[0], title="秘密草稿不外传", stage="draft")
    comment = Comment(topic_id=topic.id, author_id=residents[1].id, body="赞成，老人需要。",
                      created_at=utcnow())
    db.session.add(comment)
    topic.comment_count = 1
    voting_topic = factories.topic(c, residents[0], title="公共收益用于加装扶手",
                                   stage="deliberating")
    hall = factories.hall(c, "居民议事厅")
    meeting = factories.meeting(hall, utcnow().replace(microsecond=0) - timedelta(days=2),
                                topics=[voting_topic])
    minutes = Minutes(meeting_id=meeting.id, first_published_at=utcnow())
    revision = MinutesRevision(number=1, status=RevisionStatus.PUBLISHED.value,
                               present_count=12, residents_count=9, body="会议讨论了扶手。",
                               body_html="<p>会议讨论了扶手。</p>", published_at=utcnow(),
                               author_id=secretary.id, published_by_id=secretary.id)
    to_vote = factories.topic(c, residents[0], title="更换单元门禁", stage="deliberating")
    meeting.agenda.append(AgendaItem(topic_id=to_vote.id, position=1))
    revision.resolutions = [AgendaResolution(topic_id=voting_topic.id, kind="vote", position=0,
                                             summary="同意付诸表决", question="是否同意？",
                                             options=["agree", "oppose", "abstain"]),
                            AgendaResolution(topic_id=to_vote.id, kind="vote", position=1,
                                             summary="付诸表决", question="是否更换门禁？",
                                             options=["agree", "oppose", "abstain"])]
    minutes.revisions = [revision]
    db.session.add(minutes)
    in_review = factories.topic(c, residents[1], title="增设快递柜", stage="in_review")
    to_discuss = factories.topic(c, residents[1], title="规范电动车停放", stage="deliberating")
    upcoming = factories.meeting(hall, utcnow().replace(microsecond=0) + timedelta(days=10),
                                 title="下月议事会", topics=[to_discuss])
    to_cancel = factories.meeting(hall, utcnow().replace(microsecond=0) + timedelta(days=20),
                                  title="年终议事会")
    db.session.add(Minutes(meeting_id=upcoming.id, revisions=[MinutesRevision(
        number=1, status=RevisionStatus.DRAFT.value, present_count=0, residents_count=0,
        body="草稿", body_html="<p>草稿</p>", author_id=secretary.id,
        resolutions=[AgendaResolution(topic_id=to_discuss.id, position=0, kind="")])]))
    tomorrow = (utcnow() + timedelta(days=2)).replace(hour=1, minute=0, second=0,
                                                      microsecond=0)
    session = factories.studio_session(studio, rep, tomorrow)
    db.session.flush()
    monkeypatch.setattr(vote_service, "vote_resolution_of", lambda t: object())
    now = utcnow()
    vote = vote_service.open_vote(secretary, voting_topic, vote_service.VoteSpec(
        question="是否同意使用公共收益加装扶手？", electorate="residents", rule="simple_majority",
        scope_key=f"community:{c.id}", opens_at=now, closes_at=now + timedelta(days=1)))
    db.session.commit()
    return World(c, other, residents, outsider, pending, secretary, rep, topic, draft, comment,
                 voting_topic, vote, meeting, studio, session, hall, in_review, to_vote,
                 upcoming, to_discuss, to_cancel)


def token(client, user: User, name: str = "测试手机", password: str = factories.PASSWORD) -> str:
    response = client.post("/api/v1/tokens", json={
        "identifier": user.email, "password": password, "name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def auth(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


@dataclass
class FollowUp:
    """What the officials' follow-up (issue 15) acts on, added to a world by
    :func:`follow_up`."""

    publicised: object  # a topic whose outcome is in its publicity window
    outcome: object
    objection: object  # by residents[1], not answered
    past_session: object  # yesterday, held by the representative
    answered: object  # residents[2]'s reservation there: attended, its matter answered
    waiting: object  # residents[3]'s reservation there: not recorded yet


def follow_up(world: World) -> FollowUp:
    """An outcome in its window with an objection, and a past studio session with a recorded,
    answered reception and one still to record. Kept apart from :func:`build` so that the
    counts other tests read of the world stay as they were."""
    from consult.outcomes.models import Objection, Outcome
    from consult.studios.models import ReceptionRecord, Reservation

    c, now = world.community, utcnow().replace(microsecond=0)
    topic = factories.topic(c, world.residents[0], title="翻修儿童游乐场", stage="publicised")
    outcome = Outcome(topic_id=topic.id, community_id=c.id, decision="同意翻修。", act=True,
                      published_at=now - timedelta(days=1),
                      window_ends_at=now + timedelta(days=6), published_by_id=world.secretary.id)
    db.session.add(outcome)
    db.session.flush()
    objection = Objection(outcome_id=outcome.id, author_id=world.residents[1].id,
                          body="施工期太长。", created_at=now - timedelta(hours=5))
    db.session.add(objection)
    started = (now - timedelta(days=1)).replace(hour=1, minute=0, second=0)
    past = factories.studio_session(world.studio, world.representative, started)
    reservations = []
    for i, resident in enumerate((world.residents[2], world.residents[3])):
        slot = started + timedelta(minutes=20 * i)
        reservations.append(Reservation(session_id=past.id, resident_id=resident.id,
                                         slot_start=slot, slot_end=slot + timedelta(minutes=20),
                                         category="safety", matter="路灯坏了"))
    db.session.add_all(reservations)
    db.session.flush()
    db.session.add(ReceptionRecord(
        reservation_id=reservations[0].id, attendance="attended", raised="三号楼路灯不亮",
        follow_up="一周内答复", recorded_at=started + timedelta(hours=1),
        recorded_by_id=world.representative.id, matter_status="answered",
        answer="物业已修好路灯", answered_at=now - timedelta(hours=2)))
    db.session.commit()
    return FollowUp(topic, outcome, objection, past, reservations[0], reservations[1])
