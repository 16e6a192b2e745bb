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
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Invalid
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import COMMUNITY, INSPECTOR, LEVELS, ROLES, SUBDISTRICT
from .models import ApiToken, User

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8
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
    if len(spec.password or "") < MIN_PASSWORD:
        raise Invalid(f"user {spec.username}: the password needs at least {MIN_PASSWORD} characters")
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
        password_hash=generate_password_hash(spec.password, method=current_app.config["PASSWORD_HASH_METHOD"]),
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


def user_for_token(token: str, now: datetime) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= now or not row.user.active:
        return None
    return row.user
