"""A small estate for the grid tests: one community with two grids (two buildings of two
homes each), owners of record (some activated, some only on the roster), verified residents,
the grid workers of each grid, the office, and people who must see nothing; one open owners'
vote and one residents' vote announced for tomorrow, and a topic open for comment."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from consult import clock
from consult.accounts.models import Role
from consult.extensions import db
from consult.votes.models import Vote
from consult.votes.service import freeze_electorate
from tests import factories

T0 = datetime(2026, 12, 1, 2, 0)  # 10:00 in Shanghai
DAY = timedelta(days=1)


@dataclass
class Estate:
    community: object
    grid: object  # the first grid, worked by "worker"
    other_grid: object
    people: dict = field(default_factory=dict)
    vote: object = None  # open, owners, whole community
    announced: object = None  # residents, opens tomorrow
    topic: object = None  # open for comment, whole community


def open_vote(c, topic, *, electorate="owners", opens=T0 - DAY, closes=T0 + 6 * DAY,
              question="是否同意更换电梯？", secret=False, grid=None) -> Vote:
    vote = Vote(topic_id=topic.id, community_id=c.id, grid_id=grid.id if grid else None,
                question=question, options=["agree", "oppose", "abstain"],
                electorate=electorate, rule="simple_majority", secret=secret,
                opens_at=opens, closes_at=closes)
    db.session.add(vote)
    db.session.flush()
    freeze_electorate(vote)
    return vote


def build(homes_per_building: int = 2, name: str = "网格社区") -> Estate:
    with clock.frozen(T0 - 2 * DAY):
        c = factories.community(name, grids=2, buildings=2, units=homes_per_building)
        g1, g2 = c.grids
        e = Estate(c, g1, g2)
        p = e.people
        units = [u for b in g1.buildings for u in b.units]
        # 王业主 lives in and owns the first home (activated account, verified)
        p["wang"] = factories.resident(c, "王业主", unit=units[0],
                                       phone="13900000011" if name == "网格社区" else None)
        factories.owner(p["wang"], units[0])
        # 李业主 is only on the roster: no password, not verified
        p["li"] = factories.user("李业主", phone="13900000012" if name == "网格社区" else None,
                                 password=None)
        factories.owner(p["li"], units[1])
        for i, unit in enumerate(units[2:]):
            owner = factories.user(f"业主{i}", phone=None, password=None)
            factories.owner(owner, unit)
        # 张居民 is a verified tenant of the second home, owning nothing
        p["zhang"] = factories.resident(c, "张居民", unit=units[1])
        # 外网格业主 lives in and owns a home of the other grid
        far = g2.buildings[0].units[0]
        p["far"] = factories.resident(c, "外网格业主", unit=far)
        factories.owner(p["far"], far)
        p["worker"] = factories.grid_worker(g1, "网格员甲")
        p["other_worker"] = factories.grid_worker(g2, "网格员乙")
        p["secretary"] = factories.office_holder(c, Role.SECRETARY, "秘书")
        p["admin"] = factories.office_holder(c, Role.ADMIN, "管理员")
        p["representative"] = factories.office_holder(c, Role.REPRESENTATIVE, "代表")
        other = factories.community(f"{name}的邻社区")
        p["outsider"] = factories.resident(other, "外社区居民")
        p["other_secretary"] = factories.office_holder(other, Role.SECRETARY, "外社区秘书")
        p["other_community_worker"] = factories.grid_worker(other.grids[0], "外社区网格员")
        p["nobody"] = factories.user("路人")
        voting = factories.topic(c, p["wang"], title="更换电梯", stage="voting")
        e.vote = open_vote(c, voting)
        later = factories.topic(c, p["wang"], title="绿化改造", stage="voting")
        e.announced = open_vote(c, later, electorate="residents", opens=T0 + DAY,
                                closes=T0 + 8 * DAY, question="是否同意绿化改造？")
        e.topic = factories.topic(c, p["wang"], title="夜间噪音", stage="commenting", days=20)
        db.session.commit()
    return e
