"""Page benchmark: a large community served by gunicorn, loaded by wrk from a second process.

    .venv/bin/python bench/pages.py                  # SQLite file instance/bench/world-1.sqlite3
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pages.py

The first run seeds the world of bench/world.py (a few minutes); later runs reuse it unless
``--reseed`` is given (logged-in writes add ballots and comments to it, which does not change
what is measured). The app is served as in production: gunicorn, 2 workers, its own process;
wrk (Debian package ``wrk``) keeps ``--connections`` requests in flight for ``--duration``
seconds per page. For each page the table gives requests per second, p50 and p99 latency, the
SQL statements one request runs (from the X-Query-Count header the app sends when started with
QUERY_COUNT_HEADER=1), and throughput as a share of /healthz, the trivial endpoint of the same
app served the same way: the ceiling of this server on this machine.

Rate limits (and the per-person comment limit) are switched off for the run: the load is 20
clients from one address posting without pause, and would otherwise measure the refusals. Each
write is checked: the rows added to the database must equal the requests wrk made.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
TARGETS = {"share": 0.30, "p99_read_ms": 150, "p99_ballot_ms": 200, "queries": 12}

# wrk calls done() once per run; it prints one JSON line the driver parses.
REPORT_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRK-JSON {"requests": %d, "seconds": %f, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    errors))
end
"""

# A POST per request, rotating over logged-in users (cookie, CSRF token, form body).
POST_LUA = """
local users = {%(users)s}
local n = 0
request = function()
  n = n + 1
  local u = users[(n %% #users) + 1]
  local headers = {["Cookie"] = u[1], ["Content-Type"] = "application/x-www-form-urlencoded"%(extra)s}
  return wrk.format("POST", "%(path)s", headers, u[2])
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="build the world again")
    parser.add_argument("--scale", type=float, default=1,
                        help="the world's size (bench/world.py); a new scale needs --reseed")
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument("--only", help="comma-separated page names to run")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="render every page afresh, as for a logged-in resident")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")

    url, world_file = _database(args.reseed, args.scale)
    world = json.loads(world_file.read_text())
    base = f"http://127.0.0.1:{args.port}"
    server = _serve(url, args)
    try:
        _wait_until_up(base + "/healthz", server)
        results = _run(base, url, world, args)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    _print(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))


def _database(reseed: bool, scale: float = 1) -> tuple[str, Path]:

    from consult import create_app
    from consult.extensions import db

    url = os.environ.get("DATABASE_URL")
    folder = ROOT / "instance" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    if url:
        world_file = folder / ("world-" + re.sub(r"\W+", "_", url.rsplit("/", 1)[-1]) + ".json")
    else:
        # The file bench/world.py and bench/scale.py seed for this scale.
        path = folder / f"world-{scale:g}.sqlite3"
        url = f"sqlite:///{path}"
        world_file = folder / f"world-{scale:g}.json"
        reseed = reseed or not path.exists()
        if reseed:
            for leftover in folder.glob(f"world-{scale:g}.sqlite3*"):
                leftover.unlink()
    from flask_migrate import upgrade

    from bench import world

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    if world_file.exists() and not reseed:
        print(f"Reusing the benchmark world in {url} (--reseed builds it again)")
        with app.app_context():
            upgrade()  # the code may have moved on since it was seeded
            db.engine.dispose()
        return url, world_file
    print(f"Seeding the benchmark world (scale {scale:g}) into {url}")
    built = world.seed(url, scale)
    world_file.write_text(json.dumps(asdict(built), ensure_ascii=False))
    return url, world_file


def _serve(url: str, args) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret",
           "QUERY_COUNT_HEADER": "1", "RATELIMIT_ENABLED": "0", "COMMENT_FLOOD_CHECK": "0",
           "CONSULT_INSTANCE_PATH": str(ROOT / "instance")}
    env.pop("CONSULT_ENV", None)
    if args.no_page_cache:
        env["PAGE_CACHE_SECONDS"] = "0"
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(args.workers),
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning", "consult:create_app()"],
        cwd=ROOT, env=env)


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("gunicorn exited before serving")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer within 20 s")


class _Browser:
    """A logged-in resident: a cookie jar, and the CSRF token of the session."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path, timeout=30).read().decode()

    def post(self, path: str, fields: dict) -> str:
        data = urllib.parse.urlencode(fields).encode()
        return self.opener.open(self.base + path, data=data, timeout=30).read().decode()

    def log_in(self, phone: str, password: str) -> None:
        token = _csrf(self.get("/login"))
        self.post("/login", {"csrf_token": token, "identifier": phone, "password": password})

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if not match:
        raise RuntimeError("no CSRF token in the page: is the user logged in?")
    return match.group(1)


def _queries(base: str, path: str, *, cookie: str = "", data: bytes | None = None,
             headers: dict | None = None) -> int:
    request = urllib.request.Request(base + path, data=data,
                                     headers={"Cookie": cookie, "Cache-Control": "no-cache",
                                              **(headers or {})})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as answer:  # a redirect after a POST lands here
        response = answer
    return int(response.headers.get("X-Query-Count", "-1"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _wrk(base: str, path: str, args, lua: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + REPORT_LUA)
    try:
        out = subprocess.run(
            ["wrk", "--threads", "2", "--connections", str(args.connections),
             "--duration", f"{args.duration}s", "--timeout", "10s", "--script", script.name,
             base + path], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    raw = json.loads(line[len("WRK-JSON "):])
    return {"rps": raw["requests"] / raw["seconds"], "p50_ms": raw["p50_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "errors": raw["errors"],
            "requests": raw["requests"]}


def _rows(url: str, table: str) -> int:
    from sqlalchemy import create_engine, text

    from consult.config import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    with engine.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return count


def _run(base: str, url: str, world: dict, args) -> list[dict]:
    community = world["community_id"]
    reads = [
        ("trivial endpoint (/healthz)", "/healthz"),
        ("home", "/"),
        ("topic list", "/topics"),
        ("topic page, 1,000 comments", f"/topics/{world['big_topic_id']}"),
        ("hall page", f"/halls/{world['hall_id']}"),
        ("vote result", f"/votes/{world['closed_vote_id']}"),
        ("outcomes board", f"/communities/{community}/outcomes"),
        ("studio week view", f"/studios/{world['studio_id']}"),
    ]
    only = set(args.only.split(",")) if args.only else None
    results = []
    for name, path in reads:
        if only and name.split(" ")[0] not in only and path != "/healthz":
            continue
        _queries(base, path)  # warm the workers' caches and connections
        row = {"page": name, "path": path, "queries": _queries(base, path),
               **_wrk(base, path, args, "")}
        results.append(row)
        print(f"  {name:<32} {row['rps']:8.0f} req/s  p99 {row['p99_ms']:6.1f} ms", flush=True)

    users = []
    for phone, password in world["users"]:
        browser = _Browser(base)
        browser.log_in(phone, password)
        users.append(browser)
    writes = [
        ("cast a ballot (logged in)", f"/votes/{world['open_vote_id']}/ballot",
         lambda i, token: {"csrf_token": token, "option": ("agree", "oppose", "abstain")[i % 3]},
         f"/votes/{world['open_vote_id']}", {}, "ballots"),
        ("post a comment (logged in)", f"/topics/{world['comment_topic_id']}/comments",
         lambda i, token: {"csrf_token": token, "body": f"基准评论：同意这个方案，补充一点意见{i}。"},
         f"/topics/{world['comment_topic_id']}", {"HX-Request": "true"}, "comments"),
    ]
    for name, path, form, page, extra, table in writes:
        if only and name.split(" ")[0] not in only:
            continue
        entries = []
        for i, browser in enumerate(users[:args.connections]):
            token = _csrf(browser.get(page))
            entries.append((browser.cookie(), urllib.parse.urlencode(form(i, token))))
        lua_users = ", ".join("{%s, %s}" % (json.dumps(c), json.dumps(b)) for c, b in entries)
        lua_extra = "".join(f', ["{k}"] = "{v}"' for k, v in extra.items())
        cookie, body = entries[0]
        before = _rows(url, table)
        queries = _queries(base, path, cookie=cookie, data=body.encode(),
                           headers={"Content-Type": "application/x-www-form-urlencoded", **extra})
        row = {"page": name, "path": path, "queries": queries,
               **_wrk(base, path, args, POST_LUA % {"users": lua_users, "path": path,
                                                    "extra": lua_extra})}
        # wrk counts an answer as a success by its status; the database says what was written.
        # (Requests still in flight when wrk stops may be written without being counted.)
        row["errors"] += max(0, row["requests"] + 1 - (_rows(url, table) - before))
        results.append(row)
        print(f"  {name:<32} {row['rps']:8.0f} req/s  p99 {row['p99_ms']:6.1f} ms", flush=True)
    ceiling = next(r["rps"] for r in results if r["path"] == "/healthz")
    for row in results:
        row["share"] = row["rps"] / ceiling
    return results


def _print(results: list[dict], args) -> None:
    print()
    print(f"{args.connections} concurrent connections, {args.duration} s per page, "
          f"gunicorn {args.workers} workers, page cache "
          f"{'off' if args.no_page_cache else 'on'}, {socket.gethostname()}, "
          f"{time.strftime('%Y-%m-%d')}")
    header = (f"| {'page':<30} | {'req/s':>7} | {'p50 ms':>7} | {'p99 ms':>7} | "
              f"{'queries':>7} | {'vs trivial':>10} | {'errors':>6} |")
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in results:
        print(f"| {r['page']:<30} | {r['rps']:7.0f} | {r['p50_ms']:7.1f} | {r['p99_ms']:7.1f} | "
              f"{r['queries']:7d} | {r['share']:9.0%} | {r['errors']:6d} |")
    misses = []
    for r in results:
        if r["path"] == "/healthz":
            continue
        writing = "logged in" in r["page"]
        if r["queries"] > TARGETS["queries"]:
            misses.append(f"{r['page']}: {r['queries']} queries > {TARGETS['queries']}")
        if r["errors"]:
            misses.append(f"{r['page']}: {r['errors']} failed requests")
        if not writing and r["share"] < TARGETS["share"]:
            misses.append(f"{r['page']}: {r['share']:.0%} of the trivial endpoint < 30%")
        if not writing and r["p99_ms"] > TARGETS["p99_read_ms"]:
            misses.append(f"{r['page']}: p99 {r['p99_ms']:.0f} ms > 150 ms")
        if r["page"].startswith("cast") and r["p99_ms"] > TARGETS["p99_ballot_ms"]:
            misses.append(f"{r['page']}: p99 {r['p99_ms']:.0f} ms > 200 ms")
    print()
    print("Targets missed:\n  " + "\n  ".join(misses) if misses else "All targets met.")


if __name__ == "__main__":
    main()
