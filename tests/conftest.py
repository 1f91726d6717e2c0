"""Test rig: a fresh, migrated database for every test, on SQLite or PostgreSQL.

SQLite (default): the migrations run once into a template file, and each test gets a copy.
PostgreSQL (``TEST_DATABASE_URL`` set): the migrations run once per worker database, and each
test starts from emptied tables (see :func:`fresh_database`). The app is built once per
worker and lent to test after test (:class:`_AppCache`).
"""
from __future__ import annotations

import hashlib
import os
import random
import shutil
import zlib
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, event, text

from consult import create_app, i18n, written
from consult.accounts import passwords
from consult.config import PROJECT_ROOT, normalise_database_url
from consult.database import NOT_COUNTED
from consult.extensions import db

pytest_plugins = [
    "tests.redis_server",  # the redis_server and redis_url fixtures
    "tests.sms_server",  # sms_server (a local stand-in for the SMS provider) and sms_app_config
    "tests.smtp_server",  # smtp_server (a real SMTP server on a local port) and mail_config()
]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL)

# The suite's randomness is reproducible: one seed for the run (TEST_SEED overrides it), from
# which each test gets a seed of its own by its id, so a test draws the same numbers whichever
# worker runs it and whatever ran before it. A failing test's report names both.
SUITE_SEED = int(os.environ.get("TEST_SEED", "20261206"))
_TEST_SEED = pytest.StashKey[int]()


def seed_for(nodeid: str, suite_seed: int | None = None) -> int:
    """The seed of one test: the same for the same suite seed and test id, on any worker."""
    return zlib.crc32(f"{SUITE_SEED if suite_seed is None else suite_seed}:{nodeid}".encode())

# Real argon2id, at a cost that keeps hundreds of test logins fast.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def base_config(url: str) -> dict:
    return {
        "TESTING": True,
        # Background jobs run as soon as the work that queued them commits.
        "JOBS_INLINE": "now",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # Tests move the clock between requests; tests/app/test_page_cache.py turns it on.
        "PAGE_CACHE_SECONDS": 0,
        # A test reads at once the order its marks changed; test_broad_support_kept.py turns
        # the ranking in the background on.
        "RANKING_REFRESH_IN_BACKGROUND": False,
    }


# PostgreSQL databases of this test process, named by the checkout as well as the worker: two
# suites run side by side from two clones (CI beside a developer's run) never share tables.
CHECKOUT_TAG = hashlib.sha256(str(PROJECT_ROOT).encode()).hexdigest()[:8]
_CREATED_DATABASES: list[str] = []


def postgres_database(base_url: str, suffix: str) -> str:
    """The URL of ``<base database>_<suffix>`` on the server of ``base_url``, created if it is
    missing (without waiting for the disk at commit) and dropped when this test process ends."""
    parts = urlsplit(normalise_database_url(base_url))
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = create_engine(urlunsplit(parts), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a crash of the server: commits do not wait for
        # the disk (what a commit makes visible, and every lock, is as before).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    if name not in _CREATED_DATABASES:
        _CREATED_DATABASES.append(name)
    return urlunsplit(parts._replace(path="/" + name))


def _drop_created_databases() -> None:
    if not _CREATED_DATABASES:
        return
    admin = create_engine(normalise_database_url(TEST_DATABASE_URL),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _CREATED_DATABASES:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    _CREATED_DATABASES.clear()


def _worker_postgres_url(worker: str) -> str:
    """One database per xdist worker (and checkout), so parallel workers never share tables."""
    return postgres_database(TEST_DATABASE_URL, f"{worker}_{CHECKOUT_TAG}")


def pytest_sessionfinish(session, exitstatus):
    if ON_POSTGRES:
        for engine in _EMPTYING.values():
            engine.dispose()
        _EMPTYING.clear()
        _drop_created_databases()


def _migrate(url: str) -> None:
    from flask_migrate import downgrade, upgrade

    app = create_app(base_config(url))
    with app.app_context():
        if url.startswith("postgresql"):
            # Start from nothing, then prove the migrations build the whole schema.
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        if url.startswith("postgresql"):
            # ... and that they tear it down and build it again.
            downgrade(revision="base")
            upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    if ON_POSTGRES:
        url = _worker_postgres_url(worker_id)
        _migrate(url)
        return url
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def worker_folder(tmp_path_factory):
    """This test process's own folder: its database file (SQLite) and the app's instance."""
    return tmp_path_factory.mktemp("worker")


@pytest.fixture
def database_url(database_template, worker_folder):
    """The worker's database, emptied for this test (see :func:`fresh_database`)."""
    _APPS.release_connections()
    return fresh_database(database_template, worker_folder)


_EMPTYING: dict[str, object] = {}  # PostgreSQL URL -> the engine that empties it

# One round trip: the tables that hold rows emptied (triggers off), and every sequence a test
# moved set to start again at 1, as in a new database. Most tests write to a few tables, so
# most tables are only looked at.
_EMPTY_TABLES = """
DO $$
DECLARE
  name text;
  has_rows boolean;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR name IN SELECT tablename FROM pg_tables
              WHERE schemaname = 'public' AND tablename <> 'alembic_version' LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', name) INTO has_rows;
    IF has_rows THEN
      EXECUTE format('DELETE FROM %I', name);
    END IF;
  END LOOP;
  PERFORM setval(format('%I.%I', schemaname, sequencename), 1, false) FROM pg_sequences
    WHERE schemaname = 'public' AND last_value IS NOT NULL;
END
$$"""


def fresh_database(database_template, folder) -> str:
    """An empty, migrated database: the template file copied to ``folder`` on SQLite, the
    worker's database with its tables emptied on PostgreSQL. End every session first, and on
    SQLite close every pooled connection (:meth:`_AppCache.release_connections` does both for
    the apps the suite keeps).

    On PostgreSQL the rows are deleted with triggers off (``session_replication_role``, so
    neither the audit log's append-only triggers nor foreign keys get in the way): a DELETE of
    a few rows costs about a millisecond a table, where a TRUNCATE of the 57 tables cost 100 ms
    to 2 s, because it gives every table new files."""
    if ON_POSTGRES:
        engine = _EMPTYING.get(database_template)
        if engine is None:
            engine = _EMPTYING[database_template] = create_engine(database_template)
        with engine.begin() as conn:
            # The driver's own cursor, without parameters: '%I' in the body is format()'s.
            conn.connection.dbapi_connection.cursor().execute(_EMPTY_TABLES)
        written.written_elsewhere()  # the same database, emptied: nothing kept from it holds
        return database_template
    path = folder / "test.sqlite3"
    # A new file put in place of the old one: a connection a test left open keeps the old file
    # (and its journal) rather than seeing this one change under it.
    copy = folder / "test.sqlite3.new"
    shutil.copyfile(database_template, copy)
    for leftover in (folder / "test.sqlite3-wal", folder / "test.sqlite3-shm",
                     folder / "test.sqlite3-journal"):
        leftover.unlink(missing_ok=True)
    os.replace(copy, path)
    written.written_elsewhere()  # values kept from the last test's database are not this one's
    return f"sqlite:///{path}"


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize indirectly) to change settings."""
    return {}


@pytest.fixture(autouse=True)
def seeded_random(request):
    """Seed Python's shared generator for every test (see :data:`SUITE_SEED`)."""
    seed = seed_for(request.node.nodeid)
    request.node.stash[_TEST_SEED] = seed
    state = random.getstate()
    random.seed(seed)
    yield seed
    random.setstate(state)


@pytest.fixture
def rng(seeded_random) -> random.Random:
    """A generator of the test's own, seeded like :func:`seeded_random`."""
    return random.Random(seeded_random)


def pytest_report_header(config):
    return f"random seed: TEST_SEED={SUITE_SEED}"


# The fixtures through which a test reaches the test database; every other test (rules,
# parsers, a page model, the deploy check) answers the same whatever database the suite is on.
DATABASE_FIXTURES = {"database_url", "database_template"}


# Tests that take ten seconds or more each (measured): started first, so that neither worker is
# left running one of them alone at the end of a pass.
SLOW_FIRST = ("tests/api/test_api_schemathesis.py", "tests/app/test_deploy.py",
              "tests/app/test_query_budget.py", "tests/demo/")


def pytest_collection_modifyitems(config, items):
    """``DATABASE_TESTS_ONLY=1`` (scripts/test.sh's PostgreSQL pass, after the SQLite pass ran
    everything): leave out the tests that never reach the test database, and those marked
    ``one_database`` (what they check is rendered the same from either database)."""
    items.sort(key=lambda item: not item.nodeid.startswith(SLOW_FIRST))  # stable otherwise
    if os.environ.get("DATABASE_TESTS_ONLY") != "1":
        return

    def uses_the_database(item) -> bool:
        return bool(DATABASE_FIXTURES & set(item.fixturenames)) and not item.get_closest_marker(
            "one_database")

    kept = [item for item in items if uses_the_database(item)]
    left = [item for item in items if not uses_the_database(item)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed:
        seed = item.stash.get(_TEST_SEED, seed_for(item.nodeid))
        report.sections.append((
            "random seed",
            f"TEST_SEED={SUITE_SEED} (this test's seed {seed}); run again with "
            f"TEST_SEED={SUITE_SEED} to draw the same numbers"))
    return report


class _AppCache:
    """The app of this test process, built once and lent to test after test.

    Building the app costs about 80 ms (almost all of it Werkzeug compiling 250 URL rules), which
    was most of a test's set-up. The app is kept while consecutive tests ask for the same
    settings (``app_config`` is per module or class, so a change of settings builds a new one);
    before each test its settings are put back as built, its kept pages, rate-limit counters and
    wrong-try counters emptied, its instance folder emptied and its database emptied
    (:func:`database_url`). A test that adds routes (``@pytest.mark.fresh_app``) gets an app of
    its own, thrown away after it: Flask refuses new routes once an app has answered.
    """

    def __init__(self):
        self.key = None
        self.app = None
        self.config = None
        self.extensions = None
        self.limiter_storage = None

    def release_connections(self):
        """End the kept app's sessions. On SQLite its pooled connections are closed too (the
        database file is replaced); PostgreSQL's are kept open for the next test (they hold no
        transaction once returned, and a new connection costs a server process and its cold
        catalogue caches)."""
        if self.app is not None:
            with self.app.app_context():
                db.session.remove()
                if not ON_POSTGRES:
                    db.engine.dispose()

    def drop(self):
        if self.app is not None:
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
        self.key = self.app = self.config = self.extensions = None

    def lend(self, key, build, instance):
        from consult.extensions import limiter

        shutil.rmtree(instance, ignore_errors=True)
        os.makedirs(instance)
        # Flask-Limiter is one object for every app: an app built since (a test that calls
        # create_app itself) has taken it over with its own settings, so build ours again.
        if (self.app is None or key is None or key != self.key
                or getattr(limiter, "_storage", None) is not self.limiter_storage):
            self.drop()
            app = build()
            if key is None:
                return app
            self.key, self.app = key, app
            self.config = dict(app.config)
            self.extensions = set(app.extensions)
            self.limiter_storage = getattr(limiter, "_storage", None)
            return app
        app = self.app
        app.config.clear()
        app.config.update(self.config)
        for name in set(app.extensions) - self.extensions:
            del app.extensions[name]  # storages made on first use (wrong-try counters)
        kept = app.extensions.get("consult_page_cache")
        if kept is not None:
            kept.clear()
        storage = getattr(limiter, "_storage", None)  # None while rate limits are off
        if storage is not None and str(app.config.get("RATELIMIT_STORAGE_URI",
                                                       "")).startswith("memory"):
            storage.reset()
        return app


_APPS = _AppCache()


def _settings_key(config: dict):
    """A key for settings that can be compared, or None (then the test builds its own app)."""
    try:
        return repr(sorted(config.items()))
    except TypeError:
        return None


@pytest.fixture
def app(request, database_url, app_config, worker_folder, monkeypatch):
    instance = worker_folder / "instance"
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(instance))
    config = {**base_config(database_url), **app_config}
    key = None if request.node.get_closest_marker("fresh_app") else _settings_key(config)
    application = _APPS.lend(key, lambda: create_app(config), instance)
    with application.app_context():
        yield application
        db.session.remove()
    if application is not _APPS.app:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def english(monkeypatch):
    """Texts in English, the language they are written in, for tests that check messages.

    The site's default is Simplified Chinese (tests/app/test_translations.py checks the catalogue);
    with this fixture a request without a language cookie, and code run outside a request,
    use English instead. Use it with ``@pytest.mark.usefixtures("english")``.
    """
    monkeypatch.setattr(i18n, "DEFAULT_LANGUAGE", "en")


@pytest.fixture
def login(client):
    """``login(user)`` logs the test client in as ``user`` without the login form."""

    def _login(user, c=None):
        c = c or client
        with c.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return c

    return _login


@pytest.fixture
def count_queries(app):
    """``with count_queries() as n: ...`` then ``n.count`` is the SQL statements run."""

    class Counter:
        count = 0
        statements: list[str]

    @contextmanager
    def _count():
        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, parameters, context, executemany):
            if statement.strip().upper().startswith(NOT_COUNTED):
                return
            counter.count += 1
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return _count


@pytest.fixture(scope="session")
def worker_id(request):
    """Works with and without pytest-xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "master")
