"""Engine settings per database: SQLite gets WAL, foreign keys and a busy timeout.

A connection given the execution option ``READER`` only reads: on SQLite its transaction begins
deferred, so it reads beside a session that holds the write lock (WAL) instead of queueing behind it.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15_000
READER = "fieldcheck_reader"  #: execution option of a connection that only reads
_CHANGES_AT_BEGIN = "fieldcheck_changes_at_begin"


def has_written(conn) -> bool:
    """Whether the connection's open transaction has written anything yet (another connection would not
    see it). PostgreSQL assigns a transaction id at its first write; SQLite counts the rows this
    connection has changed, noted when the transaction began."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned() IS NOT NULL").scalar()
    if conn.dialect.name == "sqlite":
        return conn.connection.dbapi_connection.total_changes != conn.info.get(_CHANGES_AT_BEGIN)
    return True  # unknown: assume it has


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself so transactions behave as on PostgreSQL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        # IMMEDIATE takes the write lock up front, so two writers queue instead of failing mid-transaction.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READER) else "BEGIN IMMEDIATE")
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes
