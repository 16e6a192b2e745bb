"""The outbox worker: claim due deliveries, group them into messages, send, record.

Claiming is one short transaction: due rows are read ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (two
workers never take the same row) and given a lease (``locked_until``), which is also what keeps a single
worker on SQLite honest. Rows of one destination are grouped into one message (a batch) whose key is
written before anything is sent; a batch, once formed, is only ever resent with the same key. So a worker
that dies after sending and before recording leaves a batch whose lease runs out; the next worker resends
it with the same key, which the receiver de-duplicates: at most one extra send, never a different one.

Failures back off from one minute, doubling, to one hour; a message still unsent 24 hours after it was
written is marked failed. Each robot receives at most ``PER_MINUTE`` messages a minute (its documented
limit); what does not fit waits, batched, for the next round.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from ..extensions import db
from ..types import utcnow
from ..unit_of_work import writing
from . import channels, messages, scheduler
from .models import Delivery, NotifyPreference, NotifyTarget

LEASE = timedelta(minutes=5)
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
PER_MINUTE = 20
MAX_ITEMS = 10
CLAIM_LIMIT = 500


@dataclass
class Batch:
    key: str
    channel: str
    target_id: int | None
    user_id: int | None
    ids: list[int] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)


@dataclass
class Result:
    sent: int = 0
    failed: int = 0
    retry: int = 0
    messages: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed tries: 1, 2, 4 ... minutes, at most an hour."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _destination(row: Delivery) -> tuple:
    return ("target", row.target_id) if row.target_id is not None else ("user", row.user_id, row.channel)


def claim(now: datetime, lease: timedelta = LEASE) -> list[Batch]:
    """Take due deliveries, form batches, lease them; one transaction, committed before any sending
    (exclusive: on SQLite two workers must not read the same due rows before either leases them)."""
    with writing(exclusive=True):
        return _claim(now, lease)


def _claim(now: datetime, lease: timedelta) -> list[Batch]:
    query = (
        select(Delivery)
        .where(
            Delivery.sent_at.is_(None),
            Delivery.failed_at.is_(None),
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now),
        )
        .order_by(Delivery.batch_key.is_(None), Delivery.batch_key, Delivery.id)
        .limit(CLAIM_LIMIT)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(db.session.scalars(query))
    batches: dict[str, Batch] = {}
    fresh: dict[tuple, list[Delivery]] = defaultdict(list)
    for row in rows:
        if row.batch_key is not None:
            batch = batches.setdefault(
                row.batch_key, Batch(row.batch_key, row.channel, row.target_id, row.user_id)
            )
            batch.ids.append(row.id)
            batch.items.append(_item(row))
        else:
            fresh[_destination(row)].append(row)
    for dest, group in fresh.items():
        room = None
        if dest[0] == "target":
            recent = (
                db.session.scalar(
                    select(func.count(func.distinct(Delivery.batch_key))).where(
                        Delivery.target_id == dest[1], Delivery.batched_at > now - timedelta(minutes=1)
                    )
                )
                or 0
            )
            room = max(PER_MINUTE - recent - sum(1 for b in batches.values() if b.target_id == dest[1]), 0)
        chunks = [group[i : i + MAX_ITEMS] for i in range(0, len(group), MAX_ITEMS)]
        if room is not None:
            chunks = chunks[:room]
        for chunk in chunks:
            key = chunk[0].idempotency_key
            batch = batches[key] = Batch(key, chunk[0].channel, chunk[0].target_id, chunk[0].user_id)
            for row in chunk:
                row.batch_key, row.batched_at = key, now
                batch.ids.append(row.id)
                batch.items.append(_item(row))
    for batch in batches.values():
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(batch.ids))
            .values(locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
    return list(batches.values())


def _item(row: Delivery) -> dict:
    return {"kind": row.kind, "report_id": row.report_id, "payload": dict(row.payload or {})}


def send(batch: Batch) -> None:
    title, text = messages.render_batch(batch.items, batch.key)
    if batch.target_id is not None:
        target = db.session.get(NotifyTarget, batch.target_id)
        if target is None:
            raise channels.SendError("the target was removed")
        channels.send_robot(target.kind, target.url, target.secret, title, text, batch.key)
    else:
        pref = db.session.get(NotifyPreference, batch.user_id)
        if pref is None or not pref.email_opt_in or not pref.email:
            raise channels.SendError("the user turned e-mail off")
        config = current_app.config
        channels.send_email(
            config.get("SMTP_URL"),
            config.get("MAIL_FROM") or "fieldcheck@localhost",
            pref.email,
            f"[fieldcheck] {title}",
            text,
            batch.key,
        )


def record(batch: Batch, now: datetime, error: str | None) -> str:
    """Write the outcome of one send: 'sent', 'retry' or 'failed'."""
    with writing():
        return _record(batch, now, error)


def _record(batch: Batch, now: datetime, error: str | None) -> str:
    where = Delivery.id.in_(batch.ids)
    if error is None:
        db.session.execute(
            update(Delivery)
            .where(where)
            .values(sent_at=now, locked_until=None, last_error="")
            .execution_options(synchronize_session=False)
        )
        outcome = "sent"
    else:
        rows = list(db.session.scalars(select(Delivery).where(where)))
        attempts = max(r.attempts for r in rows) + 1
        oldest = min(r.created_at for r in rows)
        give_up = now - oldest >= GIVE_UP_AFTER
        db.session.execute(
            update(Delivery)
            .where(where)
            .values(
                attempts=attempts,
                last_error=error[:1000],
                locked_until=None,
                next_attempt_at=now + backoff(attempts),
                failed_at=now if give_up else None,
            )
            .execution_options(synchronize_session=False)
        )
        outcome = "failed" if give_up else "retry"
    return outcome


def run_once(
    now: Callable[[], datetime] = utcnow, after_send: Callable[[Batch], None] | None = None
) -> Result:
    """Send what is due now. ``after_send`` runs between sending and recording (tests kill a worker there)."""
    result = Result()
    for batch in claim(now()):
        try:
            send(batch)
            error = None
        except channels.SendError as exc:
            error = str(exc)
        if after_send is not None:
            after_send(batch)
        outcome = record(batch, now(), error)
        result.messages += 1
        setattr(result, outcome, getattr(result, outcome) + len(batch.ids))
    return result


def run_round(now: Callable[[], datetime] = utcnow) -> tuple[scheduler.Planned, Result]:
    """The scheduler pass (reminders, digests), then everything due is sent."""
    planned = scheduler.run(now())
    return planned, run_once(now)


def run_forever(
    interval: float = 5.0, log: Callable[[str], None] = print, stop: Callable[[], bool] = lambda: False
) -> None:
    while not stop():
        try:
            _planned, result = run_round()
        except Exception as exc:  # a database hiccup: log, wait, go on
            db.session.rollback()
            log(f"notify: {type(exc).__name__}: {exc}")
            result = Result()
        if result.messages:
            log(
                f"notify: {result.messages} messages, {result.sent} sent, {result.retry} to retry, "
                f"{result.failed} failed"
            )
        db.session.remove()
        time.sleep(interval)
