"""Robot targets, failed messages and e-mail preferences, as services over plain values.

Used by the admin API and the admin page alike; nothing here commits (the caller's ``writing()`` does)
except where a function says so, and nothing reads the request.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update

from .. import audit
from ..auth.models import User
from ..errors import N_, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community, Subdistrict
from . import channels
from .models import TARGET_KINDS, Delivery, NotifyPreference, NotifyTarget

FAILED_PAGE = 50
EMAIL_RE = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


def shown_url(url: str) -> str:
    """The address without its query (the access token is a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else "")


def check_scope(scope) -> str:
    if not isinstance(scope, str):
        raise Invalid(N_("scope must be community:CODE, subdistrict:CODE or office."), code="invalid_scope")
    scope = scope.strip()
    if scope == "office":
        return scope
    kind, _sep, code = scope.partition(":")
    model = {"community": Community, "subdistrict": Subdistrict}.get(kind)
    if model is None or not code or len(code) > 50:
        raise Invalid(N_("scope must be community:CODE, subdistrict:CODE or office."), code="invalid_scope")
    if db.session.scalar(select(model.id).where(model.code == code)) is None:
        raise Invalid(N_("Unknown community or sub-district %(scope)s."), code="unknown_scope", scope=code)
    return f"{kind}:{code}"


def targets() -> list[NotifyTarget]:
    return list(db.session.scalars(select(NotifyTarget).order_by(NotifyTarget.scope, NotifyTarget.id)))


def add_target(actor, scope, kind, url, secret, *, now: datetime) -> NotifyTarget:
    """Check and stage a new robot target (call inside ``writing()``)."""
    scope = check_scope(scope)
    if kind not in TARGET_KINDS:
        raise Invalid(N_("kind must be wecom or dingtalk."), code="invalid_kind")
    if (
        not isinstance(url, str)
        or len(url) > 1000
        or urlsplit(url.strip()).scheme not in ("http", "https")
        or not urlsplit(url.strip()).netloc
    ):
        raise Invalid(N_("url must be the robot's http(s) webhook address."), code="invalid_url")
    if secret is not None and (not isinstance(secret, str) or len(secret) > 200):
        raise Invalid(N_("secret must be text."), code="invalid_secret")
    target = NotifyTarget(
        scope=scope, kind=kind, url=url.strip(), secret=(secret or "").strip() or None, created_at=now
    )
    db.session.add(target)
    db.session.flush()
    audit.record(actor, "notify.target_add", f"notify_target:{target.id}", {"scope": scope, "kind": kind})
    return target


def target(target_id: int) -> NotifyTarget:
    found = db.session.get(NotifyTarget, target_id)
    if found is None:
        raise NotFound(N_("Not found."))
    return found


def delete_target(actor, target_id: int) -> None:
    """Remove a target and its unsent messages (call inside ``writing()``)."""
    found = target(target_id)
    db.session.execute(delete(Delivery).where(Delivery.target_id == target_id))
    audit.record(
        actor,
        "notify.target_delete",
        f"notify_target:{target_id}",
        {"scope": found.scope, "kind": found.kind},
    )
    db.session.delete(found)


def send_test(target_id: int) -> str | None:
    """Send a test message to a robot now; None when it arrived, else the error (no row is written)."""
    found = target(target_id)
    key = str(uuid.uuid4())
    title = "fieldcheck 测试消息"
    text = f"### {title}\n这是一条测试消息：机器人已接入。\n\n消息编号：{key}"
    try:
        channels.send_robot(found.kind, found.url, found.secret, title, text, key)
    except channels.SendError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Failed:
    id: int
    channel: str
    destination: str
    kind: str
    report_id: int | None
    attempts: int
    last_error: str
    failed_at: datetime
    created_at: datetime


def failed(cursor: int | None = None, limit: int = FAILED_PAGE) -> tuple[list[Failed], int | None]:
    """Messages given up on, newest first; the cursor is the last id seen."""
    query = (
        select(Delivery, NotifyTarget.scope, User.username)
        .outerjoin(NotifyTarget, NotifyTarget.id == Delivery.target_id)
        .outerjoin(User, User.id == Delivery.user_id)
        .where(Delivery.failed_at.is_not(None))
    )
    if cursor is not None:
        query = query.where(Delivery.id < cursor)
    rows = db.session.execute(query.order_by(Delivery.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    out = [
        Failed(
            d.id,
            d.channel,
            scope if d.target_id is not None else f"user:{username}",
            d.kind,
            d.report_id,
            d.attempts,
            d.last_error,
            d.failed_at,
            d.created_at,
        )
        for d, scope, username in rows[:limit]
    ]
    return out, (out[-1].id if more and out else None)


def _failed_message(delivery_id: int) -> list[int]:
    """The ids of the failed message (its batch) that ``delivery_id`` belongs to."""
    row = db.session.get(Delivery, delivery_id)
    if row is None or row.failed_at is None:
        raise NotFound(N_("Not found."))
    if row.batch_key is None:
        return [row.id]
    return list(
        db.session.scalars(
            select(Delivery.id).where(Delivery.batch_key == row.batch_key, Delivery.failed_at.is_not(None))
        )
    )


def retry(delivery_id: int, *, now: datetime) -> int:
    """Send a failed message again, with its key, from now (another 24 hours of tries); inside ``writing()``."""
    ids = _failed_message(delivery_id)
    db.session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(failed_at=None, attempts=0, next_attempt_at=now, created_at=now, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    return len(ids)


def dismiss(delivery_id: int) -> int:
    """Remove a failed message from the list (its rows are deleted); inside ``writing()``."""
    ids = _failed_message(delivery_id)
    db.session.execute(
        delete(Delivery).where(Delivery.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return len(ids)


def preference(user_id: int) -> NotifyPreference:
    return db.session.get(NotifyPreference, user_id) or NotifyPreference(
        user_id=user_id, email="", email_opt_in=False
    )


def set_preference(user_id: int, email, opt_in: bool) -> NotifyPreference:
    """A user's address and opt-in (call inside ``writing()``); opting in needs an address."""
    email = email.strip() if isinstance(email, str) else ""
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise Invalid(N_("Enter an e-mail address such as name@example.gov.cn."), code="invalid_email")
    if opt_in and not email:
        raise Invalid(N_("Enter your e-mail address to receive e-mail."), code="invalid_email")
    pref = db.session.get(NotifyPreference, user_id)
    if pref is None:
        pref = NotifyPreference(user_id=user_id)
        db.session.add(pref)
    pref.email, pref.email_opt_in = email, bool(opt_in)
    return pref
