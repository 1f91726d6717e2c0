"""A demo owners' vote (业主表决), opened through the real rules on the topic whose published
minutes resolved to put it to a vote, with ballots from about half of the owners."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from consult import clock
from consult.accounts.models import User
from consult.extensions import db
from consult.topics.models import Topic
from consult.votes import service
from consult.votes.models import ElectorMember
from consult.votes.service import VoteSpec

VOTE_TOPIC = "锦绣苑楼道加装扶手"


def seed_votes(community, secretary, rng: random.Random) -> int:
    """Announce and open the demo vote; returns the number of ballots cast.

    The vote is announced after the meeting's minutes were published and opens the
    community's notice days later (a Civil Code vote), so it has been open for a while now."""
    topic = db.session.scalar(select(Topic).where(Topic.community_id == community.id,
                                                  Topic.title == VOTE_TOPIC))
    if topic is None or topic.stage != "deliberating" or service.vote_resolution_of(topic) is None:
        return 0
    resolution = service.vote_resolution_of(topic)
    now = clock.utcnow().replace(second=0, microsecond=0)
    published = resolution.revision.published_at.replace(second=0, microsecond=0)
    announced = published + timedelta(hours=2)
    opened = announced + timedelta(days=community.vote_notice_days)
    if opened >= now:
        raise RuntimeError(f"demo vote: the opening {opened} would not be in the past ({now})")
    with clock.frozen(announced):
        vote = service.open_vote(secretary, topic, VoteSpec(
            question=resolution.question or "是否同意加装楼道扶手？", electorate="owners",
            rule="civil_code_ordinary",
            scope_key=f"grid:{topic.grid_id}" if topic.grid_id else f"community:{community.id}",
            opens_at=opened, closes_at=opened + timedelta(days=community.vote_min_open_days)))
        service.freeze_now(vote)  # the demo is built in one transaction: no job in between
    with clock.frozen(opened + timedelta(minutes=5)):
        service.notify_opened_votes()  # what `flask vote notify` does from cron
    voter_ids = sorted(set(db.session.scalars(select(ElectorMember.user_id).where(
        ElectorMember.vote_id == vote.id))))
    # Online: the owners who have an account (the others vote on paper or by proxy, see
    # consult/demo/gridwork.py).
    voters = db.session.scalars(select(User).where(User.id.in_(voter_ids),
                                                   User.password_hash.is_not(None))).all()
    cast = 0
    for n, voter in enumerate(sorted(voters, key=lambda u: u.id)):
        if rng.random() < 0.45:
            continue
        when = opened + timedelta(minutes=10 + 7 * n)
        if when >= now:
            break
        with clock.frozen(when):
            option = rng.choices(["agree", "oppose", "abstain"], weights=[7, 2, 1])[0]
            if n % 9 == 0:  # some change their mind
                service.cast(voter, vote, "oppose", replace_other=True)
            # a co-owner may have voted before: they confirm replacing it
            service.cast(voter, vote, option, replace_other=True)
            cast += 1
    return cast


UPCOMING_TOPIC = "小区外墙清洗与修补"
UPCOMING_QUESTION = "是否同意使用专项维修资金清洗并修补全小区外墙？"
CANCEL_REASON = "公告中的表决范围误选为锦绣苑，外墙维修涉及全小区业主，撤销后按全小区重新公告。"


def seed_announced_vote(community, residents, secretary) -> int:
    """A topic taken to an owners' vote under the Civil Code's major-matter rule: the first
    announcement chose the wrong area and was cancelled with its public reason the next day;
    the corrected vote is announced and opens in about nine days. Returns the number of votes
    made (2), or 0 when the community has no hall."""
    from consult.clock import to_local
    from consult.halls import minutes as hall_minutes
    from consult.halls import service as halls
    from consult.halls.minutes import DraftInput, ResolutionInput
    from consult.halls.models import Hall
    from consult.permissions import forget_memberships, may
    from consult.topics import service as topics

    hall = db.session.scalar(select(Hall).where(Hall.community_id == community.id)
                             .order_by(Hall.id))
    if hall is None:
        return 0
    now = clock.utcnow().replace(second=0, microsecond=0)
    proposer = residents[5 % len(residents)]
    scope_key = next(s.key for s, _ in topics.scopes_for(proposer) if s.grid_id is None)
    with clock.frozen(now - timedelta(days=12)):
        topic = topics.save_draft(
            proposer, title=UPCOMING_TOPIC, category="property", scope_key=scope_key,
            description="外墙多处空鼓、瓷砖脱落，雨季有坠落风险。建议使用专项维修资金统一清洗并修补。")
        topics.submit(proposer, topic)
    signers = [r for r in residents if r.id != proposer.id
               and may(r, "topic.participate", topic)]
    for n, who in enumerate(signers[:community.cosign_threshold]):
        with clock.frozen(now - timedelta(days=11.9 - n * 0.01)):
            topics.cosign(who, topic)
    with clock.frozen(now - timedelta(days=11.5)):
        topics.accept(secretary, topic, 3)
    scheduled = now - timedelta(days=8.4)  # the comment period is over
    with clock.frozen(scheduled):
        day = (to_local(scheduled).date() + timedelta(days=1)).isoformat()
        meeting = halls.schedule_meeting(
            secretary, community, hall_id=hall.id, day=day, start="19:00", end="20:30",
            title=f"居民议事会：{UPCOMING_TOPIC}", topic_ids=[str(topic.id)])
    published = meeting.ends_at + timedelta(hours=2)
    with clock.frozen(published):
        hall_minutes.save_draft(secretary, meeting, DraftInput(
            present_count=13, officials_present="钱淑芬（居委会）", residents_count=11,
            body="与会居民同意提交全体业主表决；使用专项维修资金属于重大事项。",
            resolutions=[ResolutionInput(
                topic_id=topic.id, summary="多数与会居民支持，提交业主表决。", kind="vote",
                question=UPCOMING_QUESTION, options="同意\n反对\n弃权")]))
        hall_minutes.publish(secretary, meeting)
    first_grid = next(s.key for s, _ in topics.scopes_for(proposer) if s.key.startswith("grid:"))
    announced = published + timedelta(hours=1)
    settings = service.vote_settings(community)

    def spec(scope: str, at) -> VoteSpec:
        opens = at + timedelta(days=settings.notice_days, hours=1)
        return VoteSpec(question=UPCOMING_QUESTION, electorate="owners",
                        rule="civil_code_major", scope_key=scope, opens_at=opens,
                        closes_at=opens + timedelta(days=settings.min_open_days + 3))

    with clock.frozen(announced):
        wrong = service.open_vote(secretary, topic, spec(first_grid, announced))
        service.freeze_now(wrong)
    with clock.frozen(announced + timedelta(days=1)):
        service.cancel_vote(secretary, wrong, CANCEL_REASON)
    again = announced + timedelta(days=1, hours=2)
    if again + timedelta(days=settings.notice_days) <= now:
        raise RuntimeError("demo vote: the corrected vote would already be open")
    with clock.frozen(again):
        service.freeze_now(service.open_vote(secretary, topic,
                                             spec(f"community:{community.id}", again)))
    forget_memberships()
    return 2
