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
    """Open the demo vote; returns the number of ballots cast."""
    topic = db.session.scalar(select(Topic).where(Topic.community_id == community.id,
                                                  Topic.title == VOTE_TOPIC))
    if topic is None or topic.stage != "deliberating" or service.vote_resolution_of(topic) is None:
        return 0
    resolution = service.vote_resolution_of(topic)
    now = clock.utcnow().replace(second=0, microsecond=0)
    opened = now - timedelta(days=1)
    with clock.frozen(opened):
        vote = service.open_vote(secretary, topic, VoteSpec(
            question=resolution.question or "是否同意加装楼道扶手？", electorate="owners",
            rule="civil_code_ordinary",
            scope_key=f"grid:{topic.grid_id}" if topic.grid_id else f"community:{community.id}",
            opens_at=opened, closes_at=opened + timedelta(days=7)))
    voter_ids = sorted(set(db.session.scalars(select(ElectorMember.user_id).where(
        ElectorMember.vote_id == vote.id))))
    voters = db.session.scalars(select(User).where(User.id.in_(voter_ids))).all()
    cast = 0
    for n, voter in enumerate(sorted(voters, key=lambda u: u.id)):
        if rng.random() < 0.45:
            continue
        with clock.frozen(opened + timedelta(minutes=10 + 7 * n)):
            option = rng.choices(["agree", "oppose", "abstain"], weights=[7, 2, 1])[0]
            if n % 9 == 0:  # some change their mind
                service.cast(voter, vote, "oppose", replace_other=True)
            # a co-owner may have voted before: they confirm replacing it
            service.cast(voter, vote, option, replace_other=True)
            cast += 1
    return cast
