"""Demo outcomes (结果公示与落实): three topics taken through the real rules with the clock moved
back — proposal, co-signatures, review, comment, a hall meeting with minutes, a residents' vote,
the publicised outcome — and then: one still in its publicity window with an answered
objection, one being implemented with progress and an overdue target date, one closed with
satisfaction ratings."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from consult import clock
from consult.clock import to_local
from consult.extensions import db
from consult.halls import minutes as hall_minutes
from consult.halls import service as halls
from consult.halls.minutes import DraftInput, ResolutionInput
from consult.halls.models import Hall
from consult.outcomes import service as outcomes
from consult.permissions import forget_memberships, may
from consult.topics import service as topics
from consult.votes import service as votes
from consult.votes.models import ElectorMember
from consult.votes.service import VoteSpec

# (title, category, description, days ago proposed, what happens after publication)
OUTCOME_TOPICS = [
    ("中心广场更换健身器材", "culture",
     "广场上的健身器材用了十年，有的已经松动生锈，老人和孩子用着不安全。建议全部更换。",
     50, "closed"),
    ("3栋屋顶防水维修", "property",
     "3栋顶楼每逢下雨就渗水，墙皮脱落。建议用维修资金对屋顶做整体防水。", 30, "implementing"),
    ("小区南门增设非机动车棚", "parking",
     "南门附近自行车和电动车乱停，挡住消防通道。建议在南门内侧建一个非机动车棚。", 11,
     "publicised"),
]


def _at(now, days_ago: float):
    return now - timedelta(days=days_ago)


def _past(moment, now, what: str):
    """Demo history happens before now: a vote closed by a frozen clock in the future would
    store a result while it is still open and accepting ballots."""
    if moment > now:
        raise RuntimeError(f"demo outcome: {what} would be in the future ({moment} > {now})")
    return moment


def seed_outcomes(community, residents, secretary, rng: random.Random) -> int:
    """Create the demo outcomes; returns how many."""
    hall = db.session.scalar(select(Hall).where(Hall.community_id == community.id)
                             .order_by(Hall.id))
    if hall is None:
        return 0
    now = clock.utcnow().replace(second=0, microsecond=0)
    made = 0
    for title, category, description, days_ago, fate in OUTCOME_TOPICS:
        _take_through(community, hall, residents, secretary, rng, now, title, category,
                      description, days_ago, fate)
        made += 1
    forget_memberships()
    return made


def _take_through(community, hall, residents, secretary, rng, now, title, category,
                  description, d, fate) -> None:
    proposer = residents[(d * 7) % len(residents)]
    scope_key = next(s.key for s, _ in topics.scopes_for(proposer) if s.grid_id is None)
    with clock.frozen(_at(now, d)):
        topic = topics.save_draft(proposer, title=title, description=description,
                                  category=category, scope_key=scope_key)
        topics.submit(proposer, topic)
    signers = [r for r in residents if r.id != proposer.id
               and may(r, "topic.participate", topic)]
    for n, who in enumerate(signers[:community.cosign_threshold]):
        with clock.frozen(_at(now, d - 0.05 - n * 0.01)):
            topics.cosign(who, topic)
    with clock.frozen(_at(now, d - 0.5)):
        topics.accept(secretary, topic, 3)
    scheduled = _at(now, d - 3.6)  # the comment period is over
    with clock.frozen(scheduled):
        day = (to_local(scheduled).date() + timedelta(days=1)).isoformat()
        meeting = halls.schedule_meeting(
            secretary, community, hall_id=hall.id, day=day, start="19:00", end="20:30",
            title=f"居民议事会：{title}", topic_ids=[str(topic.id)])
    with clock.frozen(meeting.ends_at + timedelta(hours=2)):
        hall_minutes.save_draft(secretary, meeting, DraftInput(
            present_count=11, officials_present="钱淑芬（居委会）", residents_count=9,
            body="与会居民充分讨论，同意提交全体居民表决。", resolutions=[ResolutionInput(
                topic_id=topic.id, summary="多数与会居民支持。", kind="vote",
                question=f"是否同意：{title}？", options="同意\n反对\n弃权")]))
        hall_minutes.publish(secretary, meeting)
        opened = clock.utcnow()
        vote = votes.open_vote(secretary, topic, VoteSpec(
            question=f"是否同意：{title}？", electorate="residents", rule="simple_majority",
            scope_key=f"community:{community.id}", opens_at=opened,
            closes_at=opened + timedelta(days=3)))
        votes.freeze_now(vote)  # the demo is built in one transaction: no job in between
    voter_ids = set(db.session.scalars(select(ElectorMember.user_id).where(
        ElectorMember.vote_id == vote.id)))
    for n, voter in enumerate(r for r in residents if r.id in voter_ids):
        if rng.random() < 0.4:
            continue
        with clock.frozen(opened + timedelta(hours=1 + n)):
            votes.cast(voter, vote, rng.choices(["agree", "oppose", "abstain"],
                                                weights=[7, 2, 1])[0],
                       replace_other=True)  # a co-owner may have voted: they confirm
    published_at = vote.closes_at + timedelta(hours=3)
    _past(published_at + timedelta(days=2), now, f"answering the objection to {title!r}")
    with clock.frozen(published_at):
        draft = outcomes.draft_decision(topic)
        outcomes.publish(secretary, topic, draft.decision + "\n社区将按决定组织实施，欢迎居民监督。",
                         7, act=True)
    objector, *raters = [r for r in residents if r.id in voter_ids and r.id != proposer.id]
    with clock.frozen(published_at + timedelta(days=1)):
        objection = outcomes.lodge_objection(objector, topic,
                                             "希望公开施工单位和费用明细后再实施。")
    with clock.frozen(published_at + timedelta(days=2)):
        outcomes.answer_objection(secretary, objection,
                                  "施工单位和费用明细将在实施前张贴在公示栏并在本页公布。")
    if fate == "publicised":
        return
    effective = published_at + timedelta(days=7)
    outcomes.settle_due_outcomes(effective)
    with clock.frozen(effective + timedelta(hours=2)):
        outcomes.plan(secretary, topic, "物业服务中心 王经理",
                      to_local(effective).date() + timedelta(days=10))
    with clock.frozen(effective + timedelta(days=3)):
        outcomes.post_progress(secretary, topic, "已确定施工单位，材料已进场。", 30)
    with clock.frozen(effective + timedelta(days=8)):
        outcomes.post_progress(secretary, topic, "主体施工完成，等待验收。", 80)
    if fate == "implementing":
        return  # the target date (effective + 10 days) has passed: overdue on the board
    done_at = effective + timedelta(days=9)
    with clock.frozen(done_at):
        outcomes.mark_done(secretary, topic, "已验收，投入使用。")
    for n, who in enumerate(raters[:12]):
        with clock.frozen(done_at + timedelta(hours=5 + 3 * n)):
            outcomes.rate(who, topic, rng.choices([5, 4, 3, 2, 1], weights=[5, 4, 2, 1, 1])[0],
                          "很满意，谢谢大家。" if n == 0 else "")
    outcomes.settle_due_outcomes(done_at + timedelta(days=outcomes.RATING_DAYS))
