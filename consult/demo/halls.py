"""Demo deliberation halls (示范议事厅): two halls; a past meeting on the topic in deliberation
(锦绣苑楼道加装扶手) whose minutes are published with "put to a vote"; an upcoming meeting on
the topic whose comment period has ended (夜间广场舞音量管理), with some registrations.

Everything goes through the real rules (the past meeting with the clock moved back), so the
audit log, the topic timelines and the notifications are what real use leaves.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from consult import clock
from consult.clock import to_local
from consult.extensions import db
from consult.halls import minutes, service
from consult.halls.minutes import DraftInput, ResolutionInput
from consult.permissions import forget_memberships, may
from consult.topics.models import Topic

HALLS = [
    ("幸福里社区居民议事厅", "幸福里社区党群服务中心一楼", 40,
     "正门有无障碍坡道；一楼无障碍卫生间；可为听障居民提供文字记录。"),
    ("锦绣苑小区议事角", "锦绣苑2栋架空层", 15, "地面平整，轮椅可达；无电梯，仅在一楼。"),
]
PAST_TOPIC = "锦绣苑楼道加装扶手"
NEXT_TOPIC = "夜间广场舞音量管理"
MINUTES_BODY = """## 会议过程

社区书记主持会议，提议人介绍了楼道加装扶手的设想，物业介绍了施工方案和预算（约每栋1.2万元）。

## 居民意见

- 多数发言居民支持加装，希望优先考虑老人多的楼栋
- 有居民担心扶手占用楼道宽度，物业答复扶手外沿不超过8厘米
- 费用拟从公共收益中列支，需要业主表决
"""


def _day(now, days: int, hour: int, minute: int = 0) -> tuple[str, str]:
    day = to_local(now).date() + timedelta(days=days)
    return day.isoformat(), f"{hour:02d}:{minute:02d}"


def seed_halls(community, admin, secretary, residents) -> int:
    """Create the demo halls and meetings; returns the number of meetings."""
    now = clock.utcnow()
    halls = [service.create_hall(admin, community, name=name, address=address,
                                 capacity=capacity, accessibility=access)
             for name, address, capacity, access in HALLS]
    topics = {t.title: t for t in db.session.scalars(select(Topic).where(Topic.community_id == community.id,
                                           Topic.title.in_([PAST_TOPIC, NEXT_TOPIC])))}
    made = 0
    past_topic = topics.get(PAST_TOPIC)
    if past_topic is not None and past_topic.stage == "deliberating":
        scheduled_at = past_topic.stage_changed_at + timedelta(hours=1)
        with clock.frozen(scheduled_at):
            day, _ = _day(scheduled_at, 3, 19)
            meeting = service.schedule_meeting(
                secretary, community, hall_id=halls[1].id, day=day, start="19:00",
                end="20:30", title="锦绣苑居民议事会", topic_ids=[str(past_topic.id)])
            for who in [r for r in residents if may(r, "meeting.attend", meeting)][:8]:
                service.register(who, meeting)
        made += 1
        held = meeting.ends_at + timedelta(hours=20)
        with clock.frozen(held):
            minutes.save_draft(secretary, meeting, DraftInput(
                present_count=14, officials_present="李卫国（区人大代表）, 钱淑芬（居委会）",
                residents_count=12, body=MINUTES_BODY, resolutions=[ResolutionInput(
                    topic_id=past_topic.id,
                    summary="与会居民普遍支持加装扶手，对费用来源和施工时间提出了意见。",
                    kind="vote", question="是否同意在锦绣苑1至3栋楼道加装不锈钢扶手，费用从公共收益中列支？",
                    options="同意\n反对\n弃权")]))
            minutes.publish(secretary, meeting)
    next_topic = topics.get(NEXT_TOPIC)
    if next_topic is not None and next_topic.stage == "commenting":
        day, _ = _day(now, 5, 19)
        meeting = service.schedule_meeting(
            secretary, community, hall_id=halls[0].id, day=day, start="19:00", end="21:00",
            title="夜间广场舞音量协商会", topic_ids=[str(next_topic.id)])
        for who in [r for r in residents if may(r, "meeting.attend", meeting)][8:20]:
            service.register(who, meeting)
        made += 1
    forget_memberships()
    return made
