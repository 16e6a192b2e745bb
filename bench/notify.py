"""Benchmark the notification scheduler's pass on a generated city: 1,000 communities, 200,000 reports.

The city is bench/ranking.py's (its ``generate``: 50 sub-districts of 20 communities, March 2026 with
REPORTS reports in every status, deadlines 2 to 168 hours after dispatch), plus one community user per
community and one per sub-district (so the pass writes inbox rows as in a city). "Now" is Friday
2026-03-20 10:00 local, a working day after the digest time, with many reports open near their deadline.

Timed (``fieldcheck.notify.scheduler.run``, the worker's pass before each round of sending):

* catch-up -- the first passes on a database that never ran one: every due-soon and overdue reminder (in
              batches of 500 a kind a pass), the 50 sub-districts' daily digests, the month ready; passes
              until one tells nothing; total time and per reminder;
* steady   -- a pass when everything due has been told (what the worker costs every 5 seconds);
* floor    -- one indexed COUNT of the reports the pass must look at (awaiting a fix, deadline within the
              reminder window or the overdue lookback): the least any pass can do;
* naive    -- what a first implementation would do each pass: every report awaiting a fix through the ORM
              (objects, the item through its relationship), the windows checked in Python, then one query
              per candidate for its mark.

Before timing the steady pass, the reports the naive pass finds due are checked to be exactly those the
real passes marked; otherwise exit 1. Runs on SQLite always, and on PostgreSQL too when
FIELDCHECK_TEST_DATABASE_URL is set (in a throwaway database, dropped at the end). Times are printed,
never asserted; the last line is JSON.

Run from the project root:  python bench/notify.py [--reports 200000] [--communities 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck import create_app  # noqa: E402
from fieldcheck.auth.models import User  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.extensions import db  # noqa: E402
from fieldcheck.notify import schedule, scheduler  # noqa: E402
from fieldcheck.notify.models import Notification, NotifyMark  # noqa: E402
from fieldcheck.reports.models import Report  # noqa: E402
from fieldcheck.workflow.rules import AWAITING_FIX  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ranking", ROOT / "bench" / "ranking.py")
city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(city)

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in the city


def add_users(app, communities: int) -> None:
    with app.app_context():
        rows = [
            {"username": f"c{c}", "password_hash": "x", "role": "community", "community_id": c}
            for c in range(1, communities + 1)
        ]
        rows += [
            {"username": f"sd{s}", "password_hash": "x", "role": "subdistrict", "subdistrict_id": s}
            for s in range(1, (communities + 19) // 20 + 1)
        ]
        db.session.execute(insert(User), rows)
        db.session.commit()


def timed(fn, rounds: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def naive_due(app) -> set[tuple[str, int]]:
    """Every (kind, report id) a pass must tell at NOW, found the first way one would write it."""
    out = set()
    with app.app_context():
        for r in db.session.scalars(select(Report).where(Report.status.in_(AWAITING_FIX))):
            if r.community_id is None or r.due_at is None:
                continue
            if r.due_at < NOW and r.due_at >= NOW - schedule.OVERDUE_LOOKBACK:
                kind = "overdue"
            elif NOW < r.due_at <= NOW + schedule.reminder_window(r.item.severity):
                kind = "due_soon"
            else:
                continue
            # A first implementation asks, per candidate, whether it was told (the cost timed here);
            # the set returned is every reminder due now, told or not, to compare with the marks.
            db.session.scalar(
                select(NotifyMark.id).where(
                    NotifyMark.report_id == r.id, NotifyMark.kind == kind, NotifyMark.due_at == r.due_at
                )
            )
            out.add((kind, r.id))
        db.session.remove()
    return out


def floor(app) -> int:
    with app.app_context():
        n = db.session.scalar(
            select(func.count())
            .select_from(Report)
            .where(
                Report.status.in_(AWAITING_FIX),
                Report.due_at >= NOW - schedule.OVERDUE_LOOKBACK,
                Report.due_at <= NOW + schedule.DUE_SOON,
            )
        )
        db.session.remove()
    return n


def one_pass(app) -> scheduler.Planned:
    with app.app_context():
        planned = scheduler.run(NOW)
        db.session.remove()
    return planned


def run_backend(name: str, url: str, args) -> dict:
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "BLOB_DIR": tempfile.mkdtemp(),
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    t0 = time.perf_counter()
    city.generate(app, args.communities, args.reports, args.seed)
    add_users(app, args.communities)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    print(
        f"[{name}] generated {args.communities} communities, {args.reports:,} reports in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    passes, told = 0, 0
    marked = -1
    while True:  # until a pass marks nothing new
        planned = one_pass(app)
        passes += 1
        told += planned.due_soon + planned.overdue + planned.digests + planned.months
        with app.app_context():
            now_marked = db.session.scalar(select(func.count()).select_from(NotifyMark))
            db.session.remove()
        if now_marked == marked:
            break
        marked = now_marked
    catch_up_s = time.perf_counter() - t0
    with app.app_context():
        marks = {
            (k, r)
            for k, r in db.session.execute(
                select(NotifyMark.kind, NotifyMark.report_id).where(NotifyMark.report_id.is_not(None))
            )
        }
        inbox_rows = db.session.scalar(select(func.count()).select_from(Notification))
        db.session.remove()
    naive_s, due = timed(lambda: naive_due(app), 1)
    # The real passes skip a due-soon whose whole deadline is shorter than its window (wants_due_soon);
    # they still mark it. So the marks must be exactly the naive set.
    if marks != due:
        print(f"[{name}] MISMATCH: {len(marks)} marked, {len(due)} due by the naive pass", file=sys.stderr)
        sys.exit(1)
    steady_s, _ = timed(lambda: one_pass(app), args.rounds)
    floor_s, looked_at = timed(lambda: floor(app), args.rounds)
    figures = {
        "catch_up_s": round(catch_up_s, 2),
        "catch_up_passes": passes,
        "told": told,
        "marks": len(marks),
        "inbox_rows": inbox_rows,
        "ms_per_reminder": round(catch_up_s * 1000 / max(len(marks), 1), 2),
        "steady_ms": round(steady_s * 1000, 1),
        "floor_ms": round(floor_s * 1000, 1),
        "steady_vs_floor": round(steady_s / floor_s, 1),
        "naive_ms": round(naive_s * 1000),
        "naive_vs_steady": round(naive_s / steady_s, 1),
        "reports_in_window": looked_at,
    }
    print(
        f"[{name}] catch-up: {passes} passes, {told} told ({len(marks)} reminders, {inbox_rows} inbox rows) in "
        f"{catch_up_s:.2f} s ({figures['ms_per_reminder']} ms a reminder)"
    )
    print(
        f"[{name}] steady pass {steady_s * 1000:.1f} ms; floor (one COUNT of {looked_at} reports) "
        f"{floor_s * 1000:.1f} ms, x{figures['steady_vs_floor']}; naive pass {naive_s * 1000:.0f} ms, "
        f"x{figures['naive_vs_steady']} the steady pass"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = {"communities": args.communities, "reports": args.reports}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if pg:
        server = make_url(normalise_database_url(pg))
        name = f"fieldcheck_bench_notify_{os.getpid()}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            figures["postgresql"] = run_backend(
                "postgresql", server.set(database=name).render_as_string(hide_password=False), args
            )
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
