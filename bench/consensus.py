"""Benchmark: the "broad support" ranking of a busy topic (not a test).

    .venv/bin/python bench/consensus.py                 # the ranking alone, then the page
    .venv/bin/python bench/consensus.py --only rank     # the ranking alone (no database)
    .venv/bin/python bench/consensus.py --only page --comments 1000,5000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_consensus .venv/bin/python \
        bench/consensus.py --only page              # that database is emptied and migrated

**The ranking alone** (``consult.topics.consensus.rank``): 1,000 comments and 500 residents who
each mark 100 of them, in two opinion camps; wall seconds of five runs.

**The topic page with the "broad support" sort**, through the app in this process (Flask's test
client), a resident logged in, the page rendered afresh (page cache off). For each thread length
(``--comments``, every fifth comment a reply) a topic is seeded with one resident per two
comments, each marking ``--marks`` comments in two camps as above (1,000 comments: 500 residents,
50,000 marks; 5,000 comments: 2,500 residents, 250,000 marks); by core inserts, in a SQLite file
of a temporary folder unless ``DATABASE_URL`` names another database. Three runs each of:

- ``/healthz``, the trivial endpoint of the same app (``--requests`` requests a run);
- the topic page sorted newest first (the same page without the ranking);
- the page with the broad-support sort, **warm**: the ranking is kept from an earlier request
  (``--requests`` requests a run);
- the same page **cold**: the kept rankings are dropped, and the stored one deleted, before each
  request (one a run), so the request reads every mark and finds the opinion groups again (the
  first read of the topic in a worker when no ranking is stored; after a new mark too when
  ``RANKING_REFRESH_IN_BACKGROUND=0``);
- the same page in a **new worker, ranking stored**: the kept rankings are dropped before each
  request, but the job ``topics.rank`` stored the ranking (as it does after a mark on a topic of
  ``RANKING_STORED_FROM`` comments or more): the worker reads it in one query;
- the same page **after a new mark**: the topic's ranking token is moved (as a mark moves it,
  committed) before each request (three a run); the page is answered with the ranking kept
  before the mark and a thread ranks the topic afresh. Measured as the CPU of the request's
  own thread (``time.thread_time``), the background ranking waited for after each request;
- the page's later pages (``page=2`` fragment, "show more") warm;

each as CPU milliseconds per request of this process (``time.process_time``: the app's Python,
the SQLite engine in this process; a PostgreSQL server's own work is not counted), min /
median / max of the three runs, and as a ratio to ``/healthz``'s median. Then the memory one
kept ranking holds: ``tracemalloc``'s count of the bytes still allocated after a cold request
less those after the rankings are dropped again (everything the cache keeps alive for that
topic), and the SQL statements of a warm request.
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from consult.topics import consensus  # noqa: E402

NOW = datetime(2026, 11, 1, 2, 0)
RUNS = 3


def camp_marks(rng: random.Random, n_comments: int, n_residents: int, per_resident: int):
    """(comment index, resident index, value): two camps that each agree with their half of
    the comments and disagree with the other's; the first 5% of comments is common ground."""
    common = max(1, n_comments // 20)
    half = common + (n_comments - common) // 2
    for resident in range(n_residents):
        camp = resident % 2
        for comment in rng.sample(range(n_comments), min(per_resident, n_comments)):
            if comment < common:
                value = "agree" if rng.random() < 0.8 else "disagree"
            elif (comment < half) == (camp == 0):
                value = "agree" if rng.random() < 0.85 else "pass"
            else:
                value = "disagree" if rng.random() < 0.85 else "pass"
            yield comment, resident, value


def bench_rank() -> None:
    votes = list(camp_marks(random.Random(7), 1000, 500, 100))
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        result = consensus.rank(votes, [(c, c) for c in range(1000)])
        timings.append(time.perf_counter() - started)
    print(f"rank(): {len(votes):,} marks, {result.groups} opinion groups: best "
          f"{min(timings):.3f} s, worst {max(timings):.3f} s")


# --- the page ---------------------------------------------------------------------------------

def forget_rankings() -> None:
    """Drop every kept ranking (the function's name differs before issue 19)."""
    from consult.topics import comments

    forget = getattr(comments, "forget_rankings", None)
    if forget is not None:
        forget()
    else:
        comments._ranked.cache_clear()


def wait_for_refreshes() -> None:
    from consult.topics import comments

    comments.wait_for_refreshes()


def seed(n_comments: int, marks_per_resident: int) -> tuple[int, int]:
    """A topic open for comment with ``n_comments`` comments and their marks: (topic id, the
    id of a resident who marked some of them)."""
    from sqlalchemy import bindparam, insert, update

    from consult.accounts.models import User
    from consult.community.models import Residency
    from consult.extensions import db
    from consult.topics.models import Comment, Reaction, Topic
    from tests import factories

    started = time.perf_counter()
    community = factories.community(f"基准社区{n_comments}")
    unit = factories.units_of(community)[0]
    topic = factories.topic(community, title=f"加装电梯（{n_comments}条意见）")
    n_residents = max(4, n_comments // 2)
    tag = f"c{n_comments}"
    residents = db.session.execute(
        insert(User).returning(User.id, sort_by_parameter_order=True),
        [{"name": f"居民{i}", "phone": f"1{n_comments:04d}{i:06d}", "session_token": f"{tag}-{i}",
          "is_platform_admin": False, "created_at": NOW} for i in range(n_residents)]
    ).scalars().all()
    db.session.execute(insert(Residency), [
        {"user_id": u, "unit_id": unit.id, "relation": "owner", "status": "verified"}
        for u in residents])
    # One multi-row insert for the comments (ids in order), then the replies' parents.
    rows = [{"topic_id": topic.id, "author_id": residents[i % n_residents],
             "body": f"第{i}条意见：电梯的费用按楼层分摊，低层住户少出一些。" * 3,
             "created_at": NOW - timedelta(days=3) + timedelta(seconds=30 * i)}
            for i in range(n_comments)]
    ids = db.session.execute(insert(Comment).returning(Comment.id, sort_by_parameter_order=True),
                             rows).scalars().all()
    rng = random.Random(n_comments)
    tops: list[int] = []
    parents = []
    for i, cid in enumerate(ids):
        if i % 5 == 4 and tops:
            parents.append({"b_id": cid, "b_parent": rng.choice(tops)})
        else:
            tops.append(cid)
    db.session.execute(update(Comment.__table__).where(Comment.__table__.c.id == bindparam("b_id"))
                       .values(parent_id=bindparam("b_parent")), parents)
    marks = [{"comment_id": ids[c], "topic_id": topic.id, "user_id": residents[r], "value": v,
              "at": NOW} for c, r, v in camp_marks(random.Random(7), n_comments, n_residents,
                                                   marks_per_resident)
             if c % n_residents != r]  # nobody marks their own comment
    for start in range(0, len(marks), 10_000):
        db.session.execute(insert(Reaction), marks[start:start + 10_000])
    counters: dict[int, dict[str, int]] = {}
    for m in marks:
        c = counters.setdefault(m["comment_id"], {"agree": 0, "disagree": 0, "pass": 0})
        c[m["value"]] += 1
    table = Comment.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
        agree_count=bindparam("b_agree"), disagree_count=bindparam("b_disagree"),
        pass_count=bindparam("b_pass")), [
        {"b_id": cid, "b_agree": c["agree"], "b_disagree": c["disagree"], "b_pass": c["pass"]}
        for cid, c in counters.items()])
    db.session.execute(update(Topic).where(Topic.id == topic.id)
                       .values(comment_count=n_comments))  # as posting keeps it
    db.session.commit()
    print(f"  seeded {n_comments:,} comments ({len(tops):,} threads), {n_residents:,} residents, "
          f"{len(marks):,} marks in {time.perf_counter() - started:.1f} s")
    return topic.id, residents[1]


ARTICLES: dict[str, int] = {}  # path -> comments shown (articles) in its last answer


def cpu_ms(client, path: str, n: int, before=None, cpu_clock=time.process_time,
           after=None) -> float:
    """CPU milliseconds per request of ``n`` GETs of ``path`` (``before`` and ``after`` run,
    untimed, around each). ``cpu_clock``: the process's CPU time, or the request thread's
    alone (``time.thread_time``) when a thread of the app goes on working after the answer."""
    total = 0.0
    for _ in range(n):
        if before is not None:
            before()
        gc.collect()
        started = cpu_clock()
        response = client.get(path)
        total += cpu_clock() - started
        if after is not None:
            after()
        assert response.status_code == 200, (path, response.status_code)
    ARTICLES[path] = response.get_data().count(b'<article id="comment-')
    return 1000 * total / n


def three(values: list[float]) -> str:
    return (f"{min(values):7.1f} {statistics.median(values):7.1f} {max(values):7.1f}")


def _move_token(app, topic_id: int) -> None:
    """What a resident's new mark does to the topic's ranking token, committed."""
    from sqlalchemy import update

    from consult.extensions import db
    from consult.topics.models import Topic

    with app.app_context():
        db.session.execute(update(Topic).where(Topic.id == topic_id)
                           .values(ranking_token=Topic.ranking_token + 1))
        db.session.commit()


def _drop_stored(app, topic_id: int) -> None:
    """A worker that keeps no ranking, and none stored: the topic is ranked afresh."""
    from sqlalchemy import delete

    from consult.extensions import db
    from consult.topics.models import StoredRanking

    forget_rankings()
    with app.app_context():
        db.session.execute(delete(StoredRanking).where(StoredRanking.topic_id == topic_id))
        db.session.commit()


def _store(app, topic_id: int) -> None:
    """What the job ``topics.rank`` does after a mark: the ranking stored for every worker."""
    from consult.jobs import run_now

    with app.app_context():
        assert run_now("topics.rank", {"topic_id": topic_id}, app=app)


def bench_page(counts: list[int], marks: int, requests: int, url: str | None) -> None:
    from sqlalchemy import event, text

    from consult import clock, create_app
    from consult.accounts.models import User
    from consult.extensions import db

    folder = tempfile.mkdtemp(prefix="bench-consensus-")
    url = url or f"sqlite:///{folder}/bench.db"
    os.environ.setdefault("CONSULT_INSTANCE_PATH", os.path.join(folder, "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
                      "PAGE_CACHE_SECONDS": 0, "WTF_CSRF_ENABLED": False})
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"page: {url.split(':')[0]}, "
          f"{RUNS} runs, CPU ms per request (min median max); load: {load}")
    with clock.frozen(NOW):
        with app.app_context():
            from flask_migrate import upgrade

            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade()
            statements = [0]

            @event.listens_for(db.engine, "before_cursor_execute")
            def _count(*_args):
                statements[0] += 1

        for n in counts:
            # Requests outside any application context, as served: each its own context and
            # database session.
            with app.app_context():
                topic_id, user_id = seed(n, marks)
                user_key = db.session.get(User, user_id).get_id()
            client = app.test_client()
            with client.session_transaction() as sess:
                sess["_user_id"] = user_key
                sess["_fresh"] = True
            measure_page(client, n, topic_id, requests, statements)


def measure_page(client, n: int, topic_id: int, requests: int, statements: list[int]) -> None:
    page = f"/topics/{topic_id}?sort=consensus"
    more = f"/topics/{topic_id}?sort=consensus&page=2&fragment=comments"
    client.get(page)  # warm the app up (templates compiled, ranking kept)
    paths = {"/healthz": "/healthz",
             "topic, newest first": f"/topics/{topic_id}?sort=newest",
             "topic, oldest first": f"/topics/{topic_id}?sort=oldest",
             "broad support, warm": page, "broad support, cold": page,
             "broad support, new worker, stored": page,
             "broad support, after a new mark": page,
             "broad support page 2 (fragment), warm": more}
    rows: dict[str, list[float]] = {name: [] for name in paths}
    for _run in range(RUNS):
        rows["/healthz"].append(cpu_ms(client, "/healthz", requests * 5))
        for name in ("topic, newest first", "topic, oldest first"):
            rows[name].append(cpu_ms(client, paths[name], requests))
        client.get(page)
        rows["broad support, warm"].append(cpu_ms(client, page, requests))
        rows["broad support, cold"].append(cpu_ms(
            client, page, 1, lambda: _drop_stored(client.application, topic_id)))
        _store(client.application, topic_id)
        rows["broad support, new worker, stored"].append(cpu_ms(
            client, page, requests, forget_rankings))
        client.get(page)
        rows["broad support, after a new mark"].append(cpu_ms(
            client, page, 3, lambda: _move_token(client.application, topic_id),
            time.thread_time, wait_for_refreshes))
        client.get(page)
        rows["broad support page 2 (fragment), warm"].append(cpu_ms(client, more, requests))
    health = statistics.median(rows["/healthz"])
    print(f"  {n:,} comments{'':27} min     med     max  ×/healthz  comments shown")
    for name, values in rows.items():
        print(f"    {name:38} {three(values)}  {statistics.median(values) / health:7.0f}  "
              f"{ARTICLES[paths[name]]:8}")
    statements[0] = 0
    client.get(page)
    warm_statements = statements[0]
    # The memory a kept ranking holds: allocated after a cold request, less after dropping it.
    forget_rankings()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    client.get(page)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0]
    forget_rankings()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"    memory of one kept ranking: {(kept - after) / 1024:,.0f} KiB "
          f"(tracemalloc; {(kept - before) / 1024:,.0f} KiB kept by the request); "
          f"{warm_statements} SQL statements in a warm request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("rank", "page"))
    parser.add_argument("--comments", default="1000,5000",
                        help="thread lengths, comma-separated")
    parser.add_argument("--marks", type=int, default=100, help="marks per resident")
    parser.add_argument("--requests", type=int, default=20, help="warm requests per run")
    args = parser.parse_args()
    if args.only != "page":
        bench_rank()
    if args.only != "rank":
        bench_page([int(n) for n in args.comments.split(",")], args.marks, args.requests,
                   os.environ.get("DATABASE_URL"))


if __name__ == "__main__":
    main()
