"""Benchmark the month cache (fieldcheck/ranking/monthcache.py): the pages that read a computed month, cold
(the month's cached row deleted before each request: scored from the data, then stored) and warm (read
from the database), with the ratio printed in the same run; and the office home's top problem items.

The city is bench/ranking.py's (its ``generate``): REPORTS reports in March 2026, a tenth as many in
February. Timed through the Flask test client, whole requests, logged in by the login form:

* /ranking/2026-03 as the office, on 15 April (a month that is over, not published);
* /community as a community user and /subdistrict as sub-district staff, on 31 March (the landing card
  reads this month's standing);
* /office on 31 March (the top problem items of the last six months, ``ranking.problems``: cold, every
  one of the six months is computed; warm, read).

The map's communities layer reads the same cache: bench/map.py times it cold and warm.

Runs on SQLite always, and on PostgreSQL too when FIELDCHECK_TEST_DATABASE_URL is set (in a throwaway
database of its own, dropped at the end).

Run from the project root:  python bench/monthcache.py [--reports 83000] [--communities 1000] [--rounds 5]
The last line of output is one JSON object of the figures. Times are printed, never asserted.
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

from sqlalchemy import create_engine, delete, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck import create_app  # noqa: E402
from fieldcheck.auth.services import NewUser, add_user  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.extensions import db  # noqa: E402
from fieldcheck.ranking.models import MonthCache  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ranking", ROOT / "bench" / "ranking.py")
city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(city)

PASSWORD = "bench-password-1"
MONTH = city.MONTH
AFTER = datetime(2026, 4, 15, 2, tzinfo=UTC)  # March is over
IN_MARCH = datetime(2026, 3, 31, 6, tzinfo=UTC)  # March is the current month


class _Clock:
    now = AFTER


class _Datetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return _Clock.now.astimezone(tz) if tz is not None else _Clock.now.replace(tzinfo=None)


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run_backend(name: str, url: str, args) -> dict:
    import fieldcheck.types as types_module

    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "BLOB_DIR": tempfile.mkdtemp(),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    t0 = time.perf_counter()
    city.generate(app, args.communities, args.reports, args.seed)
    with app.app_context():
        add_user(NewUser("office", PASSWORD, "office"))
        add_user(NewUser("sd", PASSWORD, "subdistrict", subdistrict="SD001"))
        add_user(NewUser("comm", PASSWORD, "community", community="C0001"))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    print(f"[{name}] generated {args.reports:,} March reports in {time.perf_counter() - t0:.1f} s")
    types_module.datetime = _Datetime
    clients = {}
    for user in ("office", "sd", "comm"):
        clients[user] = app.test_client()
        response = clients[user].post("/login", data={"username": user, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]

    def get(user: str, path: str):
        response = clients[user].get(path)
        assert response.status_code == 200, (path, response.status_code)

    def forget():
        with app.app_context():
            db.session.execute(delete(MonthCache))
            db.session.commit()
            db.session.remove()

    cases = {
        "ranking page": ("office", f"/ranking/{MONTH}", AFTER),
        "community home": ("comm", "/community", IN_MARCH),
        "sub-district home": ("sd", "/subdistrict", IN_MARCH),
        "office home": ("office", "/office", IN_MARCH),
    }
    figures = {}
    for case, (user, path, now) in cases.items():
        _Clock.now = now
        get(user, path)  # warm the process (templates, checklist parse)

        def cold(user=user, path=path):
            forget()
            get(user, path)

        cold_s = statistics.median(timed(cold, args.rounds))
        get(user, path)
        warm_s = statistics.median(timed(lambda user=user, path=path: get(user, path), args.rounds))
        figures[case] = {"cold_ms": round(cold_s * 1000, 1), "warm_ms": round(warm_s * 1000, 1)}
        print(
            f"[{name}] {case:18s} cold {cold_s * 1000:8.1f} ms  warm {warm_s * 1000:8.1f} ms  "
            f"x{cold_s / warm_s:6.1f}  (median of {args.rounds})"
        )
    with app.app_context():
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=83_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures: dict = {"communities": args.communities, "reports": args.reports, "load_avg": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if pg:
        server = make_url(normalise_database_url(pg))
        name = f"fieldcheck_bench_mc_{os.getpid()}"
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
