"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..errors import N_, Forbidden, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import COMMUNITY, INSPECTOR, LEVELS, ROLES, SUBDISTRICT
from . import passwords
from .lookups import session_user, token_row  # noqa: F401  (the per-request lookups, re-exported)
from .lookups import token_hash as _token_hash
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


class PasswordChangeRequired(Forbidden):
    """The password is right but was set by an administrator: the user must choose a new one first."""

    code = "password_change_required"


# Problems with a user's fields, named by the field at fault (``details["field"]``); the English text is
# what the command line prints.
PASSWORD_PROBLEMS_FOR_USER = {
    passwords.TOO_SHORT: N_("user %(username)s: the password needs at least %(min)s characters."),
    passwords.TOO_COMMON: N_(
        "user %(username)s: this password is one of the most common passwords: choose another."
    ),
    passwords.IS_USERNAME: N_("user %(username)s: the password must not be the username."),
}


def _bad(at: str, template: str, **params) -> Invalid:
    """A problem with the field ``at`` (named in the error's details)."""
    return Invalid(template, details={"field": at}, **params)


def _scope(
    username: str, role: str, level: str | None, community_code: str | None, subdistrict_code: str | None
) -> tuple[str | None, Community | None, Subdistrict | None]:
    """Check role, level and scope together; returns (level, community, subdistrict) as stored."""
    if role not in ROLES:
        raise _bad(
            "role",
            N_("user %(username)s: unknown role '%(role)s' (one of %(roles)s)"),
            username=username,
            role=role,
            roles=", ".join(ROLES),
        )
    level = level or None
    if level is not None and level not in LEVELS:
        raise _bad(
            "level",
            N_("user %(username)s: unknown level '%(level)s' (one of %(levels)s)"),
            username=username,
            level=level,
            levels=", ".join(LEVELS),
        )
    if role == INSPECTOR and level is None:
        raise _bad(
            "level",
            N_("user %(username)s: an inspector needs a level (%(levels)s)"),
            username=username,
            levels=", ".join(LEVELS),
        )
    community = subdistrict = None
    if role == COMMUNITY:
        if not community_code:
            raise _bad(
                "community", N_("user %(username)s: community staff need a community code"), username=username
            )
        community = db.session.scalar(select(Community).where(Community.code == community_code))
        if community is None:
            raise _bad(
                "community",
                N_("user %(username)s: no community with code '%(value)s'"),
                username=username,
                value=community_code,
            )
        subdistrict = community.subdistrict
    elif role == SUBDISTRICT:
        if not subdistrict_code:
            raise _bad(
                "subdistrict",
                N_("user %(username)s: sub-district staff need a sub-district code"),
                username=username,
            )
        subdistrict = db.session.scalar(select(Subdistrict).where(Subdistrict.code == subdistrict_code))
        if subdistrict is None:
            raise _bad(
                "subdistrict",
                N_("user %(username)s: no sub-district with code '%(value)s'"),
                username=username,
                value=subdistrict_code,
            )
    return level, community, subdistrict


def _check_display_name(username: str, display_name: str | None) -> None:
    if len(display_name or "") > 100:
        raise _bad(
            "display_name",
            N_("user %(username)s: the display name is longer than 100 characters"),
            username=username,
        )


def check_new_user(spec: NewUser, taken: set[str] | frozenset[str] = frozenset()):
    """Every check of ``add_user`` without staging anything; ``taken``: names already used in the same file."""
    if not isinstance(spec.username, str) or not USERNAME.match(spec.username):
        raise _bad(
            "username",
            N_("username '%(username)s': use 2-64 letters, digits, '.', '_' or '-'"),
            username=spec.username or "",
        )
    if (
        spec.username in taken
        or db.session.scalar(select(User.id).where(User.username == spec.username)) is not None
    ):
        raise _bad("username", N_("username '%(username)s' is already taken"), username=spec.username)
    _check_display_name(spec.username, spec.display_name)
    if spec.role not in ROLES:  # the role before the password: the most telling problem first
        _scope(spec.username, spec.role, spec.level, spec.community, spec.subdistrict)
    problem = passwords.problem(spec.password, spec.username)
    if problem is not None:
        raise Invalid(
            PASSWORD_PROBLEMS_FOR_USER[problem],
            code=f"password_{problem}",
            details={"field": "password"},
            username=spec.username,
            min=passwords.MIN_LENGTH,
        )
    return _scope(spec.username, spec.role, spec.level, spec.community, spec.subdistrict)


def user_fields(user: User) -> dict:
    """The fields an administrator sets on a user, as plain values (audit entries, the admin API)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "level": user.level,
        "community": user.community.code if user.community else None,
        "subdistrict": user.subdistrict.code if user.subdistrict else None,
        "active": user.active,
    }


def add_user(spec: NewUser, *, actor=None) -> User:
    """Validate and stage a new user with its audit entry (the caller commits).

    ``actor``: who adds it (a User or user id); None is the logged-in user, or the command line."""
    level, community, subdistrict = check_new_user(spec)
    user = User(
        username=spec.username,
        display_name=spec.display_name or spec.username,
        password_hash=_hash(spec.password),
        role=spec.role,
        level=level,
        community=community,
        subdistrict=subdistrict,
        must_change_password=False,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", f"user:{user.username}", audit.diff({}, user_fields(user)))
    return user


USER_CSV_COLUMNS = ("username", "password", "role", "level", "community", "subdistrict", "display_name")
REQUIRED_CSV_COLUMNS = ("username", "password", "role")


@dataclass(frozen=True)
class ImportRow:
    line: int
    spec: NewUser
    problem: Invalid | None


def preview_users(text: str) -> list[ImportRow]:
    """Check every row of a users CSV without storing anything: each row with its problem (None if fine).

    A header without the required columns is refused at once (Invalid)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = set(REQUIRED_CSV_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise Invalid(
            N_("the CSV header lacks %(missing)s (columns: %(columns)s)"),
            code="csv_header",
            missing=", ".join(sorted(missing)),
            columns=", ".join(USER_CSV_COLUMNS),
        )
    rows, seen = [], set()
    for line, row in enumerate(reader, start=2):
        spec = NewUser(**{k: (row.get(k) or "").strip() or None for k in USER_CSV_COLUMNS if k in row})
        try:
            check_new_user(spec, seen)
        except Invalid as exc:
            rows.append(ImportRow(line, spec, exc))
        else:
            rows.append(ImportRow(line, spec, None))
        if spec.username:
            seen.add(spec.username)
    return rows


def import_users(text: str, *, actor=None) -> list[User]:
    """Stage every user of a CSV file, or none: the error names every line at fault."""
    rows = preview_users(text)
    bad = [r for r in rows if r.problem is not None]
    if bad:
        lines = [f"line {r.line}: {r.problem.message}" for r in bad]
        raise Invalid(
            N_("%(problems)s"), code="csv_rows", details={"lines": lines}, problems="; ".join(lines)
        )
    return [add_user(r.spec, actor=actor) for r in rows]


def authenticate(username: str, password: str) -> User | None:
    """The active user these credentials name, or None.

    Raises PasswordChangeRequired when they are right but the password was reset by an administrator:
    such a password only lets the user choose a new one (the login page asks; the token route refuses)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    if user.must_change_password:
        raise PasswordChangeRequired(N_("Your password was reset: choose a new one on the login page first."))
    return user


def issue_token(user: User, now: datetime, days: int) -> tuple[str, ApiToken]:
    token = "fc_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user, token_hash=_token_hash(token), created_at=now, expires_at=now + timedelta(days=days)
    )
    db.session.add(row)
    return token, row


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


def set_password(user: User, password: str, *, actor=None) -> None:
    """Change the password after the policy check; every session and token of the user ends.

    ``actor`` is the user themself (their own change) or whoever sets it for them (a User or user id;
    None: the logged-in user, or the command line). A password the user chose need not be changed."""
    check_password(password, user.username)
    user.password_hash = _hash(password)
    user.must_change_password = False
    end_all_sessions(user)
    revoke_all_tokens(user)
    own = actor is user or (isinstance(actor, int) and actor == user.id)
    audit.record(actor, "user.password_change" if own else "user.password_reset", f"user:{user.username}")


def temporary_password() -> str:
    """A random password that passes the policy, for an administrator's reset."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if passwords.problem(candidate) is None:
            return candidate


def reset_password(user: User, *, actor=None) -> str:
    """Give the user a temporary password, returned once: it must be changed at the next login.

    Every session and token of the user ends at once."""
    password = temporary_password()
    before = user.must_change_password
    user.password_hash = _hash(password)
    user.must_change_password = True
    end_all_sessions(user)
    revoke_all_tokens(user)
    audit.record(
        actor, "user.password_reset", f"user:{user.username}", {"must_change_password": [before, True]}
    )
    return password


def _other_active_admins(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(User.id)).where(User.role == "admin", User.active.is_(True), User.id != user.id)
        )
        or 0
    )


def _keep_an_admin(user: User) -> None:
    if user.role == "admin" and user.active and not _other_active_admins(user):
        raise Invalid(
            N_("%(username)s is the last active administrator."),
            code="last_admin",
            details={"field": "role"},
            username=user.username,
        )


def deactivate(user: User, *, actor=None) -> tuple[int, int]:
    """Refuse the user from now on: login fails and every session and token ends at once.

    Returns how many sessions and tokens ended."""
    if user.active:
        _keep_an_admin(user)
        audit.record(actor, "user.deactivate", f"user:{user.username}", {"active": [True, False]})
    user.active = False
    return end_all_sessions(user), revoke_all_tokens(user)


def activate(user: User, *, actor=None) -> None:
    if not user.active:
        audit.record(actor, "user.activate", f"user:{user.username}", {"active": [False, True]})
    user.active = True


USER_FIELDS = ("role", "level", "community", "subdistrict", "display_name", "active")


def update_user(user: User, changes: dict, *, actor=None) -> dict:
    """Change a user's role, level, scope, display name or active flag, all checked together.

    ``changes`` holds only the fields to change (``USER_FIELDS``); community and sub-district are codes.
    A role without a scope clears it; deactivation ends every session and token at once. Returns the
    changed fields as ``{field: [before, after]}`` (recorded in the audit log)."""
    unknown = sorted(set(changes) - set(USER_FIELDS))
    if unknown:
        raise _bad(unknown[0], N_("Unknown field %(field)s."), field=unknown[0])
    for key in ("role", "level", "community", "subdistrict", "display_name"):
        value = changes.get(key)
        if value is not None and not isinstance(value, str):
            raise _bad(key, N_("%(field)s must be text."), field=key)
    if "active" in changes and not isinstance(changes["active"], bool):
        raise _bad("active", N_("%(field)s must be true or false."), field="active")
    before = user_fields(user)
    role = changes.get("role") or user.role
    level = changes.get("level", user.level)
    community = changes.get("community", before["community"])
    subdistrict = changes.get("subdistrict", before["subdistrict"])
    if role == SUBDISTRICT and "subdistrict" not in changes and user.role == COMMUNITY:
        subdistrict = None  # a community user's sub-district came with the community: name the new one
    level, community_row, subdistrict_row = _scope(
        user.username,
        role,
        (level or "").strip() or None,
        (community or "").strip() or None,
        (subdistrict or "").strip() or None,
    )
    display_name = (
        changes["display_name"].strip() if changes.get("display_name") is not None else user.display_name
    )
    _check_display_name(user.username, display_name)
    active = changes.get("active", user.active)
    if (role != "admin" or not active) and user.role == "admin" and user.active:
        _keep_an_admin(user)
    user.role, user.level, user.community, user.subdistrict = role, level, community_row, subdistrict_row
    user.display_name = display_name or user.username
    after = user_fields(user) | {"active": active}
    changed = audit.diff(before, after)
    fields = {k: v for k, v in changed.items() if k != "active"}
    if fields:
        audit.record(actor, "user.update", f"user:{user.username}", fields)
    if active != user.active:
        if active:
            activate(user, actor=actor)
        else:
            deactivate(user, actor=actor)
    db.session.flush()
    return changed


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


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; another user's token is not found."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("No such token."))
    db.session.delete(row)
