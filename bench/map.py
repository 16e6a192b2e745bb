"""Benchmark the map's API on a generated city: 1,000 communities and 200,000 reports in a month.

The city is bench/ranking.py's (its ``generate``: 50 sub-districts of 20 communities on a grid of 1 km
cells, March 2026 with REPORTS reports and February a tenth as many), plus a boundary version with each
community's 1 km square. Rows go in with bulk INSERTs.

Timed through the Flask test client (the whole request: routing, login by bearer token, queries, JSON):

* reports/district   -- GET /api/v1/map/reports?month=2026-03&bbox=<the city>   as the office (limit 2000)
* reports/community  -- the same with the bbox of one community's square          as the office
* reports/overdue    -- the city's bbox, status=dispatched,suspended&overdue=1     as the office
* reports/subdistrict -- the city's bbox                                          as sub-district staff
* reports/own        -- the city's bbox                                           as community staff
* communities/cold   -- GET /api/v1/map/communities?month=2026-03, the ranking computed (its month cache row deleted first)
* communities/warm   -- the same with the month read from the month cache (ranking/monthcache.py)

Baseline in the same run, what a first implementation would do: load every report the user may see through
the ORM (objects, the item through its relationship), filter in Python, cut to the limit; for the
communities, the ranking computed, each community's boundary through the ORM and its open reports loaded
as objects and counted in Python. The answers of both are compared (same ids, same counts) before timing.

Runs on SQLite always, and on PostgreSQL too when FIELDCHECK_TEST_DATABASE_URL is set (in a throwaway
database of its own, dropped at the end). Times are printed, never asserted; the last line is JSON.

Run from the project root:  python bench/map.py [--reports 200000] [--communities 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck import create_app  # noqa: E402
from fieldcheck.auth.services import NewUser, add_user  # noqa: E402
from fieldcheck.calendar import month_bounds  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.extensions import db  # noqa: E402
from fieldcheck.geography.models import BoundaryVersion, Community, CommunityBoundary  # noqa: E402
from fieldcheck.map import queries as map_queries  # noqa: E402
from fieldcheck.ranking import services as ranking_services  # noqa: E402
from fieldcheck.ranking.models import MonthCache  # noqa: E402
from fieldcheck.reports.models import Report  # noqa: E402
from fieldcheck.workflow import rules  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ranking", ROOT / "bench" / "ranking.py")
city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(city)

MONTH, TZ, TZ_NAME = city.MONTH, city.TZ, city.TZ_NAME
NOW = datetime(2026, 3, 20, tzinfo=UTC)  # mid-month: many reports open, some overdue
PASSWORD = "bench-password-1"


def add_boundaries(app, communities: int) -> None:
    side = math.ceil(math.sqrt(communities))
    with app.app_context():
        version = BoundaryVersion(
            source_name="bench", sha256="0" * 64, feature_count=communities, activated_at=datetime.now(UTC)
        )
        db.session.add(version)
        db.session.flush()
        rows = []
        for c in range(communities):
            lat, lon = city.LAT0 + (c // side) * city.CELL, city.LON0 + (c % side) * city.CELL
            ring = [
                [lon, lat],
                [lon + city.CELL, lat],
                [lon + city.CELL, lat + city.CELL],
                [lon, lat + city.CELL],
                [lon, lat],
            ]
            rows.append(
                {
                    "version_id": version.id,
                    "community_id": c + 1,
                    "geometry": json.dumps({"type": "Polygon", "coordinates": [ring]}),
                    "centroid_lat": lat + city.CELL / 2,
                    "centroid_lon": lon + city.CELL / 2,
                }
            )
        db.session.execute(insert(CommunityBoundary), rows)
        add_user(NewUser("office", PASSWORD, "office"))
        add_user(NewUser("sd", PASSWORD, "subdistrict", subdistrict="SD001"))
        add_user(NewUser("comm", PASSWORD, "community", community="C0001"))
        db.session.commit()


def bearer(client, username: str) -> dict:
    body = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()
    return {"Authorization": f"Bearer {body['token']}"}


def timed(fn, rounds: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), value


# ---------------------------------------------------------------------------------------------------
# The naive baseline


def naive_reports(app, principal, *, bbox, statuses=(), overdue=False, limit=2000) -> list[int]:
    start, end = month_bounds(MONTH, TZ)
    with app.app_context():
        from fieldcheck.permissions import can_view_place
        from fieldcheck.reports.queries import place_of

        out = []
        for r in db.session.scalars(select(Report).order_by(Report.observed_at.desc(), Report.id.desc())):
            if not can_view_place(principal, place_of(r)) or r.lat is None:
                continue
            if not (start <= r.observed_at < end) or not (
                bbox[0] <= r.lon <= bbox[2] and bbox[1] <= r.lat <= bbox[3]
            ):
                continue
            if statuses and r.status not in statuses:
                continue
            is_overdue = rules.is_overdue(r.status, r.due_at, NOW)
            if overdue and not is_overdue:
                continue
            out.append({"id": r.id, "status": r.status, "item_code": r.item.code, "overdue": is_overdue})
            if len(out) > limit:
                break
        db.session.remove()
    return [x["id"] for x in out[:limit]]


def naive_communities(app) -> dict[str, tuple]:
    with app.app_context():
        document = ranking_services.compute(MONTH, now=NOW, tz_name=TZ_NAME).document
        standing = {c["code"]: (c["score"], c["rank"]) for c in document["communities"]}
        version = db.session.scalar(select(BoundaryVersion).order_by(BoundaryVersion.id.desc()))
        out = {}
        for community in db.session.scalars(select(Community).order_by(Community.code)):
            boundary = db.session.scalar(
                select(CommunityBoundary).where(
                    CommunityBoundary.version_id == version.id, CommunityBoundary.community_id == community.id
                )
            )
            json.loads(boundary.geometry)
            open_reports = db.session.scalars(
                select(Report).where(Report.community_id == community.id, Report.status.in_(rules.OPEN))
            ).all()
            overdue = sum(rules.is_overdue(r.status, r.due_at, NOW) for r in open_reports)
            out[community.code] = (*standing.get(community.code, (None, None)), len(open_reports), overdue)
        db.session.remove()
    return out


# ---------------------------------------------------------------------------------------------------


def run_backend(name: str, url: str, args) -> dict:
    import fieldcheck.map.api as map_api
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
    t0 = time.perf_counter()
    city.generate(app, args.communities, args.reports, args.seed)
    add_boundaries(app, args.communities)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    print(
        f"[{name}] generated {args.communities} communities, {args.reports:,} March reports in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    map_api.utcnow = lambda: NOW  # the map's "now" is mid-March, when the reports are open
    types_module.utcnow = lambda: NOW
    side = math.ceil(math.sqrt(args.communities))
    whole = (city.LON0, city.LAT0, city.LON0 + side * city.CELL, city.LAT0 + side * city.CELL)
    one = (
        city.LON0 + 3 * city.CELL,
        city.LAT0 + 3 * city.CELL,
        city.LON0 + 4 * city.CELL,
        city.LAT0 + 4 * city.CELL,
    )
    client = app.test_client()
    tokens = {u: bearer(client, u) for u in ("office", "sd", "comm")}

    def get(user: str, path: str) -> dict:
        response = client.get(path, headers=tokens[user])
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def box(b):
        return ",".join(f"{x:.6f}" for x in b)

    cases = {
        "reports/district": ("office", f"bbox={box(whole)}", {"bbox": whole}),
        "reports/community": ("office", f"bbox={box(one)}", {"bbox": one}),
        "reports/overdue": (
            "office",
            f"bbox={box(whole)}&status=dispatched,suspended&overdue=1",
            {"bbox": whole, "statuses": ("dispatched", "suspended"), "overdue": True},
        ),
        "reports/subdistrict": ("sd", f"bbox={box(whole)}", {"bbox": whole}),
        "reports/own": ("comm", f"bbox={box(whole)}", {"bbox": whole}),
    }
    with app.app_context():
        from fieldcheck.auth.models import User
        from fieldcheck.web import principal_of

        principals = {
            u: principal_of(db.session.scalar(select(User).where(User.username == u)))
            for u in ("office", "sd", "comm")
        }
        db.session.remove()
    figures = {}
    for case, (user, query, naive_args) in cases.items():
        path = f"/api/v1/map/reports?month={MONTH}&{query}"
        fast_s, body = timed(lambda u=user, p=path: get(u, p), args.rounds)
        naive_s, naive_ids = timed(lambda u=user, a=naive_args: naive_reports(app, principals[u], **a), 1)
        ids = [f["properties"]["id"] for f in body["features"]]
        assert ids == naive_ids, f"{case}: the API and the baseline disagree"
        figures[case] = {
            "ms": round(fast_s * 1000, 1),
            "naive_ms": round(naive_s * 1000),
            "ratio": round(naive_s / fast_s, 1),
            "features": len(ids),
            "truncated": body["truncated"],
        }
        print(
            f"[{name}] {case:22s} {fast_s * 1000:8.1f} ms  naive {naive_s * 1000:8.0f} ms  "
            f"x{naive_s / fast_s:6.1f}  ({len(ids)} points{', truncated' if body['truncated'] else ''})"
        )

    path = f"/api/v1/map/communities?month={MONTH}"

    def cold():  # the month cache's row gone: the month is computed (and stored again)
        with app.app_context():
            db.session.execute(delete(MonthCache))
            db.session.commit()
            db.session.remove()
        return get("office", path)

    cold_s, body = timed(cold, args.rounds)
    get("office", path)
    warm_s, body = timed(lambda: get("office", path), args.rounds)
    naive_s, naive = timed(lambda: naive_communities(app), 1)
    mine = {
        f["properties"]["code"]: (
            f["properties"]["score"],
            f["properties"]["rank"],
            f["properties"]["open"],
            f["properties"]["overdue"],
        )
        for f in body["features"]
    }
    assert mine == naive, "communities: the API and the baseline disagree"
    for case, s in (("communities/cold", cold_s), ("communities/warm", warm_s)):
        figures[case] = {
            "ms": round(s * 1000, 1),
            "naive_ms": round(naive_s * 1000),
            "ratio": round(naive_s / s, 1),
            "features": len(mine),
        }
        print(f"[{name}] {case:22s} {s * 1000:8.1f} ms  naive {naive_s * 1000:8.0f} ms  x{naive_s / s:6.1f}")
    if name == "postgresql":
        with app.app_context():
            query = map_queries.report_query(
                principals["office"],
                map_queries.ReportFilter(bbox=one, observed=month_bounds(MONTH, TZ)),
                NOW,
            ).limit(2001)
            compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars().all()
            print(f"[{name}] plan of reports/community:\n  " + "\n  ".join(plan))
            db.session.remove()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    figures = {"communities": args.communities, "reports": args.reports, "load_1min": os.getloadavg()[0]}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            figures["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if pg:
        server = make_url(normalise_database_url(pg))
        name = f"fieldcheck_bench_map_{os.getpid()}"
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
