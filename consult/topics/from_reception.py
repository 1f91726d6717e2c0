"""A matter raised at a representative's reception (预约接待) becomes a topic proposal.

The representative chooses who proposes it: the resident who raised it (a draft is prepared in
their name; they read it, change it if they like, and submit it themselves, which is their
confirmation), or the representative in their own name (submitted at once). Either way the
reception record and the topic point at each other.
"""
from __future__ import annotations

import functools

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, bindparam, select

from consult.audit.log import record as audit
from consult.clock import utcnow
from consult.extensions import db
from consult.i18n import local_datetime
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check, membership
from consult.studios.models import ReceptionRecord
from consult.text import render_markdown
from consult.topics import lifecycle
from consult.topics.lifecycle import Stage
from consult.topics.models import Category, Topic
from consult.topics.service import TITLE_MAX, TITLE_MIN, follow
from consult.refusals import Refused

AS_RESIDENT, AS_REPRESENTATIVE = "resident", "representative"

kinds.register("topic.draft_from_reception", _l(
    "%(name)s prepared a proposal from the matter you raised: “%(title)s”. Read it and submit "
    "it if you agree."))


def _title_from(matter: str) -> str:
    first_line = " ".join((matter or "").split())
    title = first_line[:TITLE_MAX]
    if len(title) < TITLE_MIN:
        title = (title + " " + str(_l("(matter raised at a reception)")))[:TITLE_MAX]
    return title


def topic_of_record(rec: ReceptionRecord) -> Topic | None:
    return db.session.get(Topic, rec.topic_id) if rec.topic_id else None


def propose_from_reception(actor, rec: ReceptionRecord, proposer: str) -> Topic:
    """Turn the matter of reception record ``rec`` into a topic proposal (see the module)."""
    reservation = rec.reservation
    session = reservation.session
    if (r := check(actor, "studio.record", session)) is not None:
        raise Refused(r.message)
    if rec.topic_id is not None:
        raise Refused(_l("This matter has already become a topic proposal."))
    if rec.attendance != "attended":
        raise Refused(_l("Only a matter raised at a reception that took place can become a "
                            "topic."))
    if proposer not in (AS_RESIDENT, AS_REPRESENTATIVE):
        raise Refused(_l("Choose who proposes the topic."), "proposer")
    community_id = session.studio.community_id
    resident = reservation.resident
    if proposer == AS_RESIDENT and not membership(resident).verified_in(community_id):
        raise Refused(_l("The resident is not verified in this community, so the proposal "
                            "cannot be in their name; propose it in your own name."), "proposer")
    category = reservation.category if reservation.category in {c.value for c in Category} \
        else Category.OTHER.value
    parts = [reservation.matter.strip()]
    if rec.raised.strip():
        parts.append(rec.raised.strip())
    parts.append(str(_l("Raised with %(name)s at the studio session of %(when)s.",
                        name=session.representative.name,
                        when=local_datetime(session.starts_at, "short"))))
    description = "\n\n".join(parts)
    now = utcnow()
    owner = resident if proposer == AS_RESIDENT else actor
    topic = Topic(community_id=community_id, proposer_id=owner.id, title=_title_from(
        reservation.matter), description=description, description_html=render_markdown(
        description), category=category, stage=Stage.DRAFT.value, created_at=now,
        updated_at=now)
    db.session.add(topic)
    db.session.flush()
    rec.topic_id = topic.id
    audit("topic.from_reception", topic, actor=actor, community_id=community_id,
          details={"reception_record_id": rec.id, "proposer": proposer})
    if proposer == AS_REPRESENTATIVE:
        lifecycle.apply(actor, topic, "submit_from_reception")
        topic.submitted_at = topic.stage_changed_at
        follow(actor, topic)
    else:
        notify([resident.id], "topic.draft_from_reception",
               {"title": topic.title, "name": actor.name}, f"/topics/{topic.id}")
    return topic


def reception_of_topic(topic_id: int):
    """The studio session a topic came from, for the link back on the topic page."""
    return db.session.execute(_reception_statement(),
                              {"topic_id": topic_id}).scalar_one_or_none()


@functools.cache
def _reception_statement():
    # Built once (every topic page asks): a statement used again skips building and keying.
    from consult.studios.models import Reservation, StudioSession

    return (select(StudioSession).join(Reservation, Reservation.session_id == StudioSession.id)
            .join(ReceptionRecord, ReceptionRecord.reservation_id == Reservation.id)
            .where(ReceptionRecord.topic_id == bindparam("topic_id", type_=Integer)))


