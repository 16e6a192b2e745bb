"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import N_, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import COMMUNITY, INSPECTOR, LEVELS, ROLES, SUBDISTRICT
from . import passwords
from .models import ApiToken, User, UserSession

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = passwords.MIN_LENGTH
PASSWORD_PROBLEMS = {
    passwords.TOO_SHORT: N_("The password needs at least %(min)s characters."),
    passwords.TOO_COMMON: N_("This password is one of the most common passwords: choose another."),
    passwords.IS_USERNAME: N_("The password must not be the username."),
}
# Checked against when the username does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    role: str
    level: str | None = None
    community: str | None = None
    subdistrict: str | None = None
    display_name: str = ""


def add_user(spec: NewUser) -> User:
    """Validate and stage a new user (the caller commits)."""
    if not USERNAME.match(spec.username or ""):
        raise Invalid(f"username {spec.username!r}: use 2-64 letters, digits, '.', '_' or '-'")
    if db.session.scalar(select(User.id).where(User.username == spec.username)) is not None:
        raise Invalid(f"username {spec.username!r} is already taken")
    if len(spec.display_name or "") > 100:
        raise Invalid(f"user {spec.username}: the display name is longer than 100 characters")
    if spec.role not in ROLES:
        raise Invalid(f"user {spec.username}: unknown role {spec.role!r} (one of {', '.join(ROLES)})")
    try:
        check_password(spec.password, spec.username)
    except Invalid as exc:
        raise Invalid(f"user {spec.username}: {exc.message[0].lower()}{exc.message[1:]}") from None
    level = spec.level or None
    if level is not None and level not in LEVELS:
        raise Invalid(f"user {spec.username}: unknown level {level!r} (one of {', '.join(LEVELS)})")
    if spec.role == INSPECTOR and level is None:
        raise Invalid(f"user {spec.username}: an inspector needs a level ({', '.join(LEVELS)})")
    community = subdistrict = None
    if spec.role == COMMUNITY:
        if not spec.community:
            raise Invalid(f"user {spec.username}: community staff need a community code")
        community = db.session.scalar(select(Community).where(Community.code == spec.community))
        if community is None:
            raise Invalid(f"user {spec.username}: no community with code {spec.community!r}")
        subdistrict = community.subdistrict
    elif spec.role == SUBDISTRICT:
        if not spec.subdistrict:
            raise Invalid(f"user {spec.username}: sub-district staff need a sub-district code")
        subdistrict = db.session.scalar(select(Subdistrict).where(Subdistrict.code == spec.subdistrict))
        if subdistrict is None:
            raise Invalid(f"user {spec.username}: no sub-district with code {spec.subdistrict!r}")
    user = User(
        username=spec.username,
        display_name=spec.display_name or spec.username,
        password_hash=_hash(spec.password),
        role=spec.role,
        level=level,
        community=community,
        subdistrict=subdistrict,
    )
    db.session.add(user)
    db.session.flush()
    return user


USER_CSV_COLUMNS = ("username", "password", "role", "level", "community", "subdistrict", "display_name")


def import_users(text: str) -> list[User]:
    """Stage every user of a CSV file, or none: errors name the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"username", "password", "role"} - set(reader.fieldnames or ())
    if missing:
        raise Invalid(f"the CSV header lacks {', '.join(sorted(missing))} (columns: {', '.join(USER_CSV_COLUMNS)})")
    users = []
    for line, row in enumerate(reader, start=2):
        spec = NewUser(**{k: (row.get(k) or "").strip() or None for k in USER_CSV_COLUMNS if k in row})
        try:
            users.append(add_user(spec))
        except Invalid as exc:
            raise Invalid(f"line {line}: {exc.message}") from None
    return users


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, now: datetime, days: int) -> tuple[str, ApiToken]:
    token = "fc_" + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=_token_hash(token), created_at=now, expires_at=now + timedelta(days=days))
    db.session.add(row)
    return token, row


def token_row(token: str, now: datetime) -> ApiToken | None:
    """The live token row a bearer token names (its user active), or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= now or not row.user.active:
        return None
    return row


def user_for_token(token: str, now: datetime) -> User | None:
    row = token_row(token, now)
    return row.user if row is not None else None


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password(password: str | None, username: str | None = None) -> None:
    """Refuse a password the policy does not allow (at least 10 characters, not common, not the username)."""
    problem = passwords.problem(password, username)
    if problem is not None:
        raise Invalid(PASSWORD_PROBLEMS[problem], code=f"password_{problem}", min=passwords.MIN_LENGTH)


def user_named(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(N_("No user named %(username)s."), username=username)
    return user


# Revocation. Each function stages its change; the caller commits.


def end_all_sessions(user: User) -> int:
    """End every browser session of the user; returns how many there were."""
    return db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount or 0


def revoke_all_tokens(user: User) -> int:
    """Revoke every API token of the user; returns how many there were."""
    return db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount or 0


def set_password(user: User, password: str) -> None:
    """Change the password after the policy check; every session and token of the user ends."""
    check_password(password, user.username)
    user.password_hash = _hash(password)
    end_all_sessions(user)
    revoke_all_tokens(user)


def deactivate(user: User) -> tuple[int, int]:
    """Refuse the user from now on: login fails and every session and token ends at once.

    Returns how many sessions and tokens ended."""
    user.active = False
    return end_all_sessions(user), revoke_all_tokens(user)


def activate(user: User) -> None:
    user.active = True


def start_session(user: User, now: datetime) -> str:
    """A new server-side session for the user; returns the key the session cookie carries."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user=user, key_hash=_token_hash(key), created_at=now))
    return key


def end_session(key: str) -> None:
    if isinstance(key, str) and key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _token_hash(key)))


def prune_sessions(user: User, now: datetime, max_age: timedelta) -> None:
    """Forget the user's sessions older than the absolute session lifetime."""
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at <= now - max_age)
    )


def session_user(user_id: int, key: str, now: datetime, max_age: timedelta) -> User | None:
    """The active user whose live session the cookie's key names, or None (logged out, revoked, too old)."""
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    return db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            UserSession.key_hash == _token_hash(key),
            UserSession.created_at > now - max_age,
        )
    )


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; another user's token is not found."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("No such token."))
    db.session.delete(row)
