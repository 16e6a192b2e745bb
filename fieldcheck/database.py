"""Engine settings per database: SQLite gets WAL, foreign keys and a busy timeout.

Transactions on SQLite read without the write lock and take it when they start writing:

* Every transaction begins deferred (plain ``BEGIN``): a request reads (its user, the checklist, the
  month's reports) beside a writer, as on PostgreSQL, and holds no lock while it processes photos or
  computes a ranking.
* At a transaction's first write (INSERT, UPDATE, DELETE, REPLACE, DDL, or a SAVEPOINT, which is only
  ever opened to write), before the statement runs, the transaction that has read but not written is
  ended and ``BEGIN IMMEDIATE`` begins a new one on the same connection. Writers thus queue for the
  lock on the busy timeout. Upgrading the read transaction in place instead would fail at once with
  SQLITE_BUSY (or SQLITE_BUSY_SNAPSHOT once another writer has committed), without waiting.

What the transaction read before its first write may have changed since, exactly as under PostgreSQL's
READ COMMITTED: writes that depend on earlier reads are guarded by the database (unique client_id,
a report's version in the UPDATE's WHERE, the unique month and sequence of a publication).
``fieldcheck.unit_of_work.writing`` is where the services write and commit.

A connection given the execution option ``READER`` only reads: it is never upgraded (see
``ranking.loading``, which reads a month on a second connection beside the session's). One given
``WRITER`` begins ``BEGIN IMMEDIATE`` at once: for a unit of work whose reads must not change before
it writes and that no database constraint guards (``unit_of_work.writing(exclusive=True)``, e.g. the
notification worker's claim, which takes ``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15_000
READER = "fieldcheck_reader"  #: execution option of a connection that only reads
WRITER = (
    "fieldcheck_writer"  #: execution option of a connection whose transactions take the write lock at BEGIN
)
_CHANGES_AT_BEGIN = "fieldcheck_changes_at_begin"
_WRITING = "fieldcheck_writing"  #: whether the open SQLite transaction holds the write lock
_WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "SAVEPOINT"})


def has_written(conn) -> bool:
    """Whether the connection's open transaction has written anything yet (another connection would not
    see it). PostgreSQL assigns a transaction id at its first write; SQLite counts the rows this
    connection has changed, noted when the transaction began."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned() IS NOT NULL").scalar()
    if conn.dialect.name == "sqlite":
        return conn.connection.dbapi_connection.total_changes != conn.info.get(_CHANGES_AT_BEGIN)
    return True  # unknown: assume it has


def _writes(statement: str, context) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete or context.isddl):
        return True
    words = statement.lstrip(" \t\r\n(").split(None, 1)
    return bool(words) and words[0].upper() in _WRITE_VERBS


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
        # Deferred: reading takes no lock (see the module docstring for when the write lock is taken).
        options = conn.get_execution_options()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITER) else "BEGIN")
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes
        conn.info[_WRITING] = bool(options.get(READER) or options.get(WRITER))  # nothing to upgrade

    @event.listens_for(engine, "before_cursor_execute")
    def _sqlite_write_lock(conn, cursor, statement, _parameters, context, _executemany):
        if conn.info.get(_WRITING, True) or not _writes(statement, context):
            return
        conn.info[_WRITING] = True
        dbapi_connection = conn.connection.dbapi_connection
        if not dbapi_connection.in_transaction or has_written(conn):
            return  # no transaction of ours, or it already holds the lock
        # The transaction has only read: end it and begin one that waits for the write lock.
        cursor.execute("COMMIT")
        cursor.execute("BEGIN IMMEDIATE")
        conn.info[_CHANGES_AT_BEGIN] = dbapi_connection.total_changes
