"""Two app hosts behind nginx, sharing PostgreSQL and Redis: kept pages end everywhere at once.

    .venv/bin/python bench/multihost.py
    .venv/bin/python bench/multihost.py --database postgresql://postgres@127.0.0.1:5432/other

Everything runs on this machine, each in its own process: a redis-server on a free port, two
app instances (gunicorn, ``--workers`` each, their own instance folders, so the only thing they
share is the database and Redis) and nginx (Debian package ``nginx``) in the foreground with a
configuration written to a temporary folder, balancing over both. The database is seeded once
with a small world (bench/world.py at ``--scale``, 0.05 by default; ``--reseed`` builds it
again).

1. Freshness across hosts: a visitor's page is kept on instance B (the second read is a hit), a
   resident posts a comment through instance A, and B's next read of that page must be fresh
   and show the comment. The script stops with an error if it is not.
2. Throughput: wrk (Debian package ``wrk``) from its own process, ``--runs`` runs of
   ``--duration`` seconds per page and set-up: one instance directly, one instance behind
   nginx, two instances behind nginx. Pages: the trivial /healthz, the topic page as a visitor
   (kept pages: a Redis GET and a copy), and the same page asked fresh (``Cache-Control:
   no-cache``: rendered from the database). The table gives req/s min/median/max, the
   median's share of the one-instance figure, server CPU ms per request (user+system time of
   the gunicorn and nginx processes over the run, from /proc) and the load average before the
   runs. On a 2-core machine a second instance cannot add cores: the figure shows what the
   proxy and the shared generation cost, not what a second machine would add.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import world as world_module  # noqa: E402
from bench.pages import REPORT_LUA, VENV_BIN, _Browser, _csrf, _wait_until_up  # noqa: E402
from tests.redis_server import RedisServer, _free_port  # noqa: E402

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/bench_multihost"
TICKS = os.sysconf("SC_CLK_TCK")

NGINX_CONF = """
worker_processes 1;
error_log %(dir)s/error.log warn;
pid %(dir)s/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
    fastcgi_temp_path %(dir)s/fastcgi;
    uwsgi_temp_path %(dir)s/uwsgi;
    scgi_temp_path %(dir)s/scgi;
    upstream one { server 127.0.0.1:%(a)d; keepalive 32; }
    upstream two { server 127.0.0.1:%(a)d; server 127.0.0.1:%(b)d; keepalive 32; }
    server {
        listen 127.0.0.1:%(one)d;
        location / { proxy_pass http://one; proxy_http_version 1.1;
                     proxy_set_header Connection ""; proxy_set_header Host $http_host; }
    }
    server {
        listen 127.0.0.1:%(two)d;
        location / { proxy_pass http://two; proxy_http_version 1.1;
                     proxy_set_header Connection ""; proxy_set_header Host $http_host; }
    }
}
"""

HEADER_LUA = """
wrk.headers["Cache-Control"] = "%s"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--scale", type=float, default=0.05, help="bench/world.py --scale")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    for tool, package in (("nginx", "nginx"), ("wrk", "wrk"), ("redis-server", "redis-server")):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install {package}")

    world = _world(args)
    processes: list[subprocess.Popen] = []
    folder = Path(tempfile.mkdtemp(prefix="consult-multihost-"))
    redis = RedisServer(folder)
    try:
        ports = {name: _free_port() for name in ("a", "b", "one", "two")}
        for name in ("a", "b"):
            processes.append(_gunicorn(name, ports[name], args, redis.url, folder))
        for name, process in zip(("a", "b"), processes):
            _wait_until_up(f"http://127.0.0.1:{ports[name]}/healthz", process)
        processes.append(_nginx(folder, ports))
        for name in ("one", "two"):
            _wait_until_up(f"http://127.0.0.1:{ports[name]}/healthz", processes[-1])
        print()
        freshness = _freshness(world, ports, args.workers)
        print()
        results = _throughput(world, ports, processes, args)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM if process.args[0] != "nginx" else signal.SIGQUIT)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)
    _print(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"freshness": freshness, "results": results},
                                              indent=2, ensure_ascii=False))


# --- set-up ---------------------------------------------------------------------------------

def _world(args) -> dict:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from consult.config import normalise_database_url

    url = normalise_database_url(args.database)
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    world_file = ROOT / "instance" / "bench" / (
        "world-" + re.sub(r"\W+", "_", name) + f"-{args.scale:g}.json")
    if world_file.exists() and exists and not args.reseed:
        print(f"Reusing the world in {args.database} (--reseed builds it again)")
        _upgrade(args.database)
        return json.loads(world_file.read_text())
    print(f"Seeding the world (scale {args.scale:g}) into {args.database}")
    built = asdict(world_module.seed(args.database, args.scale))
    world_file.parent.mkdir(parents=True, exist_ok=True)
    world_file.write_text(json.dumps(built, ensure_ascii=False))
    return built


def _upgrade(url: str) -> None:
    from flask_migrate import upgrade

    from consult import create_app
    from consult.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _gunicorn(name: str, port: int, args, redis_url: str, folder: Path) -> subprocess.Popen:
    instance = folder / f"instance-{name}"  # nothing shared on disk: only PostgreSQL and Redis
    instance.mkdir()
    env = {**os.environ, "DATABASE_URL": args.database, "SECRET_KEY": "bench-multihost-secret",
           "REDIS_URL": redis_url, "PAGE_CACHE_SECONDS": "30", "QUERY_COUNT_HEADER": "1",
           "RATELIMIT_ENABLED": "0", "COMMENT_FLOOD_CHECK": "0", "JOBS_INLINE": "now",
           "CONSULT_INSTANCE_PATH": str(instance)}
    env.pop("CONSULT_ENV", None)
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers), "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning", "consult:create_app()"],
        cwd=ROOT, env=env)


def _nginx(folder: Path, ports: dict) -> subprocess.Popen:
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF % {"dir": folder, **ports})
    return subprocess.Popen(["nginx", "-p", str(folder), "-c", str(conf),
                             "-g", "daemon off;"])


# --- 1. freshness across hosts ----------------------------------------------------------------

def _visit(port: int, path: str) -> tuple[str | None, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.headers.get("X-Page-Cache"), response.read().decode()


def _freshness(world: dict, ports: dict, workers: int) -> dict:
    """Every worker of B keeps the page; after a write through A, every read on B shows it."""
    topic = f"/topics/{world['comment_topic_id']}"
    states = [_visit(ports["b"], topic)[0] for _ in range(4 * workers)]
    assert states.count("hit") >= workers, f"instance B did not keep the page: {states}"
    resident = _Browser(f"http://127.0.0.1:{ports['a']}")
    resident.log_in(*world["users"][0])
    text = f"多主机测试：A 写入，B 立即可见 {time.time_ns()}"
    resident.post(f"{topic}/comments", {"csrf_token": _csrf(resident.get(topic)), "body": text})
    written = time.perf_counter()
    state, body = _visit(ports["b"], topic)
    seen_after_ms = (time.perf_counter() - written) * 1000
    after = [(state, text in body)]
    after += [(s, text in b) for s, b in (_visit(ports["b"], topic) for _ in range(4 * workers))]
    if state != "miss" or not all(shown for _, shown in after):
        sys.exit(f"STALE: instance B served a page without the comment written through A: "
                 f"{after}")
    print(f"Freshness: B's {workers} workers kept {topic} ({states.count('hit')} hits in "
          f"{len(states)} reads); a comment posted through A; B's next read was a {state} "
          f"showing it ({seen_after_ms:.0f} ms after the post answered), and all "
          f"{len(after)} reads after the write showed it "
          f"({[s for s, _ in after].count('hit')} of them kept pages again).")
    return {"reads_before": states, "reads_after": [s for s, _ in after],
            "first_read_ms": round(seen_after_ms, 1)}


# --- 2. throughput --------------------------------------------------------------------------

def _tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid] + [p for child in children for p in _tree(int(child))]


def _cpu_seconds(processes: list[subprocess.Popen]) -> float:
    total = 0
    for process in processes:
        for pid in _tree(process.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _wrk(url: str, args, cache_control: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write((HEADER_LUA % cache_control if cache_control else "") + REPORT_LUA)
    try:
        out = subprocess.run(
            ["wrk", "--threads", "2", "--connections", str(args.connections), "--duration",
             f"{args.duration}s", "--timeout", "10s", "--script", script.name, url],
            capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    raw = json.loads(line[len("WRK-JSON "):])
    return {"rps": raw["requests"] / raw["seconds"], "requests": raw["requests"],
            "p99_ms": raw["p99_us"] / 1000, "errors": raw["errors"]}


def _throughput(world: dict, ports: dict, processes: list, args) -> list[dict]:
    topic = f"/topics/{world['big_topic_id']}"
    pages = [("trivial endpoint (/healthz)", "/healthz", ""),
             ("topic page, visitor (kept)", topic, ""),
             ("topic page, fresh (no-cache)", topic, "no-cache")]
    setups = [("one instance", ports["a"]), ("one instance, nginx", ports["one"]),
              ("two instances, nginx", ports["two"])]
    results = []
    for page, path, cache_control in pages:
        for setup, port in setups:
            url = f"http://127.0.0.1:{port}{path}"
            for _ in range(2):  # warm every worker's connections and kept page
                urllib.request.urlopen(url, timeout=30).read()
            load = os.getloadavg()
            runs = []
            for _ in range(args.runs):
                cpu = _cpu_seconds(processes)
                run = _wrk(url, args, cache_control)
                run["cpu_ms"] = (_cpu_seconds(processes) - cpu) * 1000 / max(run["requests"], 1)
                runs.append(run)
            rps = sorted(r["rps"] for r in runs)
            row = {"page": page, "setup": setup, "load": load, "rps_min": rps[0],
                   "rps_median": statistics.median(rps), "rps_max": rps[-1],
                   "p99_ms_median": statistics.median(r["p99_ms"] for r in runs),
                   "cpu_ms_median": statistics.median(r["cpu_ms"] for r in runs),
                   "errors": sum(r["errors"] for r in runs)}
            results.append(row)
            print(f"  {page:<30} {setup:<22} {row['rps_median']:7.0f} req/s "
                  f"(min {rps[0]:.0f}, max {rps[-1]:.0f})  load {load[0]:.2f}", flush=True)
    for row in results:
        base = next(r for r in results if r["page"] == row["page"]
                    and r["setup"] == "one instance")
        row["vs_one"] = row["rps_median"] / base["rps_median"]
    return results


def _print(results: list[dict], args) -> None:
    print()
    print(f"{args.connections} connections, {args.runs} runs of {args.duration} s, gunicorn "
          f"{args.workers} workers per instance, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')}")
    header = (f"| {'page':<28} | {'set-up':<20} | {'req/s min/median/max':>22} | "
              f"{'vs one':>6} | {'p99 ms':>6} | {'CPU ms/req':>10} | {'load 1m':>7} | "
              f"{'errors':>6} |")
    print(header)
    print("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    for r in results:
        spread = f"{r['rps_min']:.0f}/{r['rps_median']:.0f}/{r['rps_max']:.0f}"
        print(f"| {r['page']:<28} | {r['setup']:<20} | {spread:>22} | {r['vs_one']:6.2f} | "
              f"{r['p99_ms_median']:6.1f} | {r['cpu_ms_median']:10.2f} | {r['load'][0]:7.2f} | "
              f"{r['errors']:6d} |")


if __name__ == "__main__":
    main()
