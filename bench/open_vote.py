"""Benchmark: opening a vote for 100,000 owners, on PostgreSQL (not a test).

    .venv/bin/python bench/open_vote.py postgresql://postgres@127.0.0.1:5432/bench_open_vote

The database named in the URL is created if missing, emptied and migrated, then filled with
core bulk inserts (a community of ``--owners`` units, each with its own owner; the seeding is not
what is measured). Three rounds, each on a topic of its own, time:

- opening the vote: the service call and its commit, what the secretary's POST waits for. The
  electorate is only counted there; the freeze is queued (target: well under 1 s);
- the ``votes.freeze`` job the opening queued: the electorate frozen in a few set-based
  statements (consult/votes/freeze.py; bench/tally.py times that alone) and the owners told
  that the vote is announced (100,000 notices);
- queueing the notifications of 5,000 electors: the ``notify()`` insert with a dedup key, as the
  job does it, and its commit (target: under 1 s).

Each line gives the wall and CPU (this process only: the database server's work is in the
wall time) seconds, min / median / max of the three rounds. The meeting minutes that resolve to
put the topic to a vote are taken as given (the halls are not what is measured).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from consult import clock, create_app  # noqa: E402
from consult.config import normalise_database_url  # noqa: E402
from consult.extensions import db  # noqa: E402

ROUNDS = 3
NOW = datetime(2026, 11, 1, 2, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a PostgreSQL URL (its database is emptied)")
    parser.add_argument("--owners", type=int, default=100_000)
    parser.add_argument("--notified", type=int, default=5_000)
    args = parser.parse_args()
    url = normalise_database_url(args.url)
    if not url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")
    create_database(url)
    # Jobs would run when their transaction commits; the benchmark runs the job itself.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "JOBS_INLINE": "now", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        from flask_migrate import upgrade

        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        with clock.frozen(NOW):
            world = seed(args.owners)
            measure(app, world, args)


def create_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = create_engine(urlunsplit(parts._replace(path="/postgres")),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def seed(n_owners: int) -> dict:
    """A community of ``n_owners`` units in buildings of 100 and grids of 100 buildings, each
    unit with an owner of its own; a secretary and one topic per round, ready for a vote."""
    from consult.accounts.models import Role, User
    from consult.community.models import Building, Community, Grid, Ownership, Unit
    from tests import factories

    started = time.perf_counter()
    community = Community(name="基准社区")
    db.session.add(community)
    db.session.flush()
    per_building, per_grid = 100, 100
    n_buildings = -(-n_owners // per_building)
    grid_ids = db.session.execute(insert(Grid).returning(Grid.id, sort_by_parameter_order=True), [
        {"community_id": community.id, "name": f"{g + 1}网格"}
        for g in range(-(-n_buildings // per_grid))]).scalars().all()
    building_ids = db.session.execute(
        insert(Building).returning(Building.id, sort_by_parameter_order=True),
        [{"grid_id": grid_ids[b // per_grid], "name": f"{b + 1}栋"} for b in range(n_buildings)]
    ).scalars().all()
    unit_ids = db.session.execute(insert(Unit).returning(Unit.id, sort_by_parameter_order=True), [
        {"building_id": building_ids[i // per_building], "number": f"{i % per_building + 1:03d}",
         "area_m2": Decimal(8000 + i % 7000) / 100} for i in range(n_owners)]).scalars().all()
    user_ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"name": f"业主{i}", "phone": f"1{i:010d}", "session_token": f"t{i}",
         "is_platform_admin": False, "created_at": NOW} for i in range(n_owners)]
    ).scalars().all()
    db.session.execute(insert(Ownership), [{"unit_id": u, "owner_id": o}
                                           for u, o in zip(unit_ids, user_ids)])
    secretary = factories.office_holder(community, Role.SECRETARY, "秘书")
    topics = [factories.topic(community, secretary, title=f"基准议题{n + 1}",
                              stage="deliberating").id for n in range(ROUNDS)]
    db.session.commit()
    print(f"seeded {n_owners:,} units and owners in {time.perf_counter() - started:.1f} s")
    return {"community": community.id, "secretary": secretary.id, "topics": topics,
            "users": user_ids}


def measure(app, world: dict, args) -> None:
    from consult.accounts.models import User
    from consult.jobs import run_now
    from consult.jobs.service import _PENDING
    from consult.notifications.service import notify
    from consult.topics.models import Topic
    from consult.votes import service
    from consult.votes.models import Vote

    service.vote_resolution_of = lambda topic: object()  # the minutes resolved a vote
    opening, freezing, notifying = [], [], []
    sizes = []
    for n, topic_id in enumerate(world["topics"]):
        secretary = db.session.get(User, world["secretary"])
        topic = db.session.get(Topic, topic_id)
        spec = service.VoteSpec(
            question="是否同意使用公共收益更换电梯？", electorate="owners",
            rule="simple_majority", scope_key=f"community:{world['community']}",
            opens_at=NOW + timedelta(days=1), closes_at=NOW + timedelta(days=8))
        with timed(opening):
            vote = service.open_vote(secretary, topic, spec)
            # Run the queued freeze below, on its own, rather than when this commits.
            queued = db.session.info.pop(_PENDING, [])
            db.session.commit()
        assert queued == [("votes.freeze", {"vote_id": vote.id})], queued
        with timed(freezing):
            assert run_now("votes.freeze", {"vote_id": vote.id}, app=app)
        db.session.expire_all()
        vote = db.session.get(Vote, vote.id)
        assert vote.ready, "the freeze failed (see the log)"
        sizes.append(vote.electorate_size)

        electors = world["users"][n * args.notified:(n + 1) * args.notified]
        with timed(notifying):
            told = notify(electors, "vote.opened", service.notice_params(vote),
                          service.vote_url(vote), dedup_key=f"bench-{n}-opened")
            db.session.commit()
        assert told == len(electors)

    print(f"{db.engine.dialect.name}: a vote for {sizes[0]:,} owners (electorates "
          f"{', '.join(f'{s:,}' for s in sizes)})")
    report("open_vote (service call and commit; target well under 1 s)", opening)
    report(f"votes.freeze job (freeze {sizes[0]:,} electors in a few set-based statements, "
           f"tell them)", freezing)
    report(f"notify() {args.notified:,} electors, dedup key, and commit (target < 1 s)",
           notifying)


class timed:
    """Append (wall, cpu) seconds of the block to ``into``."""

    def __init__(self, into: list):
        self.into = into

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.into.append((time.perf_counter() - self.wall, time.process_time() - self.cpu))


def report(what: str, timings: list[tuple[float, float]]) -> None:
    def three(values):
        return (f"min {min(values):.3f} / median {statistics.median(values):.3f} / "
                f"max {max(values):.3f} s")

    print(f"  {what}:")
    print(f"    wall {three([w for w, _ in timings])}")
    print(f"    cpu  {three([c for _, c in timings])}")


if __name__ == "__main__":
    main()
