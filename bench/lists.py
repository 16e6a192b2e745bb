"""Benchmark the report list API at a city's scale: GET /api/v1/reports with filters and cursors.

The city is bench/ranking.py's (its ``generate``: 50 sub-districts of 20 communities, March 2026 with
REPORTS reports and February a tenth as many; default 1,000,000 in March, so every list below runs over
1.1 million rows), with an office, a sub-district and a community user. Rows go in with bulk INSERTs;
PostgreSQL is ANALYZEd after.

Timed through the Flask test client (the whole request: routing, bearer token, queries, JSON), as the
office, sub-district staff and community staff:

* first        -- the first page of 50, newest first (with ``total``, as older clients expect)
* deep/cursor  -- the page after the 20,000th report, reached by its cursor
* deep/offset  -- the same page by ``page=401`` (the baseline: OFFSET paging, and a count per page)
* overdue      -- ``status=dispatched,suspended&overdue=1``, first page
* community    -- ``community=C0017`` (office) / the sub-district's first community, first page
* category     -- ``category=ENV``, first page
* number       -- ``q=#<id>``
* words        -- ``q=<a word of some notes>``

The cursor and the offset must give the same rows (checked before timing). Runs on PostgreSQL only
(FIELDCHECK_TEST_DATABASE_URL, in a throwaway database dropped at the end): a city's deployment; SQLite
with ``--sqlite``. Times are printed, never asserted; the last line is JSON.

Run from the project root:  python bench/lists.py [--reports 1000000] [--rounds 5]
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

from sqlalchemy import create_engine, select, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck import create_app  # noqa: E402
from fieldcheck.auth.services import NewUser, add_user  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.extensions import db  # noqa: E402
from fieldcheck.reports.models import Report  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ranking", ROOT / "bench" / "ranking.py")
city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(city)

NOW = datetime(2026, 3, 20, tzinfo=UTC)  # mid-month: many reports open, some overdue
PASSWORD = "bench-password-1"
DEEP = 20_000
WORD = "纸箱"


def prepare(app, reports: int, seed: int) -> None:
    t0 = time.perf_counter()
    city.generate(app, 1000, reports, seed)
    with app.app_context():
        add_user(NewUser("office", PASSWORD, "office"))
        add_user(NewUser("sd", PASSWORD, "subdistrict", subdistrict="SD001"))
        add_user(NewUser("comm", PASSWORD, "community", community="C0001"))
        # One report in a thousand mentions cardboard boxes: what a word search looks for.
        db.session.execute(update(Report).where(Report.id % 1000 == 7).values(note=f"单元门口堆放{WORD}"))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    print(f"generated {reports:,} March reports (+10% in February) in {time.perf_counter() - t0:.0f} s")


def timed(fn, rounds: int) -> tuple[float, float, object]:
    times, value = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[-1], value


def run_backend(name: str, url: str, args) -> dict:
    import fieldcheck.types as types_module

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "BLOB_DIR": tempfile.mkdtemp(),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    prepare(app, args.reports, args.seed)
    types_module.utcnow = lambda: NOW
    client = app.test_client()

    def token(username):
        body = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()
        return {"Authorization": f"Bearer {body['token']}"}

    tokens = {u: token(u) for u in ("office", "sd", "comm")}

    def get(user, query):
        size = "" if "per_page=" in query else "per_page=50&"
        response = client.get(f"/api/v1/reports?{size}{query}", headers=tokens[user])
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    with app.app_context():
        some_id = db.session.scalar(select(Report.id).where(Report.id % 997 == 3).limit(1))
        db.session.remove()
    figures: dict = {}
    for user in ("office", "sd", "comm"):
        # The cursor after the DEEP-th report (checked against OFFSET below).
        cursor = get(user, f"per_page=1&page={DEEP}")["next_cursor"]
        community = "C0017" if user == "office" else "C0001"
        cases = {
            "first": "",
            "deep/offset": f"page={DEEP // 50 + 1}",
            "overdue": "status=dispatched,suspended&overdue=1",
            "community": f"community={community}",
            "category": "category=ENV",
            "number": f"q=%23{some_id}",
            "words": f"q={WORD}",
        }
        if cursor:
            cases["deep/cursor"] = f"cursor={cursor}"
            by_cursor = [r["id"] for r in get(user, cases["deep/cursor"])["reports"]]
            by_offset = [r["id"] for r in get(user, cases["deep/offset"])["reports"]]
            assert by_cursor == by_offset, f"{user}: cursor and offset disagree"
        for case, query in cases.items():
            median, worst, body = timed(lambda u=user, q=query: get(u, q), args.rounds)
            figures[f"{user}/{case}"] = {
                "ms": round(median * 1000, 1),
                "max_ms": round(worst * 1000, 1),
                "rows": len(body["reports"]),
            }
            print(
                f"[{name}] {user:6s} {case:12s} {median * 1000:8.1f} ms (max {worst * 1000:7.1f})  "
                f"{len(body['reports'])} rows{'' if 'total' not in body else ', total ' + str(body['total'])}"
            )
        if "deep/cursor" in cases:
            ratio = figures[f"{user}/deep/offset"]["ms"] / figures[f"{user}/deep/cursor"]["ms"]
            print(f"[{name}] {user:6s} deep page: offset/cursor x{ratio:.1f}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    figures: dict = {"reports": args.reports, "load_1min": os.getloadavg()[0]}
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            figures["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if pg:
        server = make_url(normalise_database_url(pg))
        name = f"fieldcheck_bench_lists_{os.getpid()}"
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
