"""The cost of a page as the community grows: the world of bench/world.py at two scales.

    .venv/bin/python bench/scale.py                     # scales 1 and 4, SQLite files
    .venv/bin/python bench/scale.py --postgres postgresql://postgres@127.0.0.1:5432/bench_scale

Each scale's world is seeded once (``instance/bench/world-<scale>.sqlite3``, or the PostgreSQL
database ``<name>_<scale>``; ``--reseed`` builds them again). A page shows as much at every
scale (bench/world.py spreads the larger world over more halls, studios, topics and votes), so
its cost should not grow with the tables under it: the same SQL statements, and CPU time within
20%. The pages are requested in this process through Flask's test client, as a logged-in
resident (an owner in the open vote's electorate), with the page cache off: every request
renders. For each page and scale: the statements one request runs (counted on the engine), and
the process CPU time per request (``time.process_time()``) over ``--requests`` requests, in
``--runs`` runs (min/median/max; the scales take turns run by run), beside /healthz measured
the same way.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import world as world_module  # noqa: E402

TOLERANCE = 0.20


def pages(world: dict) -> list[tuple[str, str]]:
    return [
        ("trivial endpoint (/healthz)", "/healthz"),
        ("home", "/"),
        ("topic list", "/topics"),
        ("topic page, 1,000 comments", f"/topics/{world['big_topic_id']}"),
        ("hall page", f"/halls/{world['hall_id']}"),
        ("vote result", f"/votes/{world['closed_vote_id']}"),
        ("outcomes board", f"/communities/{world['community_id']}/outcomes"),
        ("studio week view", f"/studios/{world['studio_id']}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,4")
    parser.add_argument("--postgres", help="a PostgreSQL URL; each scale gets <database>_<scale>")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20, help="requests per page and run")
    parser.add_argument("--only", help="comma-separated page names")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    clients = {}
    for scale in scales:
        url, world = _world(scale, args)
        print(f"Scale {scale:g}: {url}", flush=True)
        clients[scale] = _client(url, world)
    measured = _measure(clients, scales, args)
    rows = _table(measured, scales, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2, ensure_ascii=False))


def _world(scale: float, args) -> tuple[str, dict]:
    folder = ROOT / "instance" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    if args.postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from consult.config import normalise_database_url

        base = make_url(normalise_database_url(args.postgres))
        name = f"{base.database}_{scale:g}".replace(".", "_")
        url = base.set(database=name).render_as_string(hide_password=False)
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        world_file = folder / f"world-{name}.json"
        seeded = True
    else:
        path = folder / f"world-{scale:g}.sqlite3"
        url = f"sqlite:///{path}"
        world_file = folder / f"world-{scale:g}.json"
        seeded = path.exists()
    if world_file.exists() and seeded and not args.reseed:
        return url, json.loads(world_file.read_text())
    if not args.postgres:
        for leftover in folder.glob(f"world-{scale:g}.sqlite3*"):
            leftover.unlink()
    print(f"Seeding the world at scale {scale:g} into {url}", flush=True)
    built = asdict(world_module.seed(url, scale))
    world_file.write_text(json.dumps(built, ensure_ascii=False))
    return url, built


def _client(url: str, world: dict):
    """A test client of an app on ``url``, logged in as a resident, and its statement count."""
    from sqlalchemy import event, select

    from consult import create_app
    from consult.accounts.models import User
    from consult.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-scale",
                      "PAGE_CACHE_SECONDS": 0, "RATELIMIT_ENABLED": False,
                      "QUERY_COUNT_HEADER": False, "TESTING": False})
    statements = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a, **k: statements.__setitem__(0, statements[0] + 1))
        resident = db.session.scalar(select(User).where(User.phone == world["users"][0][0]))
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = resident.get_id()
            session["_fresh"] = True
        db.session.remove()
    return client, statements, world


def _measure(clients: dict, scales: list[float], args) -> dict:
    """Runs interleave the scales (run 1 at every scale, then run 2...), so that the load of a
    shared machine falls on both alike."""
    only = set(args.only.split(",")) if args.only else None
    first_world = clients[scales[0]][2]
    measured = {scale: {} for scale in scales}
    for index, (name, _path) in enumerate(pages(first_world)):
        if only and name.split(" ")[0] not in only and index:
            continue
        for scale in scales:
            client, statements, world = clients[scale]
            path = pages(world)[index][1]
            for _ in range(2):  # warm: templates compiled, connections open
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
            statements[0] = 0
            client.get(path)
            measured[scale][name] = {"path": path, "queries": statements[0], "cpu_ms": []}
        for _ in range(args.runs):
            for scale in scales:
                client, _, _ = clients[scale]
                path = measured[scale][name]["path"]
                started = time.process_time()
                for _ in range(args.requests):
                    client.get(path)
                measured[scale][name]["cpu_ms"].append(
                    (time.process_time() - started) * 1000 / args.requests)
        for scale in scales:
            measured[scale][name]["cpu_ms"].sort()
        print(f"  {name:<30} " + "  ".join(
            f"{scale:g}x: {measured[scale][name]['queries']:3d} q "
            f"{statistics.median(measured[scale][name]['cpu_ms']):6.2f} ms" for scale in scales)
            + f"  (load {os.getloadavg()[0]:.2f})", flush=True)
    return measured


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}/{statistics.median(values):.1f}/{max(values):.1f}"


def _table(measured: dict, scales: list[float], args) -> list[dict]:
    first, last = scales[0], scales[-1]
    print()
    print(f"In-process test client, logged-in resident, page cache off; {args.runs} runs of "
          f"{args.requests} requests per page; load average {os.getloadavg()[0]:.2f} at the end")
    spreads = " | ".join(f"{f'CPU ms {s:g}x min/med/max':>24}" for s in scales)
    queries = " | ".join(f"{f'q {s:g}x':>5}" for s in scales)
    header = f"| {'page':<28} | {queries} | {spreads} | {f'{last:g}x/{first:g}x':>7} |"
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    rows, notes = [], []
    for name in measured[first]:
        row = {"page": name}
        for s in scales:
            row[f"queries_{s:g}"] = measured[s][name]["queries"]
            row[f"cpu_ms_{s:g}"] = measured[s][name]["cpu_ms"]
        ratio = (statistics.median(measured[last][name]["cpu_ms"])
                 / statistics.median(measured[first][name]["cpu_ms"]))
        row["ratio"] = ratio
        rows.append(row)
        q = " | ".join(f"{measured[s][name]['queries']:5d}" for s in scales)
        c = " | ".join(f"{_spread(measured[s][name]['cpu_ms']):>24}" for s in scales)
        print(f"| {name:<28} | {q} | {c} | {ratio:7.2f} |")
        if len({measured[s][name]["queries"] for s in scales}) > 1:
            notes.append(f"{name}: the query count changes with the scale")
        if abs(ratio - 1) > TOLERANCE:
            notes.append(f"{name}: CPU per request {ratio:.2f}x at {last:g}x")
    print()
    print("Grows with the scale:\n  " + "\n  ".join(notes) if notes
          else "Same queries and CPU within 20% at every scale.")
    return rows


if __name__ == "__main__":
    main()
