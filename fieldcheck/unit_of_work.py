"""The one place a request's writes are committed: ``with writing(): ...``.

A service reads and computes first (checks, photos, rankings) with nothing locked, then writes its
rows inside ``writing()``, which commits them together when the block ends, or rolls them all back
when it raises. On SQLite the write lock is taken at the block's first write statement, not before
(see ``fieldcheck.database``); on PostgreSQL rows are locked as they are written. Either way, what was
read before the block may have changed by the time it writes, so a write that depends on it is
guarded by the database: a unique key, or a version in the UPDATE's WHERE (optimistic locking).

Files are not part of the unit: photo files are content-addressed and written before the block, and
nothing on the request path deletes them (see ``fieldcheck.reports.services``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .database import WRITER
from .extensions import db


@contextmanager
def writing(*, exclusive: bool = False, keep_loaded: bool = False) -> Iterator[Session]:
    """Write through the session in the block; commit at its end, or roll back and re-raise.

    ``exclusive``: on SQLite, take the write lock before the block's first read (a new transaction,
    after ending the session's read-only one), for a read-then-write that no constraint guards; the
    block then runs alone among writers. (On PostgreSQL such a block locks its rows, e.g. ``FOR UPDATE``.)

    ``keep_loaded``: the session's objects keep what they hold after this commit instead of being
    expired, for a request that answers with the rows it has just written (a filing): its answer then
    needs no query per object and relationship to read back what it wrote (9 of a filing's 27).
    """
    session = db.session()
    if exclusive and db.engine.dialect.name == "sqlite":
        if session.in_transaction():
            session.commit()  # a read-only transaction: nothing to write, ended so that the next can lock
        session.connection(execution_options={WRITER: True})
    try:
        yield session
        if keep_loaded:
            expire, session.expire_on_commit = session.expire_on_commit, False
            try:
                session.commit()
            finally:
                session.expire_on_commit = expire
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def apart() -> Iterator[Connection]:
    """Write on a connection of its own, committed at the block's end, whatever the session holds: for
    what is kept beside the request's data and never part of its unit (the month cache: a GET stores a
    computed month without committing, and so expiring, what the request's session has read).
    Not for a database in memory (another connection would open another database): None is yielded."""
    engine = db.engine
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        yield None
        return
    with engine.connect().execution_options(**{WRITER: True}) as conn, conn.begin():
        yield conn
