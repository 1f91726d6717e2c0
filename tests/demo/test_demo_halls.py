"""The demo's deliberation halls: a past meeting with published "put to a vote" minutes on the
topic in deliberation, an upcoming meeting with registrations on the topic whose comments
ended."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.audit.log import verify_chain
from consult.demo.seed import seed
from consult.extensions import db
from consult.halls.minutes import vote_resolution
from consult.halls.models import Hall, Meeting, Registration
from consult.clock import utcnow
from consult.topics.models import Topic


def test_demo_halls(app):
    seed(echo=lambda _: None)
    assert db.session.scalar(select(func.count(Hall.id))) == 2
    railing = db.session.scalar(select(Topic).where(Topic.title == "锦绣苑楼道加装扶手"))
    assert railing.stage == "voting"  # the demo vote opened on it after the minutes
    resolution = vote_resolution(railing)
    assert resolution is not None and resolution.options == ["同意", "反对", "弃权"]
    dance = db.session.scalar(select(Topic).where(Topic.title == "夜间广场舞音量管理"))
    assert dance.stage == "deliberating"
    upcoming = db.session.scalar(select(Meeting).where(Meeting.starts_at > utcnow()))
    assert [i.topic_id for i in upcoming.agenda] == [dance.id]
    assert db.session.scalar(select(func.count(Registration.id)).where(
        Registration.meeting_id == upcoming.id)) >= 5
    assert verify_chain().ok
