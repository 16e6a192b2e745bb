"""The lookups every request makes: the user a session cookie names and the row a bearer token names.

Their statements are built once, with bound parameters, rather than on each request: SQLAlchemy then
neither rebuilds the query nor recomputes its cache key, which was about half of each lookup's cost
(the query itself is unchanged). The session's user comes with the count of their unread notifications,
which every page's bell shows (``notify.inbox.remember_unread``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..notify import inbox
from .models import ApiToken, User, UserSession

_SESSION_USER = (
    select(User, inbox.unread_of_user_column(User.id))  # the bell's count, read with the user
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id"),
        User.active.is_(True),
        UserSession.key_hash == bindparam("key_hash"),
        UserSession.created_at > bindparam("oldest"),
    )
)
_TOKEN_ROW = (
    select(ApiToken)
    .join(ApiToken.user)
    .options(contains_eager(ApiToken.user))  # one round trip
    .where(ApiToken.token_hash == bindparam("token_hash"), User.active.is_(True))
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_user(user_id: int, key: str, now: datetime, max_age: timedelta) -> User | None:
    """The active user whose live session the cookie's key names, or None (logged out, revoked, too old)."""
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    params = {"user_id": user_id, "key_hash": token_hash(key), "oldest": now - max_age}
    row = db.session.execute(_SESSION_USER, params).first()
    if row is None:
        return None
    user, unread = row
    inbox.remember_unread(db.session(), user.id, unread)
    return user


def token_row(token: str, now: datetime) -> ApiToken | None:
    """The live token row a bearer token names (its user active), or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.execute(_TOKEN_ROW, {"token_hash": token_hash(token)}).scalar()
    return None if row is None or row.expires_at <= now else row
