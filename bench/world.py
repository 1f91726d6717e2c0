"""A large community for the page benchmark (bench/pages.py), written with core bulk inserts.

    .venv/bin/python bench/world.py --scale 4      # into DATABASE_URL (or a SQLite file)

At ``--scale 1``: 5,000 units, 10,000 verified residents, 2,000 topics across the lifecycle,
200,000 comments with reactions (one topic carries 1,000 of them), 50 closed owners' votes with
80,000 ballots in all (electorates frozen and results tallied by the real vote rules), their
outcomes, 300 hall meetings with published minutes, 500 studio sessions with reservations, and
one open vote and one topic open for comment for the logged-in load. ``--scale N`` multiplies
the community: N times the units, residents, topics, comments, meetings (on N times the halls)
and studio sessions (in N times the studios), so a page shows as much at any scale and only the
tables under it grow (the topic under load keeps its 1,000 comments). There are 50 closed votes
at every scale, each with N times the electorate and up to 1,600 ballots. A scale below 1 gives
a small world for quick runs.

Everything comes from a fixed random seed. Bulk inserts are used because the seeding is not
what is measured; the rows are the shape the app's own rules write.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, time as clock_time, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import bindparam, insert, select, text, update

from consult import clock
from consult.accounts.models import Role, RoleGrant, User
from consult.accounts.passwords import hash_password
from consult.community.models import Building, Community, Grid, Ownership, Residency, Unit
from consult.extensions import db
from consult.halls.models import (
    AgendaItem, AgendaResolution, Hall, Meeting, Minutes, MinutesRevision,
)
from consult.outcomes.models import Outcome, ProgressUpdate, Rating
from consult.privacy import rules as privacy_rules
from consult.privacy.models import PrivacyConsent
from consult.studios.models import (
    Reservation, Room, Studio, StudioRepresentative, StudioSession,
)
from consult.text import render_markdown
from consult.topics.models import Comment, Reaction, Topic
from consult.votes import service as votes
from consult.votes.models import Ballot, Elector, ElectorMember, Vote

PASSWORD = "bench-password-2026"
# At scale 1:
GRIDS, BUILDINGS_PER_GRID, UNITS_PER_BUILDING = 5, 10, 100  # 5,000 units
TOPICS = 2_000
COMMENTS = 200_000
BIG_THREAD = 1_000  # comments on the topic page under load (at every scale)
REACTIONS_PER_COMMENT = 2
CLOSED_VOTES, BALLOTS_PER_VOTE = 50, 1_600  # 80,000 ballots
HALLS, MEETINGS_PER_HALL = 3, 100  # 300 meetings
STUDIOS, SESSIONS_PER_STUDIO = 2, 250  # 500 studio sessions
LOGGED_IN_USERS = 40  # owners the load logs in: voters and commenters

WORDS = ("电梯 加装 楼道 扶手 停车 充电桩 绿化 垃圾分类 照明 监控 健身器材 老人 儿童 "
         "物业 维修 漏水 噪音 快递柜 门禁 消防通道 晾晒 宠物 议事 公示 业主 方案 费用 "
         "分摊 施工 时间 安全 意见 建议 同意 反对 补充").split()


@dataclass
class World:
    """The ids the load needs."""

    community_id: int
    big_topic_id: int
    comment_topic_id: int
    open_vote_id: int
    closed_vote_id: int
    hall_id: int
    studio_id: int
    users: list[tuple[str, str]]  # (phone, password) of owners in the open vote's electorate


def _sentence(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(n)) + "。"


def _ids(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    return db.session.execute(insert(model).returning(model.id, sort_by_parameter_order=True),
                              rows).scalars().all()


def _halls(n: int) -> list[tuple[str, str]]:
    first = [("第一议事厅", "1栋一楼"), ("第二议事厅", "社区服务中心二楼"), ("户外议事角", "中心花园")]
    return [(name if h < 3 else f"{name}{h // 3 + 1}", address)
            for h, (name, address) in ((h, first[h % 3]) for h in range(n))]


def _scaled(n: int, scale: float, least: int = 1) -> int:
    return max(least, round(n * scale))


def build(now: datetime | None = None, log=print, scale: float = 1) -> World:
    rng = random.Random(20261201)
    now = (now or clock.utcnow()).replace(microsecond=0)
    started = time.perf_counter()
    n_buildings = _scaled(GRIDS * BUILDINGS_PER_GRID, scale)
    n_grids = -(-n_buildings // BUILDINGS_PER_GRID)
    n_topics = _scaled(TOPICS, scale, least=40)
    n_comments = _scaled(COMMENTS, scale, least=2 * BIG_THREAD)
    # Each owners' vote freezes the whole electorate (units grow with the scale), so the number
    # of closed votes is the same at every scale: elector rows grow as the units do, not as
    # their square (at scale 4 that would be 4 million rows, most of the seeding time), and the
    # outcomes board shows as many outcomes at every scale.
    n_votes = CLOSED_VOTES
    n_halls = _scaled(HALLS, scale)
    n_studios = _scaled(STUDIOS, scale)

    def step(what: str) -> None:
        db.session.flush()
        log(f"  {what:<48} {time.perf_counter() - started:6.1f} s")

    # --- the community tree and its people ---------------------------------------------------
    community = Community(name="基准社区", district="基准区", street_office="基准街道",
                          cosign_threshold=10)
    db.session.add(community)
    db.session.flush()
    grid_ids = _ids(Grid, [{"community_id": community.id, "name": f"第{g + 1}网格"}
                           for g in range(n_grids)])
    building_ids = _ids(Building, [{"grid_id": grid_ids[b // BUILDINGS_PER_GRID],
                                    "name": f"{b + 1}栋"}
                                   for b in range(n_buildings)])
    building_grid = {b: grid_ids[i // BUILDINGS_PER_GRID] for i, b in enumerate(building_ids)}
    n_units = len(building_ids) * UNITS_PER_BUILDING
    unit_ids = _ids(Unit, [{
        "building_id": building_ids[i // UNITS_PER_BUILDING],
        "number": f"{i % UNITS_PER_BUILDING // 4 + 1}{i % 4 + 1:02d}",
        "area_m2": Decimal(rng.randrange(5800, 14500)) / 100} for i in range(n_units)])
    password_hash = hash_password(PASSWORD)  # one hash for all: logging in is not measured
    joined = now - timedelta(days=400)
    # Everyone has agreed to the privacy notice in force (a write of someone who has not is sent
    # to the agree page first: the logged-in load would measure that redirect).
    privacy = privacy_rules.current().id
    people = [{"name": f"业主{i + 1}", "phone": f"139{i:08d}", "password_hash": password_hash,
               "session_token": f"o{i:030d}", "is_platform_admin": False, "created_at": joined,
               "privacy_version": privacy}
              for i in range(n_units)]
    people += [{"name": f"家属{i + 1}", "phone": f"137{i:08d}", "password_hash": password_hash,
                "session_token": f"f{i:030d}", "is_platform_admin": False, "created_at": joined,
                "privacy_version": privacy}
               for i in range(n_units)]
    user_ids = _ids(User, people)
    db.session.execute(insert(PrivacyConsent), [
        {"user_id": u, "version": privacy, "agreed_at": joined, "channel": "register"}
        for u in user_ids])
    owner_ids, family_ids = user_ids[:n_units], user_ids[n_units:]
    db.session.execute(insert(Ownership), [{"unit_id": u, "owner_id": o}
                                           for u, o in zip(unit_ids, owner_ids)])
    db.session.execute(insert(Residency), [
        {"user_id": who, "unit_id": u, "relation": relation, "status": "verified",
         "requested_at": joined, "decided_at": joined}
        for ids, relation in ((owner_ids, "owner"), (family_ids, "family"))
        for u, who in zip(unit_ids, ids)])
    office = _ids(User, [{"name": name, "phone": phone, "password_hash": password_hash,
                          "session_token": f"x{phone}", "is_platform_admin": False,
                          "created_at": joined, "privacy_version": privacy}
                         for name, phone in [("基准书记", "13600000001"),
                                             ("基准主任", "13600000002")]
                         + [(f"基准代表{i}", f"1360000001{i}") for i in range(5)]])
    secretary_id, admin_id, rep_ids = office[0], office[1], office[2:]
    db.session.execute(insert(RoleGrant), [
        {"user_id": uid, "community_id": community.id, "role": role.value, "granted_at": joined}
        for uid, role in [(secretary_id, Role.SECRETARY), (admin_id, Role.ADMIN)]
        + [(r, Role.REPRESENTATIVE) for r in rep_ids]])
    step(f"{n_units:,} units, {len(user_ids):,} residents")

    # --- topics across the lifecycle ----------------------------------------------------------
    shares = {"closed": 700, "implementing": 300, "publicised": 150, "commenting": 400,
              "deliberating": 200, "proposed": 150, "rejected": 50, "voting": 50}  # of 2,000
    stages = [stage for stage, n in shares.items() for _ in range(_scaled(n, n_topics / TOPICS))]
    rng.shuffle(stages)
    stages = stages[:n_topics - 2] + ["commenting", "commenting"]  # the big thread, the writable
    if "voting" not in stages:  # a small world still has a topic for the open vote
        stages[0] = "voting"
    description = "\n\n".join(_sentence(rng, 12) for _ in range(4))
    description_html = render_markdown(description)
    topic_rows = []
    for i, stage in enumerate(stages):
        submitted = now - timedelta(days=rng.randint(1, 360), minutes=i)
        level = rng.random()
        building = rng.choice(building_ids) if level < 0.2 else None
        grid = building_grid[building] if building else (
            rng.choice(grid_ids) if level < 0.4 else None)
        topic_rows.append({
            "community_id": community.id, "grid_id": grid, "building_id": building,
            "proposer_id": rng.choice(owner_ids), "title": f"{_sentence(rng, 4)[:-1]}（{i + 1}）",
            "description": description, "description_html": description_html,
            "category": rng.choice(["environment", "property", "safety", "elderly_children",
                                    "parking", "culture", "other"]),
            "stage": stage, "created_at": submitted, "updated_at": submitted,
            "submitted_at": submitted, "stage_changed_at": submitted + timedelta(days=3),
            "comment_until": submitted + timedelta(days=400 if stage == "commenting" else 14),
            "cosign_count": 10})
    # The two topics under load are community-wide, so every logged-in owner may comment.
    for row in topic_rows[-2:]:
        row.update(grid_id=None, building_id=None, submitted_at=now - timedelta(days=2),
                   comment_until=now + timedelta(days=30))
    topic_ids = _ids(Topic, topic_rows)
    big_topic, comment_topic = topic_ids[-2], topic_ids[-1]
    step(f"{len(topic_ids):,} topics")

    # --- comments and reactions ---------------------------------------------------------------
    with_comments = [t for t, s in zip(topic_ids, stages) if s != "proposed" and t != comment_topic]
    per_topic = {t: 0 for t in with_comments}
    per_topic[big_topic] = BIG_THREAD
    rest = [t for t in with_comments if t != big_topic]
    for _ in range(n_comments - BIG_THREAD):
        per_topic[rng.choice(rest)] += 1
    comments = Comment.__table__
    bodies = [_sentence(rng, rng.randint(6, 30)) for _ in range(500)]
    reactions_done = 0
    for chunk_start in range(0, len(with_comments), 200):
        rows, parents = [], []
        for t in with_comments[chunk_start:chunk_start + 200]:
            base = now - timedelta(days=30)
            for k in range(per_topic[t]):
                rows.append({"topic_id": t, "author_id": rng.choice(user_ids),
                             "body": rng.choice(bodies),
                             "created_at": base + timedelta(minutes=k * 7),
                             "agree_count": 0, "disagree_count": 0, "pass_count": 0,
                             "open_report_count": 0})
                # Two in five are replies to an earlier top-level comment of the topic.
                parents.append(k > 3 and rng.random() < 0.4)
        ids = _ids(Comment, rows)
        top_of: dict[int, list[int]] = {}
        replies, reaction_rows, counts = [], [], {}
        for cid, row, is_reply in zip(ids, rows, parents):
            tops = top_of.setdefault(row["topic_id"], [])
            if is_reply and tops:
                replies.append({"cid": cid, "parent": rng.choice(tops)})
            else:
                tops.append(cid)
            n = REACTIONS_PER_COMMENT * (5 if row["topic_id"] == big_topic else 1)
            for who in rng.sample(user_ids, n):
                value = rng.choices(["agree", "disagree", "pass"], weights=[6, 3, 1])[0]
                reaction_rows.append({"comment_id": cid, "topic_id": row["topic_id"],
                                      "user_id": who, "value": value, "at": row["created_at"]})
                counts.setdefault(cid, {"agree": 0, "disagree": 0, "pass": 0})[value] += 1
        if replies:
            db.session.execute(update(comments).where(comments.c.id == bindparam("cid"))
                               .values(parent_id=bindparam("parent")), replies)
        db.session.execute(insert(Reaction), reaction_rows)
        db.session.execute(
            update(comments).where(comments.c.id == bindparam("cid")).values(
                agree_count=bindparam("a"), disagree_count=bindparam("d"),
                pass_count=bindparam("p")),
            [{"cid": c, "a": v["agree"], "d": v["disagree"], "p": v["pass"]}
             for c, v in counts.items()])
        reactions_done += len(reaction_rows)
    topics = Topic.__table__
    db.session.execute(update(topics).where(topics.c.id == bindparam("tid"))
                       .values(comment_count=bindparam("n")),
                       [{"tid": t, "n": n} for t, n in per_topic.items() if n])
    step(f"{n_comments:,} comments, {reactions_done:,} reactions")

    # --- halls, meetings and published minutes ------------------------------------------------
    hall_ids = _ids(Hall, [{"community_id": community.id, "name": name, "address": address,
                            "capacity": 40, "accessibility": "无障碍坡道"}
                           for name, address in _halls(n_halls)])
    meetings = n_halls * MEETINGS_PER_HALL
    deliberated = [t for t, s in zip(topic_ids, stages)
                   if s in ("deliberating", "voting", "publicised", "implementing", "closed")]
    meeting_rows, agendas = [], []
    for m in range(meetings):
        day = (now - timedelta(days=330) + timedelta(days=m * 350 // meetings)).date()
        starts = datetime.combine(day, clock_time(6, 30))  # 14:30 in Beijing
        meeting_rows.append({"hall_id": hall_ids[m % len(hall_ids)],
                             "community_id": community.id, "title": f"居民议事会第{m + 1}次",
                             "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                             "created_at": starts - timedelta(days=10),
                             "updated_at": starts - timedelta(days=10),
                             "created_by_id": secretary_id, "sequence": 0})
        agendas.append(rng.sample(deliberated, 3))
    meeting_ids = _ids(Meeting, meeting_rows)
    db.session.execute(insert(AgendaItem), [
        {"meeting_id": mid, "topic_id": t, "position": p}
        for mid, topics in zip(meeting_ids, agendas) for p, t in enumerate(topics)])
    past = [(mid, row, topics) for mid, row, topics in zip(meeting_ids, meeting_rows, agendas)
            if row["ends_at"] < now]
    minutes_ids = _ids(Minutes, [{"meeting_id": mid, "created_at": row["ends_at"],
                                  "first_published_at": row["ends_at"] + timedelta(days=1)}
                                 for mid, row, _ in past])
    minutes_body = "\n\n".join(_sentence(rng, 20) for _ in range(6))
    minutes_html = render_markdown(minutes_body)
    revision_ids = _ids(MinutesRevision, [{
        "minutes_id": mid, "number": 1, "status": "published", "present_count": 25,
        "officials_present": "基准书记、基准代表0", "residents_count": 20,
        "body": minutes_body, "body_html": minutes_html, "note": "",
        "created_at": row["ends_at"], "updated_at": row["ends_at"], "author_id": secretary_id,
        "published_at": row["ends_at"] + timedelta(days=1), "published_by_id": secretary_id}
        for mid, (_, row, _) in zip(minutes_ids, past)])
    db.session.execute(insert(AgendaResolution), [
        {"revision_id": rid, "topic_id": t, "position": p, "summary": _sentence(rng, 10),
         "kind": "vote", "question": "是否同意该方案？", "options": ["agree", "oppose", "abstain"],
         "reason": ""}
        for rid, (_, _, topics) in zip(revision_ids, past) for p, t in enumerate(topics)])
    step(f"{len(meeting_ids)} meetings, {len(minutes_ids)} published minutes")

    # --- closed votes with ballots, tallied; then their outcomes ------------------------------
    voted = [t for t, s in zip(topic_ids, stages)
             if s in ("publicised", "implementing", "closed")][:n_votes]
    vote_ids = []
    for i, t in enumerate(voted):
        opened = now - timedelta(days=60 - i)
        vote = Vote(topic_id=t, community_id=community.id, question="是否同意该方案？",
                    options=["agree", "oppose", "abstain"], electorate="owners",
                    rule="civil_code_ordinary", opens_at=opened,
                    closes_at=opened + timedelta(days=7), created_by_id=secretary_id,
                    created_at=opened)
        db.session.add(vote)
        db.session.flush()
        votes.freeze_electorate(vote)
        electors = db.session.scalars(select(Elector.id).where(Elector.vote_id == vote.id)
                                      .order_by(Elector.id)).all()
        cast = rng.sample(electors, min(BALLOTS_PER_VOTE, len(electors) * 3 // 4))
        db.session.execute(insert(Ballot), [
            {"vote_id": vote.id, "elector_id": e, "counted": True,
             "option": rng.choices(["agree", "oppose", "abstain"], weights=[6, 3, 1])[0],
             "cast_at": opened + timedelta(minutes=k), "tracker": f"V{vote.id:03d}{k:05d}"}
            for k, e in enumerate(cast)])
        with clock.frozen(vote.closes_at + timedelta(minutes=1)):
            votes.close(vote)
        vote_ids.append(vote.id)
    step(f"{len(vote_ids)} closed votes, {len(vote_ids) * len(cast):,} ballots")
    stage_of = dict(zip(topic_ids, stages))
    outcome_rows = []
    for t, vid in zip(voted, vote_ids):
        published = now - timedelta(days=40)
        status = {"publicised": "publicised", "implementing": "implementing",
                  "closed": "done"}[stage_of[t]]
        outcome_rows.append({
            "topic_id": t, "community_id": community.id, "vote_id": vid,
            "decision": _sentence(rng, 15), "act": True, "status": status,
            "published_at": published, "window_ends_at": published + timedelta(days=7),
            "published_by_id": secretary_id,
            "settled_at": None if status == "publicised" else published + timedelta(days=7),
            "responsible": "物业服务中心", "target_date": (now + timedelta(days=30)).date(),
            "done_at": published + timedelta(days=30) if status == "done" else None,
            "ratings_until": now + timedelta(days=20) if status == "done" else None})
    outcome_ids = _ids(Outcome, outcome_rows)
    db.session.execute(insert(ProgressUpdate), [
        {"outcome_id": o, "author_id": secretary_id, "body": _sentence(rng, 8),
         "percent": p, "at": now - timedelta(days=35 - p // 10)}
        for o in outcome_ids for p in (30, 60, 100)])
    db.session.execute(insert(Rating), [
        {"outcome_id": o, "user_id": who, "stars": rng.randint(2, 5), "comment": "",
         "created_at": now - timedelta(days=5), "updated_at": now - timedelta(days=5)}
        for o, row in zip(outcome_ids, outcome_rows) if row["status"] == "done"
        for who in rng.sample(owner_ids, 40)])
    step(f"{len(outcome_ids)} outcomes")

    # --- studios, 250 sessions each -----------------------------------------------------------
    studio_ids = _ids(Studio, [{"community_id": community.id, "kind": "community",
                                "name": name if k < 2 else f"{name}{k // 2 + 1}",
                                "address": "社区服务中心一楼"}
                               for k, name in enumerate(("基准社区代表联络站",
                                                         "第三网格代表工作室") * n_studios)
                               if k < n_studios])
    n_sessions = n_studios * SESSIONS_PER_STUDIO
    room_ids = _ids(Room, [{"studio_id": s, "name": f"接待室{r}"}
                           for s in studio_ids for r in "一二"])
    db.session.execute(insert(StudioRepresentative), [
        {"studio_id": s, "user_id": r} for s in studio_ids for r in rep_ids])
    session_rows = []
    for k in range(n_sessions):
        day = (now - timedelta(days=300) + timedelta(days=k * 330 // n_sessions)).date()
        starts = datetime.combine(day, clock_time(1 if k % 2 else 6, 0))
        studio = k % n_studios
        session_rows.append({"studio_id": studio_ids[studio],
                             "room_id": room_ids[studio * 2 + k // n_studios % 2],
                             "representative_id": rep_ids[k % len(rep_ids)],
                             "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                             "focus": "听取居民意见", "slot_minutes": 20,
                             "created_at": starts - timedelta(days=14)})
    session_ids = _ids(StudioSession, session_rows)
    # Three residents per session, never the same one twice (one reservation per resident and
    # session: rng.choice drew a resident twice once the world was large enough).
    db.session.execute(insert(Reservation), [
        {"session_id": sid, "resident_id": resident,
         "slot_start": row["starts_at"] + timedelta(minutes=20 * s),
         "slot_end": row["starts_at"] + timedelta(minutes=20 * (s + 1)),
         "category": "property", "matter": _sentence(rng, 10),
         "created_at": row["created_at"]}
        for sid, row in zip(session_ids, session_rows)
        for s, resident in zip(range(0, 6, 2), rng.sample(owner_ids, 3))])
    step(f"{len(session_ids)} studio sessions")

    # --- what the logged-in load writes to -----------------------------------------------------
    voting_topic = next(t for t, s in zip(topic_ids, stages) if s == "voting")
    db.session.execute(update(Topic).where(Topic.id == voting_topic)
                       .values(grid_id=None, building_id=None))
    open_vote = Vote(topic_id=voting_topic, community_id=community.id,
                     question="是否同意更换小区门禁系统？",
                     options=["agree", "oppose", "abstain"], electorate="owners",
                     rule="civil_code_ordinary", opens_at=now - timedelta(hours=1),
                     closes_at=now + timedelta(days=30), created_by_id=secretary_id)
    db.session.add(open_vote)
    db.session.flush()
    votes.freeze_electorate(open_vote)
    voters = db.session.execute(select(User.phone).join(
        ElectorMember, ElectorMember.user_id == User.id).where(
        ElectorMember.vote_id == open_vote.id).order_by(User.id).limit(LOGGED_IN_USERS)).scalars().all()
    db.session.commit()
    step("open vote and writable topic")
    return World(community_id=community.id, big_topic_id=big_topic,
                 comment_topic_id=comment_topic, open_vote_id=open_vote.id,
                 closed_vote_id=vote_ids[0], hall_id=hall_ids[0], studio_id=studio_ids[0],
                 users=[(phone, PASSWORD) for phone in voters])


def _create_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` if it is missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from consult.config import normalise_database_url

    target = make_url(normalise_database_url(url))
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": target.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def seed(url: str, scale: float = 1, log=print) -> World:
    """An empty schema at ``url`` (PostgreSQL: the public schema dropped first; SQLite: give a
    new file), migrated and filled with the world at ``scale``, analysed for the planner."""
    from flask_migrate import upgrade

    from consult import create_app

    if url.startswith("postgres"):
        _create_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        if url.startswith("postgres"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        built = build(log=log, scale=scale)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.session.remove()
        db.engine.dispose()
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description="Seed the benchmark world.")
    parser.add_argument("--scale", type=float, default=1,
                        help="1: 5,000 units (the page benchmark's world); 4: four times that")
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"),
                        help="a database URL (default DATABASE_URL, else a new SQLite file "
                             "instance/bench/world-<scale>.sqlite3); PostgreSQL: it is emptied")
    parser.add_argument("--json", help="write the ids the load needs to this file (default, "
                        "for a new SQLite file: instance/bench/world-<scale>.json, which "
                        "bench/pages.py and bench/scale.py read)")
    args = parser.parse_args()
    url = args.database
    if not url:
        path = ROOT / "instance" / "bench" / f"world-{args.scale:g}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
        args.json = args.json or str(path.with_suffix(".json"))
    print(f"Seeding the benchmark world at scale {args.scale:g} into {url}")
    built = seed(url, args.scale)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(built), ensure_ascii=False))


if __name__ == "__main__":
    main()
