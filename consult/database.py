"""Engine behaviour that differs between SQLite and PostgreSQL.

SQLite: WAL so readers never block the writer, a busy timeout so concurrent writers wait,
foreign keys on, and transactions begun by SQLAlchemy rather than by the driver (the pysqlite
begin-event recipe from the SQLAlchemy docs). A transaction that will write starts with
``BEGIN IMMEDIATE`` (see :func:`begin_write`) so it takes the write lock up front instead of
failing with "database is locked" when a read lock cannot be upgraded; read-only transactions
stay deferred so readers run side by side.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15_000
IMMEDIATE_OPTION = "consult_sqlite_immediate"


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

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(IMMEDIATE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


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
