"""Engine behaviour that differs between SQLite and PostgreSQL.

SQLite: WAL so readers never block the writer, a busy timeout so concurrent writers wait,
foreign keys on, and transactions begun by SQLAlchemy rather than by the driver (the pysqlite
begin-event recipe from the SQLAlchemy docs). A transaction that will write starts with
``BEGIN IMMEDIATE`` (see :func:`begin_write`) so it takes the write lock up front instead of
failing with "database is locked" when a read lock cannot be upgraded; read-only transactions
stay deferred so readers run side by side. Writers of a database file queue on a lock file
before ``BEGIN IMMEDIATE`` (:class:`_WriterQueue`), first come first served.
"""
from __future__ import annotations

import fcntl
import os
import threading

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as _pg_insert
from sqlalchemy.dialects.sqlite import insert as _sqlite_insert
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15_000
IMMEDIATE_OPTION = "consult_sqlite_immediate"
WRITER_LOCK = "consult_sqlite_writer_lock"


def insert_on_conflict(session, table):
    """An INSERT into ``table`` in the dialect of ``session``'s database, with its
    ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (PostgreSQL and SQLite spell them
    alike)."""
    dialect = session.get_bind().dialect.name
    return (_pg_insert if dialect == "postgresql" else _sqlite_insert)(table)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    queue = _WriterQueue(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(IMMEDIATE_OPTION):
            queue.enter(connection.info)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                queue.leave(connection.info)
                raise
        else:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        queue.leave(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        queue.leave(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        queue.leave(record.info)  # a connection given back in a transaction, if ever


class _WriterQueue:
    """Writers of one SQLite file wait their turn on a lock file rather than in SQLite's busy
    handler. The busy handler sleeps and tries again (1, 2, 5, 10 … 100 ms), so under a stream
    of writes a waiting process keeps missing the moments the lock is free while another
    takes it again at once: some ballots waited half a second. An exclusive ``flock`` on
    ``<database>.writer-lock`` wakes the next waiter as soon as it is released, and a process
    that has just written must ask again, behind whoever waits. Held from ``BEGIN IMMEDIATE``
    to the commit or rollback; released by the kernel if the process dies. A thread that
    already holds it (a second connection opened inside a write) does not wait for itself:
    that connection falls back to the busy handler, as before."""

    def __init__(self, database: str | None):
        self.path = None
        if database not in (None, "", ":memory:") and not database.startswith("file:"):
            self.path = f"{database}.writer-lock"
        self._holders: dict[int, int] = {}  # thread -> the lock file it holds

    def enter(self, info: dict) -> None:
        thread = threading.get_ident()
        if self.path is None or thread in self._holders:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return  # a folder we cannot write to: SQLite's busy handler alone, as before
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            os.close(fd)
            return
        self._holders[thread] = fd
        info[WRITER_LOCK] = (fd, thread)

    def leave(self, info: dict) -> None:
        held = info.pop(WRITER_LOCK, None)
        if held is None:
            return
        fd, thread = held
        if self._holders.get(thread) == fd:
            del self._holders[thread]
        os.close(fd)  # closing the file releases the lock


def begin_write(session=None) -> None:
    """Start the session's transaction as a writer.

    Call before the first query of a unit of work that reads and then writes. On SQLite this
    issues ``BEGIN IMMEDIATE``; on PostgreSQL it is an ordinary transaction (rows that need it
    are locked with constraints or ``FOR UPDATE`` by the caller). If a transaction is already
    open it is used as it is.
    """
    from consult.extensions import db

    session = session or db.session()
    transaction = session.get_transaction()
    if transaction is not None and transaction._connections:
        return  # already connected: keep the transaction the caller opened
    session.connection(execution_options={IMMEDIATE_OPTION: True})


QUERY_COUNT_HEADER = "X-Query-Count"
# Transaction control is not a query (the tests' count_queries fixture skips the same).
NOT_COUNTED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


def count_queries_per_request(app, engine: Engine) -> None:
    """Answer every request with the number of SQL statements it ran, in a response header.

    Off unless ``QUERY_COUNT_HEADER`` is set: the page benchmark (bench/pages.py) reads it to
    report queries per page from the real server under load.
    """
    from flask import g, has_request_context

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        if has_request_context() and not statement.lstrip().upper().startswith(NOT_COUNTED):
            g.query_count = g.get("query_count", 0) + 1

    @app.after_request
    def _header(response):
        response.headers[QUERY_COUNT_HEADER] = str(g.get("query_count", 0))
        return response
