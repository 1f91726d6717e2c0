"""Issue 13 in the demo: every owner can take part.

A grid worker (网格员) per grid; in the open owners' vote (锦绣苑楼道加装扶手) paper ballots
printed for the building whose owners have no accounts, entered by the grid worker and
confirmed by a secretary (one disputed, one waiting for its second entry, the rest still to
enter), a signed paper proxy form whose proxy has voted and an online proxy accepted but not yet
used; a resident's consent given in person and a ballot and a comment the grid worker made for
them. Everything through the real services, at plausible past times (``clock.frozen``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role, User
from consult.community.models import Building, Community, Grid
from consult.extensions import db

# (name, phone, e-mail, index of the grid in the roster's order)
GRID_WORKERS = [
    ("郑晓红", "13800000021", "grid1@example.org", 0),
    ("冯志刚", "13800000022", "grid2@example.org", 1),
]
PAPER_BUILDING = "3栋"  # the building of the open vote whose owners mostly have no account
COMMENT_TOPIC = "小区东门加装无障碍坡道"
ASSISTED_COMMENT = "我腿脚不便，出门要拄拐。支持加装坡道，希望坡道两侧都装扶手。（网格员代为发表）"


def seed_grid_workers(community: Community, admin: User, password_hash: str) -> list[User]:
    """One grid worker per grid, granted by the administrator as on the admin page."""
    from consult.admin.service import grant_role

    grids = sorted(community.grids, key=lambda g: g.id)
    workers = []
    for name, phone, email, index in GRID_WORKERS:
        if index >= len(grids):
            continue
        user = User(name=name, phone=phone, email=email, password_hash=password_hash)
        db.session.add(user)
        db.session.flush()
        grant_role(admin, community, phone, Role.GRID_WORKER.value, grids[index])
        workers.append(user)
    return workers


@dataclass
class Channels:
    """What :func:`seed_vote_channels` made, for the printed summary and the tests."""

    vote_id: int | None = None
    grid_id: int | None = None
    worker: User | None = None
    building: Building | None = None
    printed: int = 0
    counted: int = 0
    spoilt: int = 0
    disputed: str = ""
    waiting: str = ""
    to_enter: list[str] = field(default_factory=list)
    proxy_voter: User | None = None  # cast a ballot under a signed paper authorisation
    proxy_for: str = ""
    proxy_pending: User | None = None  # accepted an online authorisation, not voted yet
    proxy_pending_for: str = ""
    assisted: User | None = None  # consented; the grid worker voted and commented for them


def _desk_start(opened, now):
    """When the desk starts entering returned papers: the next morning (09:30 local) when that
    is well past, else half an hour after the vote opened (18:30 local)."""
    morning = opened + timedelta(hours=15)
    return morning if morning + timedelta(hours=4) < now else opened + timedelta(minutes=30)


def seed_vote_channels(community: Community, vote_topic: str, secretaries: list[User],
                       workers: list[User], residents: list[User]) -> Channels:
    """Paper ballots, proxies and a grid worker's help in the open owners' vote on
    ``vote_topic`` (made by :func:`consult.demo.votes.seed_votes`)."""
    from consult.grids import service as grids
    from consult.permissions import forget_memberships, membership
    from consult.topics.models import Topic
    from consult.votes import paper, proxies
    from consult.votes.models import Ballot, Elector, ElectorMember, Vote

    made = Channels()
    vote = db.session.scalar(
        select(Vote).join(Topic, Topic.id == Vote.topic_id)
        .where(Topic.community_id == community.id, Topic.title == vote_topic,
               Vote.cancelled_at.is_(None)).order_by(Vote.id.desc()))
    now = clock.utcnow()
    if vote is None or vote.grid_id is None or not vote.is_open(now):
        return made
    worker = next((w for w in workers if membership(w).works_grid(vote.grid_id)), None)
    building = db.session.scalar(select(Building).where(Building.grid_id == vote.grid_id,
                                                        Building.name == PAPER_BUILDING))
    if worker is None or building is None or len(secretaries) < 2:
        return made
    first_secretary, second_secretary = secretaries[:2]
    made.vote_id, made.grid_id, made.worker, made.building = vote.id, vote.grid_id, worker, building
    agree, oppose, abstain = vote.options[:3]
    voted = set(db.session.scalars(select(Ballot.elector_id).where(
        Ballot.vote_id == vote.id, Ballot.counted.is_(True))))
    members: dict[int, list[User]] = {}
    for elector_id, user in db.session.execute(
            select(ElectorMember.elector_id, User).join(User, User.id == ElectorMember.user_id)
            .where(ElectorMember.vote_id == vote.id).order_by(ElectorMember.elector_id, User.id)):
        members.setdefault(elector_id, []).append(user)
    electors = {e.id: e for e in db.session.scalars(
        select(Elector).where(Elector.vote_id == vote.id).order_by(Elector.id))}

    def without_account(elector_id: int) -> bool:
        return bool(members.get(elector_id)) and all(
            u.password_hash is None for u in members[elector_id])

    # Printed by the grid worker three days after the announcement, handed out door to door.
    with clock.frozen(vote.announced_at + timedelta(days=3, hours=1)):
        made.printed = paper.print_papers(worker, vote, building)
    papers = {p.elector_id: p for p in db.session.scalars(
        select(paper.PaperBallot).where(paper.PaperBallot.vote_id == vote.id)
        .order_by(paper.PaperBallot.id))}
    returned = [papers[e] for e in sorted(papers)
                if e not in voted and without_account(e)]
    if len(returned) < 9:
        return made
    at = _desk_start(vote.opens_at, now)
    step = timedelta(minutes=6)
    # The grid worker enters seven returned papers; a secretary confirms five of them (one
    # spoilt), the second secretary reads one differently (disputed: the first resolves it),
    # one waits for its second entry.
    readings = [agree, agree, oppose, agree, None, agree, abstain]
    for n, (sheet, option) in enumerate(zip(returned, readings)):
        with clock.frozen(at + n * step):
            paper.enter(worker, vote, sheet.serial, option, spoilt=option is None)
    confirm_at = at + len(readings) * step + timedelta(minutes=30)
    for n, (sheet, option) in enumerate(zip(returned[:5], readings)):
        with clock.frozen(confirm_at + n * step):
            paper.enter(first_secretary, vote, sheet.serial, option, spoilt=option is None)
            if option is None:
                made.spoilt += 1
            else:
                made.counted += 1
    with clock.frozen(confirm_at + 6 * step):
        paper.enter(second_secretary, vote, returned[5].serial, oppose)
    made.disputed, made.waiting = returned[5].serial, returned[6].serial
    # An owner without an account sent a signed authorisation instead of the paper: the
    # secretary records it; the proxy (a tenant with an account) votes for the home.
    proxy_people = [r for r in residents if r.phone and r.phone.startswith("137")]
    signed, rest = returned[7], returned[8:]
    made.to_enter = [p.serial for p in rest[:3]]
    if len(proxy_people) >= 2:
        voter = proxy_people[0]
        with clock.frozen(confirm_at + timedelta(hours=1)):
            authorisation, _ = proxies.record_paper(
                first_secretary, vote, electors[signed.elector_id], voter.name, voter.phone,
                "委托书 No. 001")
        with clock.frozen(confirm_at + timedelta(hours=1, minutes=40)):
            proxies.cast(voter, authorisation, agree)
        made.proxy_voter, made.proxy_for = voter, electors[signed.elector_id].units_label
    # An owner with an account, away on business, authorises a neighbour online, who accepts
    # (and has not voted yet: the tester may).
    online = [e for e in sorted(electors) if e not in voted and e not in papers
              and len(members.get(e, [])) == 1 and members[e][0].password_hash is not None]
    if len(online) >= 2 and len(proxy_people) >= 2:
        owner, neighbour = members[online[0]][0], proxy_people[1]
        with clock.frozen(vote.opens_at + timedelta(minutes=20)):
            granted, _, _ = proxies.grant(owner, vote, electors[online[0]], neighbour.name,
                                          neighbour.phone)
        with clock.frozen(vote.opens_at + timedelta(minutes=50)):
            proxies.accept(neighbour, granted)
        made.proxy_pending, made.proxy_pending_for = neighbour, electors[online[0]].units_label
    # An elderly owner gives the grid worker their consent in person; the grid worker casts
    # their ballot and posts their comment on the ramp.
    helped = [members[e][0] for e in online[1:] if grids.lives_in(members[e][0], vote.grid_id)]
    if helped:
        resident = helped[0]
        grid = db.session.get(Grid, vote.grid_id)
        with clock.frozen(at - timedelta(minutes=20)):
            grids.record_consent(worker, grid, resident, "vote_comment",
                                 clock.to_local(at).date() + timedelta(days=60),
                                 "上门登记，本人签字同意，其女儿在场")
        with clock.frozen(at - timedelta(minutes=10)):
            grids.vote_for(worker, resident, vote, agree)
            ramp = db.session.scalar(select(Topic).where(
                Topic.community_id == community.id, Topic.title == COMMENT_TOPIC,
                Topic.stage == "commenting"))
            if ramp is not None:
                grids.comment_for(worker, resident, ramp, ASSISTED_COMMENT)
        made.assisted = resident
    forget_memberships()
    return made


def print_try(made: Channels, community: Community, secretary: User, echo) -> None:
    """What a tester can try of issue 13."""
    if made.vote_id is None or made.worker is None:
        return
    v = made.vote_id
    echo("Try issue 13 (every owner can take part):")
    echo(f"  Grid workers: log in as {made.worker.name} {made.worker.phone}; their grid: "
         f"/grids/{made.grid_id} (who has voted, never how).")
    if made.printed:
        echo(f"  Paper ballots: {made.printed} printed for {made.building.name}; "
             f"{made.counted} entered and confirmed, {made.spoilt} spoilt. Paper desk: "
             f"/votes/{v}/papers (printable papers: /votes/{v}/papers/sheets?building="
             f"{made.building.id}).")
    if made.to_enter:
        echo(f"    As {made.worker.name}, enter a returned paper, e.g. serial "
             f"{' or '.join(made.to_enter)}; then a secretary confirms it.")
    if made.waiting and made.disputed:
        echo(f"    As {secretary.name} {secretary.phone}: confirm paper {made.waiting} "
             f"(entered once), resolve the disputed paper {made.disputed}.")
    if made.proxy_voter is not None:
        echo(f"  Proxy: {made.proxy_voter.name} {made.proxy_voter.phone} voted for "
             f"{made.proxy_for} under a signed authorisation the secretary recorded.")
    if made.proxy_pending is not None:
        echo(f"    {made.proxy_pending.name} {made.proxy_pending.phone} accepted to vote for "
             f"{made.proxy_pending_for} and has not voted yet: log in and vote at /votes/{v}.")
    if made.assisted is not None:
        echo(f"  Done for you: {made.assisted.name} {made.assisted.phone} consented; the grid "
             f"worker cast their ballot and posted a comment: /my/assistance.")
    echo(f"  Activation: secretaries issue codes at /communities/{community.id}/activation; "
         f"owners use them at /activate.")
