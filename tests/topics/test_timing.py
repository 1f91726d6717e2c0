"""A secretary moves a topic's deadlines with a public reason: closes a comment period early (no
sooner than three days after it opened) or extends it, extends an outcome's publicity window;
and schedules a meeting for topics whose comment period ends before it starts."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.halls import minutes as minutes_service
from consult.halls import service as halls
from consult.notifications.models import Notification
from consult.refusals import Refused
from consult.topics import rules, service
from consult.topics.models import StageChange, Topic
from tests import factories

pytestmark = pytest.mark.usefixtures("english")

T0 = datetime(2026, 11, 2, 1, 0)  # 09:00 in Shanghai
DAY = timedelta(days=1)


# --- the rules, pure ------------------------------------------------------------------------

def test_early_close_no_sooner_than_three_days_after_opening():
    end = T0 + 7 * DAY
    assert rules.earliest_early_close(T0) == T0 + 3 * DAY
    assert "at least 3 days" in str(rules.early_close_refusal(T0, end, T0 + 3 * DAY
                                                              - timedelta(seconds=1)))
    assert rules.early_close_refusal(T0, end, T0 + 3 * DAY) is None
    assert "already ended" in str(rules.early_close_refusal(T0, end, end))
    assert rules.early_close_refusal(None, end, T0 + 4 * DAY) is not None


def test_an_extension_moves_the_end_later_by_at_most_thirty_days():
    end = T0 + 7 * DAY
    now = T0 + DAY
    assert rules.extension_refusal(end, end + DAY, now) is None
    assert rules.extension_refusal(end, end + 30 * DAY, now) is None
    assert "at most 30" in str(rules.extension_refusal(end, end + 30 * DAY + timedelta(
        seconds=1), now))
    assert "later" in str(rules.extension_refusal(end, end, now))
    assert "later" in str(rules.extension_refusal(end, end - DAY, now))
    assert "new end" in str(rules.extension_refusal(end, None, now))
    assert "ended" in str(rules.extension_refusal(end, end + DAY, end))


def test_a_topic_may_go_on_an_agenda_whose_meeting_starts_after_its_period():
    assert rules.may_go_on_agenda(T0, T0 + DAY)
    assert rules.may_go_on_agenda(T0, T0)
    assert not rules.may_go_on_agenda(T0 + DAY, T0)
    assert not rules.may_go_on_agenda(None, T0)


# --- the services ---------------------------------------------------------------------------

@pytest.fixture
def place(app):
    c = factories.community("幸福里社区", grids=1, buildings=1, units=3)
    people = {
        "secretary": factories.office_holder(c, Role.SECRETARY, "秘书"),
        "admin": factories.office_holder(c, Role.ADMIN, "管理员"),
        "representative": factories.office_holder(c, Role.REPRESENTATIVE, "代表"),
        "resident": factories.resident(c, "居民", unit=c.grids[0].buildings[0].units[0]),
        "follower": factories.resident(c, "关注者", unit=c.grids[0].buildings[0].units[1]),
        "secretary_elsewhere": factories.office_holder(factories.community("别处"),
                                                       Role.SECRETARY, "外秘书"),
        "stranger": factories.user("路人"),
    }
    db.session.commit()
    return c, people


def open_topic(c, people) -> Topic:
    """A topic accepted at T0 through the lifecycle: comments open for 7 days."""
    with clock.frozen(T0 - DAY):
        topic = factories.topic(c, people["resident"], stage="in_review")
        service.follow(people["follower"], topic)
    with clock.frozen(T0):
        service.accept(people["secretary"], topic, 7)
    db.session.commit()
    return topic


def notices(user, kind):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).all()


def test_closing_early_keeps_the_reason_in_timeline_audit_and_notice(place):
    c, people = place
    topic = open_topic(c, people)
    with clock.frozen(T0 + 2 * DAY), pytest.raises(Refused, match="at least 3 days"):
        service.close_comments_early(people["secretary"], topic, "意见已充分")
    db.session.rollback()
    with clock.frozen(T0 + 3 * DAY):
        with pytest.raises(Refused, match="reason") as refused:
            service.close_comments_early(people["secretary"], topic, "  ")
        assert refused.value.field == "reason"
        db.session.rollback()
        service.close_comments_early(people["secretary"], topic, "意见已充分")
        db.session.commit()
        assert topic.stage == "commenting" and topic.comment_until == T0 + 3 * DAY
    step = db.session.scalars(select(StageChange).where(
        StageChange.topic_id == topic.id, StageChange.transition == "close_comments")).one()
    assert step.note == "意见已充分"
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "topic.close_comments")).one()
    assert entry.details["reason"] == "意见已充分"
    [notice] = notices(people["follower"], "topic.close_comments")
    assert "意见已充分" in notice.params["note"]
    with clock.frozen(T0 + 4 * DAY), pytest.raises(Refused, match="already ended"):
        service.close_comments_early(people["secretary"], topic, "再关一次")


def test_extending_moves_the_end_later_with_a_reason(place):
    c, people = place
    topic = open_topic(c, people)
    end = T0 + 7 * DAY
    with clock.frozen(T0 + DAY):
        for until, match, field in ((end, "later", "until"), (None, "new end", "until"),
                                    (end + 31 * DAY, "at most 30", "until"),
                                    (end + DAY, "reason", "reason")):
            with pytest.raises(Refused, match=match) as refused:
                service.extend_comments(people["secretary"], topic, until,
                                        "" if field == "reason" else "居民要求")
            assert refused.value.field == field
            db.session.rollback()
        service.extend_comments(people["admin"], topic, end + 5 * DAY, "居民要求延长")
        db.session.commit()
    assert topic.comment_until == end + 5 * DAY and topic.stage == "commenting"
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "topic.extend_comments")).one()
    assert entry.details["reason"] == "居民要求延长"
    assert entry.details["until"] == (end + 5 * DAY).isoformat()
    [notice] = notices(people["follower"], "topic.extend_comments")
    assert notice.params["note"] == "居民要求延长" and notice.params["until"]


@pytest.mark.parametrize("who", ["representative", "resident", "secretary_elsewhere",
                                 "stranger"])
def test_only_the_office_of_the_community_moves_the_comment_period(place, who):
    c, people = place
    topic = open_topic(c, people)
    with clock.frozen(T0 + 4 * DAY):
        with pytest.raises(Refused):
            service.close_comments_early(people[who], topic, "理由")
        db.session.rollback()
        with pytest.raises(Refused):
            service.extend_comments(people[who], topic, T0 + 9 * DAY, "理由")
        db.session.rollback()
    assert topic.comment_until == T0 + 7 * DAY


def test_a_meeting_takes_topics_whose_period_ends_before_it_starts(place):
    c, people = place
    topic = open_topic(c, people)
    hall = factories.hall(c)
    db.session.commit()
    with clock.frozen(T0 + DAY):
        with pytest.raises(Refused, match="after the meeting starts") as refused:
            halls.schedule_meeting(people["secretary"], c, hall_id=hall.id, day="2026-11-05",
                                   start="19:00", end="21:00", title="议事会",
                                   topic_ids=[topic.id])
        assert refused.value.field == "topics"
        db.session.rollback()
        meeting = halls.schedule_meeting(
            people["secretary"], c, hall_id=hall.id, day="2026-11-10", start="19:00",
            end="21:00", title="议事会", topic_ids=[topic.id])
        db.session.commit()
        assert topic.stage == "commenting"  # residents may still comment until the period ends
        # Its comments must close before the meeting: an extension past its start is refused.
        with pytest.raises(Refused, match="agenda of a meeting"):
            service.extend_comments(people["secretary"], topic, meeting.starts_at + DAY, "晚些")
        db.session.rollback()
    with clock.frozen(T0 + 7 * DAY - timedelta(seconds=1)):
        assert halls.settle_agenda_topics() == 0
    with clock.frozen(T0 + 7 * DAY):
        assert halls.settle_agenda_topics() == 1
        db.session.commit()
    assert topic.stage == "deliberating"
    assert [s.transition for s in topic.stage_changes][-1] == "agenda_deliberate"


def test_writing_minutes_moves_an_agenda_topic_whose_period_ended(place):
    c, people = place
    topic = open_topic(c, people)
    hall = factories.hall(c)
    meeting = factories.meeting(hall, T0 + 8 * DAY, topics=[topic])
    db.session.commit()
    with clock.frozen(T0 + 8 * DAY + timedelta(hours=3)):
        minutes_service.settle_agenda_topics(meeting)
        db.session.commit()
    assert topic.stage == "deliberating"


# --- the forms over HTTP ---------------------------------------------------------------------

def test_the_topic_page_forms_close_and_extend_and_show_the_reason(place, client, login):
    c, people = place
    topic = open_topic(c, people)
    login(people["resident"])
    with clock.frozen(T0 + DAY):
        assert 'id="comment-period"' not in client.get(f"/topics/{topic.id}").get_data(
            as_text=True)
        assert client.post(f"/topics/{topic.id}/comment-period/close",
                           data={"close-reason": "够了"}).status_code == 403
    login(people["secretary"])
    with clock.frozen(T0 + DAY):
        assert 'id="comment-period"' in client.get(f"/topics/{topic.id}").get_data(as_text=True)
        refused = client.post(f"/topics/{topic.id}/comment-period/extend",
                              data={"extend-day": "不是日期", "extend-time": "20:00",
                                    "extend-reason": "居民要求"})
        assert refused.status_code == 422 and "Give the new end" in refused.get_data(
            as_text=True)
        ok = client.post(f"/topics/{topic.id}/comment-period/extend",
                         data={"extend-day": "2026-11-12", "extend-time": "20:00",
                               "extend-reason": "居民要求延长"})
        assert ok.status_code == 302
    assert db.session.get(Topic, topic.id).comment_until == datetime(2026, 11, 12, 12, 0)
    with clock.frozen(T0 + 4 * DAY):
        assert client.post(f"/topics/{topic.id}/comment-period/close",
                           data={"close-reason": "意见已充分"}).status_code == 302
        page = client.get(f"/topics/{topic.id}").get_data(as_text=True)
    assert "Comment period closed early" in page and "意见已充分" in page
    assert "居民要求延长" in page


def test_a_meeting_may_not_move_before_an_agenda_topics_comments_close(place, client, login):
    """Scheduling refuses a meeting that starts before an agenda topic's comment period ends;
    moving the meeting earlier is refused the same way (the reschedule form, 409, the time
    typed kept), and a move that keeps it after the end goes through."""
    c, people = place
    topic = open_topic(c, people)  # comments until 2026-11-09 09:00 in Shanghai
    hall = factories.hall(c)
    db.session.commit()
    with clock.frozen(T0 + DAY):
        meeting = halls.schedule_meeting(
            people["secretary"], c, hall_id=hall.id, day="2026-11-10", start="19:00",
            end="21:00", title="议事会", topic_ids=[topic.id])
        db.session.commit()
        with pytest.raises(Refused, match="after the meeting would start") as refused:
            halls.reschedule_meeting(people["secretary"], meeting, hall_id=hall.id,
                                     day="2026-11-08", start="19:00", end="21:00",
                                     title="议事会")
        assert refused.value.field == "day" and refused.value.kind == "conflict"
        db.session.rollback()
        login(people["secretary"])
        url = f"/meetings/{meeting.id}/reschedule"
        early = client.post(url, data={"hall": str(hall.id), "title": "议事会",
                                       "day": "2026-11-08", "start": "19:00", "end": "21:00"})
        page = early.get_data(as_text=True)
        assert early.status_code == 409
        assert "its comment period runs until" in page and 'value="2026-11-08"' in page
        db.session.expire_all()
        assert db.session.get(type(meeting), meeting.id).starts_at == datetime(2026, 11, 10, 11)
        later = client.post(url, data={"hall": str(hall.id), "title": "议事会",
                                       "day": "2026-11-09", "start": "19:00", "end": "21:00"})
        assert later.status_code == 302
        db.session.expire_all()
        assert db.session.get(type(meeting), meeting.id).starts_at == datetime(2026, 11, 9, 11)
