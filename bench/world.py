"""A large community for the page benchmark (bench/pages.py), written with core bulk inserts.

5,000 units, 10,000 verified residents, 2,000 topics across the lifecycle, 200,000 comments
with reactions (one topic carries 1,000 of them), 50 closed owners' votes with 80,000 ballots
in all (electorates frozen and results tallied by the real vote rules), their outcomes, 300
hall meetings with published minutes, 500 studio sessions with reservations, and one open vote
and one topic open for comment for the logged-in load.

Everything comes from a fixed random seed. Bulk inserts are used because the seeding is not
what is measured; the rows are the shape the app's own rules write.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, time as clock_time, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from consult import clock
from consult.accounts.models import Role, RoleGrant, User
from consult.accounts.passwords import hash_password
from consult.community.models import Building, Community, Grid, Ownership, Residency, Unit
from consult.extensions import db
from consult.halls.models import (
    AgendaItem, AgendaResolution, Hall, Meeting, Minutes, MinutesRevision,
)
from consult.outcomes.models import Outcome, ProgressUpdate, Rating
from consult.studios.models import (
    Reservation, Room, Studio, StudioRepresentative, StudioSession,
)
from consult.text import render_markdown
from consult.topics.models import Comment, Reaction, Topic
from consult.votes import service as votes
from consult.votes.models import Ballot, Elector, ElectorMember, Vote

PASSWORD = "bench-password-2026"
GRIDS, BUILDINGS_PER_GRID, UNITS_PER_BUILDING = 5, 10, 100  # 5,000 units
TOPICS = 2_000
COMMENTS = 200_000
BIG_THREAD = 1_000  # comments on the topic page under load
REACTIONS_PER_COMMENT = 2
CLOSED_VOTES, BALLOTS = 50, 80_000
MEETINGS = 300
STUDIO_SESSIONS = 500
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


def build(now: datetime | None = None, log=print) -> World:
    rng = random.Random(20261201)
    now = (now or clock.utcnow()).replace(microsecond=0)
    started = time.perf_counter()

    def step(what: str) -> None:
        db.session.flush()
        log(f"  {what:<48} {time.perf_counter() - started:6.1f} s")

    # --- the community tree and its people ---------------------------------------------------
    community = Community(name="基准社区", district="基准区", street_office="基准街道",
                          cosign_threshold=10)
    db.session.add(community)
    db.session.flush()
    grid_ids = _ids(Grid, [{"community_id": community.id, "name": f"第{g + 1}网格"}
                           for g in range(GRIDS)])
    building_ids = _ids(Building, [{"grid_id": grid_ids[b // BUILDINGS_PER_GRID],
                                    "name": f"{b + 1}栋"}
                                   for b in range(GRIDS * BUILDINGS_PER_GRID)])
    building_grid = {b: grid_ids[i // BUILDINGS_PER_GRID] for i, b in enumerate(building_ids)}
    n_units = len(building_ids) * UNITS_PER_BUILDING
    unit_ids = _ids(Unit, [{
        "building_id": building_ids[i // UNITS_PER_BUILDING],
        "number": f"{i % UNITS_PER_BUILDING // 4 + 1}{i % 4 + 1:02d}",
        "area_m2": Decimal(rng.randrange(5800, 14500)) / 100} for i in range(n_units)])
    password_hash = hash_password(PASSWORD)  # one hash for all: logging in is not measured
    joined = now - timedelta(days=400)
    people = [{"name": f"业主{i + 1}", "phone": f"139{i:08d}", "password_hash": password_hash,
               "session_token": f"o{i:030d}", "is_platform_admin": False, "created_at": joined}
              for i in range(n_units)]
    people += [{"name": f"家属{i + 1}", "phone": f"137{i:08d}", "password_hash": password_hash,
                "session_token": f"f{i:030d}", "is_platform_admin": False, "created_at": joined}
               for i in range(n_units)]
    user_ids = _ids(User, people)
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
                          "created_at": joined}
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
    stages = (["closed"] * 700 + ["implementing"] * 300 + ["publicised"] * 150
              + ["commenting"] * 400 + ["deliberating"] * 200 + ["proposed"] * 150
              + ["rejected"] * 50 + ["voting"] * 50)
    rng.shuffle(stages)
    stages = stages[:TOPICS - 2] + ["commenting", "commenting"]  # the big thread, the writable
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
    for _ in range(COMMENTS - BIG_THREAD):
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
    step(f"{COMMENTS:,} comments, {reactions_done:,} reactions")

    # --- halls, meetings and published minutes ------------------------------------------------
    hall_ids = _ids(Hall, [{"community_id": community.id, "name": name, "address": address,
                            "capacity": 40, "accessibility": "无障碍坡道"}
                           for name, address in [("第一议事厅", "1栋一楼"),
                                                 ("第二议事厅", "社区服务中心二楼"),
                                                 ("户外议事角", "中心花园")]])
    deliberated = [t for t, s in zip(topic_ids, stages)
                   if s in ("deliberating", "voting", "publicised", "implementing", "closed")]
    meeting_rows, agendas = [], []
    for m in range(MEETINGS):
        day = (now - timedelta(days=330) + timedelta(days=m * 350 // MEETINGS)).date()
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
             if s in ("publicised", "implementing", "closed")][:CLOSED_VOTES]
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
        cast = rng.sample(electors, BALLOTS // CLOSED_VOTES)
        db.session.execute(insert(Ballot), [
            {"vote_id": vote.id, "elector_id": e, "counted": True,
             "option": rng.choices(["agree", "oppose", "abstain"], weights=[6, 3, 1])[0],
             "cast_at": opened + timedelta(minutes=k), "tracker": f"V{vote.id:03d}{k:05d}"}
            for k, e in enumerate(cast)])
        with clock.frozen(vote.closes_at + timedelta(minutes=1)):
            votes.close(vote)
        vote_ids.append(vote.id)
    step(f"{len(vote_ids)} closed votes, {BALLOTS:,} ballots")
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

    # --- studios with 500 sessions ------------------------------------------------------------
    studio_ids = _ids(Studio, [{"community_id": community.id, "kind": "community",
                                "name": name, "address": "社区服务中心一楼"}
                               for name in ("基准社区代表联络站", "第三网格代表工作室")])
    room_ids = _ids(Room, [{"studio_id": s, "name": f"接待室{r}"}
                           for s in studio_ids for r in "一二"])
    db.session.execute(insert(StudioRepresentative), [
        {"studio_id": s, "user_id": r} for s in studio_ids for r in rep_ids])
    session_rows = []
    for k in range(STUDIO_SESSIONS):
        day = (now - timedelta(days=300) + timedelta(days=k * 330 // STUDIO_SESSIONS)).date()
        starts = datetime.combine(day, clock_time(1 if k % 2 else 6, 0))
        session_rows.append({"studio_id": studio_ids[k % 2], "room_id": room_ids[(k % 2) * 2 + k % 4 // 2],
                             "representative_id": rep_ids[k % len(rep_ids)],
                             "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                             "focus": "听取居民意见", "slot_minutes": 20,
                             "created_at": starts - timedelta(days=14)})
    session_ids = _ids(StudioSession, session_rows)
    db.session.execute(insert(Reservation), [
        {"session_id": sid, "resident_id": rng.choice(owner_ids),
         "slot_start": row["starts_at"] + timedelta(minutes=20 * s),
         "slot_end": row["starts_at"] + timedelta(minutes=20 * (s + 1)),
         "category": "property", "matter": _sentence(rng, 10),
         "created_at": row["created_at"]}
        for sid, row in zip(session_ids, session_rows) for s in range(0, 6, 2)])
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
