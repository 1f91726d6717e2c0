"""A person with one record of every kind "my data" shows (``n`` of each, for the query
counts), and a neighbour with the same kinds, whose records must never appear in the person's
data. Rows are inserted directly: this world is about what is stored, not how it got there."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from consult.accounts.models import Role
from consult.api.models import ApiToken, hash_token
from consult.audit.log import record
from consult.clock import utcnow
from consult.disclosures.models import DataView
from consult.extensions import db
from consult.privacy.models import PrivacyConsent
from consult.grids.models import AssistedAct, Consent
from consult.halls.models import Registration
from consult.messages.models import MessagePreference, MessageSettings, OutboxMessage
from consult.notifications.models import Notification
from consult.outcomes.models import Objection, Outcome, Rating
from consult.studios.models import ReceptionRecord, Reservation
from consult.topics.models import Comment, CommentReport, Cosignature, Follow, Reaction
from consult.votes.models import Ballot, Elector, ElectorMember, Vote, VoteProxy
from consult.votes.paper_models import PaperBallot
from tests import factories

# A word written into every text of the person's records, and one into the neighbour's.
MINE, THEIRS = "MINE", "THEIRS"
_slots = itertools.count()  # meetings of one hall must not overlap


@dataclass
class World:
    me: object
    neighbour: object
    community: object


def _person(c, unit, name, phone):
    person = factories.resident(c, name, unit=unit, phone=phone)
    factories.owner(person, unit)
    return person


def add_records(person, c, word: str, n: int = 1, *, rep, hall, session, worker,
                settings: bool = True) -> None:
    """``n`` records of every kind for ``person``, their texts carrying ``word``."""
    now = utcnow().replace(microsecond=0)
    grid = c.grids[0]
    for i in range(n):
        tag = f"{word}-{i}"
        t = factories.topic(c, person, title=f"{tag} topic")
        comment = Comment(topic_id=t.id, author_id=person.id, body=f"{tag} comment",
                          created_at=now)
        db.session.add(comment)
        db.session.flush()
        reply = Comment(topic_id=t.id, author_id=person.id, parent_id=comment.id,
                        body=f"{tag} reply", created_at=now)
        db.session.add_all([reply, Cosignature(topic_id=t.id, user_id=person.id),
                            Follow(topic_id=t.id, user_id=person.id),
                            Reaction(comment_id=comment.id, topic_id=t.id, user_id=person.id,
                                     value="agree"),
                            CommentReport(comment_id=comment.id, reporter_id=person.id,
                                          reason=f"{tag} report")])
        vote = Vote(topic_id=t.id, community_id=c.id, question=f"{tag} question",
                    options=["agree", "oppose"], electorate="residents",
                    rule="simple_majority", opens_at=now - timedelta(days=1),
                    closes_at=now + timedelta(days=1), electorate_size=1)
        db.session.add(vote)
        db.session.flush()
        elector = Elector(vote_id=vote.id, key=f"user:{person.id}", headcount=1,
                          area=Decimal("80"))
        db.session.add(elector)
        db.session.flush()
        db.session.add(ElectorMember(vote_id=vote.id, elector_id=elector.id, user_id=person.id))
        ballot = Ballot(vote_id=vote.id, elector_id=elector.id, option="agree",
                        cast_by_id=person.id, tracker=f"R{word[:2]}{i:06d}"[:16])
        db.session.add(ballot)
        db.session.flush()
        db.session.add_all([
            VoteProxy(vote_id=vote.id, elector_id=elector.id, granted_by_id=person.id,
                      proxy_name=f"{tag} proxy", proxy_phone="13900000000"),
            PaperBallot(vote_id=vote.id, elector_id=elector.id, serial=f"P{word[:2]}{i:06d}",
                        printed_by_id=worker.id)])
        consent = Consent(resident_id=person.id, grid_id=grid.id, scope="vote_comment",
                          source="online", starts_at=now, ends_at=now + timedelta(days=30))
        db.session.add(consent)
        db.session.flush()
        db.session.add(AssistedAct(consent_id=consent.id, resident_id=person.id,
                                   worker_id=worker.id, kind="vote", vote_id=vote.id,
                                   ballot_id=ballot.id, summary=f"{tag} assisted"))
        meeting = factories.meeting(hall, now + timedelta(days=3, hours=3 * next(_slots)),
                                    title=f"{tag} meeting")
        db.session.add(Registration(meeting_id=meeting.id, user_id=person.id,
                                    status="confirmed"))
        reservation = Reservation(
            session_id=session.id, resident_id=person.id,
            slot_start=session.starts_at + timedelta(minutes=20 * (i % 5)),
            slot_end=session.starts_at + timedelta(minutes=20 * (i % 5) + 20),
            category="other", matter=f"{tag} matter", cancelled_at=now)
        db.session.add(reservation)
        db.session.flush()
        db.session.add(ReceptionRecord(reservation_id=reservation.id, attendance="attended",
                                       raised=f"{tag} raised", follow_up=f"{tag} follow-up",
                                       recorded_by_id=rep.id, answer=f"{tag} answer"))
        outcome = Outcome(topic_id=t.id, community_id=c.id, decision=f"{tag} decision",
                          window_ends_at=now + timedelta(days=5))
        db.session.add(outcome)
        db.session.flush()
        db.session.add_all([
            Rating(outcome_id=outcome.id, user_id=person.id, stars=4, comment=f"{tag} rating"),
            Objection(outcome_id=outcome.id, author_id=person.id, body=f"{tag} objection"),
            Notification(user_id=person.id, kind="generic", params={"text": f"{tag} notice"}),
            OutboxMessage(dedup_key=f"{tag}-{person.id}-out", user_id=person.id,
                          channel="sms", to_address=person.phone or "",
                          purpose="phone change code", subject=f"{tag} subject",
                          body=f"{tag} SECRET-CODE 123456"),
            OutboxMessage(dedup_key=f"{tag}-{person.id}-notice", user_id=person.id,
                          channel="email", to_address=person.email or "",
                          purpose="generic", subject=f"{tag} notice mail"),
            ApiToken(user_id=person.id, token_hash=hash_token(f"{tag}-{person.id}-token"),
                     name=f"{tag} phone", expires_at=now + timedelta(days=90)),
        ])
        record("account.password_change", person, actor=person)
        db.session.add(PrivacyConsent(user_id=person.id, version=f"{tag}-v", channel="web"))
        db.session.add(DataView(viewer_id=worker.id, viewer_name=worker.name,
                                viewer_role="grid_worker", subject_id=person.id,
                                community_id=c.id, endpoint="grids.show", page="grid",
                                object_ref=f"grid:{grid.id}", object_name=f"{tag} grid",
                                fields="phone"))
    if settings:  # one row per person
        db.session.add_all([
            MessageSettings(user_id=person.id, channel="email", language="en"),
            MessagePreference(user_id=person.id, category="votes", mode="digest")])
    db.session.flush()


def build(n: int = 1) -> World:
    c = factories.community(units=4)
    units = factories.units_of(c)
    me = _person(c, units[0], f"{MINE} person", "13800000001")
    neighbour = _person(c, units[1], f"{THEIRS} person", "13800000002")
    factories.grant(me, c, Role.SECRETARY)
    studio = factories.studio(c)
    rep = factories.representative(c, studios=[studio])
    hall = factories.hall(c)
    worker = factories.grid_worker(c.grids[0])
    for day, (person, word) in enumerate(((me, MINE), (neighbour, THEIRS)), start=2):
        session = factories.studio_session(studio, rep, utcnow().replace(microsecond=0)
                                           + timedelta(days=day))
        add_records(person, c, word, n, rep=rep, hall=hall, session=session, worker=worker)
    db.session.commit()
    return World(me, neighbour, c)
