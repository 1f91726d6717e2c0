"""The rules of halls, meetings and minutes, without HTTP: clashes (back-to-back allowed),
agenda transitions, capacity and the waiting list, each resolution's transition, revisions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult import clock
from consult.audit.log import verify_chain
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.halls import minutes as rules
from consult.halls import service
from consult.refusals import Refused
from consult.halls.minutes import DraftInput, ResolutionInput
from consult.halls.models import Meeting, Registration
from consult.notifications.models import Notification
from consult.topics import lifecycle
from consult.topics.models import StageChange
from tests import factories
from tests.hall_world import NOW, TUESDAY, build, local

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(app):
    return build()


def schedule(world, start="09:00", end="10:00", day=TUESDAY, topics=None, hall=None,
             title="十二月居民议事会"):
    return service.schedule_meeting(
        world.secretary, world.community, hall_id=(hall or world.hall).id, day=day,
        start=start, end=end, title=title,
        topic_ids=[str(t.id) for t in (topics if topics is not None else [world.topic])])


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def notices(user, kind):
    return count(Notification, Notification.user_id == user.id, Notification.kind == kind)


# --- scheduling ----------------------------------------------------------------------------

def test_scheduling_moves_the_topic_to_deliberation(world):
    meeting = schedule(world)
    db.session.commit()
    assert world.topic.stage == "deliberating"
    assert [i.topic_id for i in meeting.agenda] == [world.topic.id]
    assert meeting.starts_at == local(f"{TUESDAY} 09:00")
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"meeting.schedule", "topic.deliberate"} <= actions
    assert verify_chain().ok


def test_a_topic_whose_comments_close_after_the_meeting_starts_is_refused(world):
    with pytest.raises(Refused) as refused:
        schedule(world, topics=[world.open_topic])
    assert refused.value.field == "topics"
    assert "after the meeting starts" in refused.value.message
    db.session.rollback()
    assert count(Meeting) == 0 and world.open_topic.stage == "commenting"


def test_a_topic_whose_comments_close_before_the_meeting_waits_open_on_its_agenda(world):
    # Its comments close in five days (2026-12-05 10:00 local): a meeting a week on takes it.
    meeting = schedule(world, day="2026-12-07", topics=[world.open_topic])
    assert [i.topic_id for i in meeting.agenda] == [world.open_topic.id]
    assert world.open_topic.stage == "commenting"


def test_an_empty_agenda_or_another_communitys_topic_is_refused(world):
    with pytest.raises(Refused, match="at least one topic"):
        schedule(world, topics=[])
    foreign = factories.topic(world.other, title="别处的议题", days=-1)
    with pytest.raises(Refused, match="topics of this community"):
        schedule(world, topics=[foreign])
    with pytest.raises(Refused, match="halls of this community"):
        schedule(world, hall=factories.hall(world.other))


def test_a_topic_in_deliberation_goes_on_a_new_agenda_without_a_transition(world):
    first = schedule(world)
    service.cancel_meeting(world.secretary, first, "场地漏水")
    steps = count(StageChange)
    second = schedule(world, day="2026-12-02")
    assert world.topic.stage == "deliberating" and count(StageChange) == steps
    assert second.agenda[0].topic_id == world.topic.id


def test_times_are_checked(world):
    for start, end, field in [("10:00", "09:00", "end"), ("x", "10:00", "start"),
                              ("09:00", "", "end")]:
        with pytest.raises(Refused) as refused:
            schedule(world, start=start, end=end)
        assert refused.value.field == field
    with pytest.raises(Refused, match="in the future"):
        schedule(world, day="2026-11-30", start="08:00", end="09:00")
    with pytest.raises(Refused) as refused:
        schedule(world, day="tomorrow")
    assert refused.value.field == "day"


@pytest.mark.parametrize("start,end,clash", [
    ("10:00", "11:00", False),  # back to back after
    ("08:00", "09:00", False),  # back to back before
    ("09:30", "10:30", True),
    ("08:30", "09:01", True),
    ("09:15", "09:45", True),
    ("08:00", "12:00", True),
])
def test_clashes_in_one_hall(world, start, end, clash):
    schedule(world, "09:00", "10:00")
    other_topic = factories.topic(world.community, title="另一个议题", days=-1)
    if clash:
        with pytest.raises(Refused) as refused:
            schedule(world, start, end, topics=[other_topic], title="第二次会")
        assert refused.value.conflict and refused.value.field == "start"
        assert refused.value.message == (
            "居民议事厅 is already booked on 2026-12-01, 09:00–10:00, for the meeting "
            "“十二月居民议事会”.")
        db.session.rollback()
        assert other_topic.stage == "commenting"
    else:
        schedule(world, start, end, topics=[other_topic], title="第二次会")
        assert count(Meeting) == 2


def test_another_hall_or_a_cancelled_meeting_is_no_clash(world):
    first = schedule(world)
    t2 = factories.topic(world.community, title="另一个议题", days=-1)
    schedule(world, topics=[t2], hall=world.big_hall)
    service.cancel_meeting(world.secretary, first, "改期")
    schedule(world, topics=[t2])
    assert count(Meeting, Meeting.cancelled_at.is_(None)) == 2


def test_the_database_refuses_an_overlap_the_form_did_not_see(world):
    factories.meeting(world.hall, local(f"{TUESDAY} 09:00"), minutes=60)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            factories.meeting(world.hall, local(f"{TUESDAY} 09:30"), minutes=60)
    factories.meeting(world.hall, local(f"{TUESDAY} 10:00"), minutes=60)  # touching: fine
    # Moving a meeting onto another is refused too (the UPDATE path).
    late = factories.meeting(world.hall, local(f"{TUESDAY} 14:00"), minutes=60)
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            late.starts_at = local(f"{TUESDAY} 10:30")
            db.session.flush()


# --- rescheduling and cancelling -----------------------------------------------------------

def test_reschedule_and_cancel_notify_the_registered(world):
    meeting = schedule(world)
    for r in world.residents[:3]:
        service.register(r, meeting)
    sent = service.reschedule_meeting(world.secretary, meeting, hall_id=world.hall.id,
                                      day=TUESDAY, start="14:00", end="15:00",
                                      title="改时间的议事会")
    assert sent == 3 and meeting.sequence == 1
    assert notices(world.residents[2], "meeting.rescheduled") == 1
    # A new title alone tells nobody.
    assert service.reschedule_meeting(world.secretary, meeting, hall_id=world.hall.id,
                                      day=TUESDAY, start="14:00", end="15:00",
                                      title="新标题") == 0
    with pytest.raises(Refused, match="Say why"):
        service.cancel_meeting(world.secretary, meeting, "  ")
    assert service.cancel_meeting(world.secretary, meeting, "场地维修") == 3
    assert notices(world.residents[0], "meeting.cancelled") == 1
    with pytest.raises(Refused, match="cancelled"):
        service.cancel_meeting(world.secretary, meeting, "再取消")
    with pytest.raises(Refused, match="cancelled"):
        service.register(world.residents[3], meeting)


def test_reschedule_refuses_a_clash_but_not_itself(world):
    meeting = schedule(world, "09:00", "10:00")
    t2 = factories.topic(world.community, title="另一个议题", days=-1)
    schedule(world, "10:00", "11:00", topics=[t2], title="第二次会")
    service.reschedule_meeting(world.secretary, meeting, hall_id=world.hall.id, day=TUESDAY,
                               start="08:30", end="10:00", title=meeting.title)
    with pytest.raises(Refused, match="第二次会"):
        service.reschedule_meeting(world.secretary, meeting, hall_id=world.hall.id,
                                   day=TUESDAY, start="09:00", end="10:30", title="x会议")


def test_a_bigger_hall_moves_the_waiting_list_up(world):
    meeting = schedule(world)
    regs = [service.register(r, meeting) for r in world.residents[:4]]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waiting", "waiting"]
    service.reschedule_meeting(world.secretary, meeting, hall_id=world.big_hall.id,
                               day=TUESDAY, start="09:00", end="10:00", title=meeting.title)
    assert count(Registration, Registration.status == "waiting") == 0


# --- registration --------------------------------------------------------------------------

def test_capacity_then_a_waiting_list_in_order(world):
    meeting = schedule(world)
    regs = [service.register(r, meeting) for r in world.residents[:4]]
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert [service.waiting_position(r) for r in regs] == [None, None, 1, 2]
    with pytest.raises(Refused, match="already registered"):
        service.register(world.residents[0], meeting)
    # The second on the waiting list leaves: nobody moves.
    assert service.unregister(world.residents[3], meeting) is None
    # A seat frees: the first waiting gets it and is told.
    moved = service.unregister(world.residents[0], meeting)
    assert moved.user_id == world.residents[2].id and moved.status == "confirmed"
    assert notices(world.residents[2], "meeting.seat") == 1
    assert count(Registration, Registration.status == "confirmed") == 2
    with pytest.raises(Refused, match="not registered"):
        service.unregister(world.residents[0], meeting)


@pytest.mark.parametrize("who", ["pending", "outsider", "representative", "secretary"])
def test_only_verified_residents_of_the_community_register(world, who):
    meeting = schedule(world)
    with pytest.raises(Refused):
        service.register(getattr(world, who), meeting)


def test_registration_closes_when_the_meeting_begins(world):
    meeting = schedule(world)
    with clock.frozen(local(f"{TUESDAY} 09:00")):
        with pytest.raises(Refused, match="begun"):
            service.register(world.residents[0], meeting)


@pytest.mark.parametrize("who", ["representative", "secretary_elsewhere", "admin"])
def test_who_schedules(world, who):
    if who == "admin":  # an administrator of the community may run meetings too
        assert schedule_as(world, world.admin) is not None
        return
    with pytest.raises(Refused):
        schedule_as(world, getattr(world, who))


def schedule_as(world, actor):
    return service.schedule_meeting(actor, world.community, hall_id=world.hall.id, day=TUESDAY,
                                    start="09:00", end="10:00", title="议事会",
                                    topic_ids=[str(world.topic.id)])


def test_halls_are_made_by_administrators(world):
    hall = service.create_hall(world.admin, world.community, name="  二号 议事厅 ",
                               address="二楼", capacity=12, accessibility="有电梯")
    assert hall.name == "二号 议事厅"
    with pytest.raises(Refused) as refused:
        service.create_hall(world.admin, world.community, name="二号 议事厅", address="",
                            capacity=5)
    assert refused.value.field == "name"
    with pytest.raises(Refused) as refused:
        service.create_hall(world.admin, world.community, name="三号", address="", capacity=0)
    assert refused.value.field == "capacity"
    with pytest.raises(Refused):
        service.create_hall(world.secretary, world.community, name="四号", address="",
                            capacity=5)


# --- minutes -------------------------------------------------------------------------------

def held_meeting(world, topics=None):
    """A meeting scheduled for Tuesday morning, with the clock then moved past it."""
    return schedule(world, topics=topics)


AFTER = local(f"{TUESDAY} 11:00")


def draft(world, meeting, **by_topic):
    resolutions = [ResolutionInput(topic_id=int(tid), **spec) for tid, spec in by_topic.items()]
    return rules.save_draft(world.secretary, meeting, DraftInput(
        present_count=25, officials_present="李代表, 王委员", residents_count=20,
        body="## 会议过程\n\n居民踊跃发言。", resolutions=resolutions))


VOTE = {"summary": "多数居民支持。", "kind": "vote", "question": "是否在楼道加装扶手？",
        "options": "同意\n反对\n弃权\n"}


def test_publishing_a_vote_resolution(world):
    meeting = held_meeting(world)
    draft(world, meeting, **{str(world.topic.id): VOTE})
    assert rules.vote_resolution(world.topic) is None  # a draft decides nothing
    with pytest.raises(Refused, match="once the meeting has begun"):
        rules.publish(world.secretary, meeting)
    with clock.frozen(AFTER):
        revision = rules.publish(world.secretary, meeting)
    assert revision.number == 1 and revision.is_published
    resolution = rules.vote_resolution(world.topic)
    assert resolution.question == "是否在楼道加装扶手？"
    assert resolution.options == ["同意", "反对", "弃权"]
    assert world.topic.stage == "deliberating"  # the vote is opened separately
    assert "<h3>" in revision.body_html or "<h2>" in revision.body_html


def draft_kw(world, **spec):
    return {str(world.topic.id): spec}


def test_send_back_reopens_comments(world):
    meeting = held_meeting(world)
    draft(world, meeting, **{str(world.topic.id): {"kind": "send_back", "comment_days": 10}})
    with clock.frozen(AFTER):
        rules.publish(world.secretary, meeting)
    assert world.topic.stage == "commenting"
    assert world.topic.comment_until == AFTER + timedelta(days=10)
    assert rules.vote_resolution(world.topic) is None


def test_no_further_action_closes_with_the_reason(world):
    meeting = held_meeting(world)
    draft(world, meeting, **{str(world.topic.id): {"kind": "no_action",
                                                   "reason": "物业已自行解决。"}})
    with clock.frozen(AFTER):
        rules.publish(world.secretary, meeting)
    assert world.topic.stage == "closed" and world.topic.closing_reason == "物业已自行解决。"
    step = db.session.scalar(select(StageChange).order_by(StageChange.id.desc()))
    assert step.transition == "close_no_action" and step.note == "物业已自行解决。"


def test_the_new_transitions_are_guarded_by_published_minutes(world):
    schedule(world)
    assert "send the topic back" in str(lifecycle.refusal(world.secretary, world.topic,
                                                          "send_back"))
    assert "no further action" in str(lifecycle.refusal(world.secretary, world.topic,
                                                        "close_no_action", {"reason": "x"}))


def test_publishing_needs_a_complete_resolution_on_every_topic(world):
    t2 = factories.topic(world.community, title="第二个议题", days=-1)
    meeting = held_meeting(world, topics=[world.topic, t2])
    draft(world, meeting, **{str(world.topic.id): {"kind": "vote", "question": "",
                                                   "options": "同意"}})
    with clock.frozen(AFTER):
        found = rules.problems(meeting, rules.draft_of(rules.minutes_of(meeting.id)))
        assert [f for f, _m in found] == [f"res-{world.topic.id}-question",
                                          f"res-{world.topic.id}-options",
                                          f"res-{t2.id}-kind"]
        with pytest.raises(Refused) as refused:
            rules.publish(world.secretary, meeting)
        assert refused.value.field == f"res-{world.topic.id}-question"
    with pytest.raises(Refused) as refused:
        draft(world, meeting, **{str(world.topic.id): {"kind": "maybe"}})
    assert refused.value.field == f"res-{world.topic.id}-kind"
    with pytest.raises(Refused) as refused:
        rules.save_draft(world.secretary, meeting, DraftInput(present_count=3,
                                                              residents_count=5))
    assert refused.value.field == "residents_count"


def test_corrections_are_new_revisions_with_a_diff(world):
    meeting = held_meeting(world)
    draft(world, meeting, **{str(world.topic.id): VOTE})
    with clock.frozen(AFTER):
        rules.publish(world.secretary, meeting)
        with pytest.raises(Refused, match="start a correction"):
            draft(world, meeting, **{str(world.topic.id): VOTE})
        with pytest.raises(Refused) as refused:
            rules.start_correction(world.secretary, meeting, " ")
        assert refused.value.field == "note"
        rules.start_correction(world.secretary, meeting, "更正投票问题的措辞")
        draft(world, meeting, **{str(world.topic.id): {**VOTE, "question": "是否在每层加装扶手？"}})
        assert rules.vote_resolution(world.topic).question == "是否在楼道加装扶手？"
        second = rules.publish(world.secretary, meeting)
    assert second.number == 2 and second.note == "更正投票问题的措辞"
    assert rules.vote_resolution(world.topic).question == "是否在每层加装扶手？"
    minutes = rules.minutes_of(meeting.id)
    first, latest = rules.published(minutes)
    changes = rules.diff(first, latest)
    assert ("removed", "Question: 是否在楼道加装扶手？") in [(c.kind, c.text) for c in changes]
    assert ("added", "Question: 是否在每层加装扶手？") in [(c.kind, c.text) for c in changes]
    assert sum(c.kind != "same" for c in changes) == 2


def test_a_correction_cannot_change_what_already_happened(world):
    meeting = held_meeting(world)
    draft(world, meeting, **{str(world.topic.id): {"kind": "send_back"}})
    with clock.frozen(AFTER):
        rules.publish(world.secretary, meeting)
        assert world.topic.stage == "commenting"
        rules.start_correction(world.secretary, meeting, "改为表决")
        draft(world, meeting, **{str(world.topic.id): VOTE})
        with pytest.raises(Refused, match="can no longer change"):
            rules.publish(world.secretary, meeting)


def test_the_latest_meeting_decides(world):
    """Sent back at one meeting, put to a vote at the next: the vote resolution counts."""
    first = held_meeting(world)
    draft(world, first, **{str(world.topic.id): {"kind": "send_back", "comment_days": 3}})
    with clock.frozen(AFTER):
        rules.publish(world.secretary, first)
    later = AFTER + timedelta(days=4)
    with clock.frozen(later):
        second = service.schedule_meeting(
            world.secretary, world.community, hall_id=world.hall.id, day="2026-12-08",
            start="09:00", end="10:00", title="复议", topic_ids=[str(world.topic.id)])
        assert world.topic.stage == "deliberating"
        assert rules.vote_resolution(world.topic) is None
        draft(world, second, **{str(world.topic.id): VOTE})
    with clock.frozen(local("2026-12-08 11:00")):
        rules.publish(world.secretary, second)
    assert rules.vote_resolution(world.topic).revision.minutes.meeting_id == second.id


def test_no_minutes_for_a_cancelled_meeting(world):
    meeting = held_meeting(world)
    service.cancel_meeting(world.secretary, meeting, "取消")
    with pytest.raises(Refused, match="cancelled"):
        draft(world, meeting)
