"""Benchmark the monthly ranking on a generated city: 1,000 communities and 200,000 reports in a month.

The city (seeded): 50 sub-districts of 20 communities on a grid of 1 km cells, five spots each, the default
checklist and the 2026 calendar. March 2026 gets REPORTS reports (observed across the month, items, spots,
positions, who found them and statuses drawn at random: most closed, some late, returned, voided,
suspended, under appeal), February a tenth as many closed reports that make some March reports repeats,
and half the communities a visit. Rows go in with bulk INSERTs, not through the filing service.

On the same database it times:

* ranking  -- fieldcheck.ranking.services.compute: the checklist, a few set-based queries, scoring every
              community, the document (breakdowns are built when first read: not here); also timed stage
              by stage (load, score, document) and with every breakdown built (what publishing and the
              XLSX need);
* xlsx     -- fieldcheck.ranking.exports.to_xlsx of a freshly computed document: building every breakdown
              and writing every deduction on its own row (what "download XLSX" costs after the ranking);
* published -- fieldcheck.ranking.services.ranking of the month once published: what a GET of a published
              month costs (the recomputation, the snapshot's summary read and compared with it);
* naive    -- what a first implementation would do: for each community, one ORM query for its month's
              reports, one for its items due, one for its visits, then per report the item through the
              relationship and one query for the earlier closed reports of that item near it (repeats),
              scored with the same pure functions. It is timed on a sample of communities and scaled to all.

Before timing, the naive scores of the sample must equal the real ones exactly; otherwise exit 1.
Runs on SQLite always, and on PostgreSQL too when FIELDCHECK_TEST_DATABASE_URL is set (in a throwaway
database of its own, dropped at the end).

Run from the project root:  python bench/ranking.py [--reports 200000] [--communities 1000] [--sample 40]
The last line of output is one JSON object of the figures. Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, or_, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck import create_app  # noqa: E402
from fieldcheck.auth.models import User  # noqa: E402
from fieldcheck.calendar import month_bounds  # noqa: E402
from fieldcheck.calendar import services as calendar_services  # noqa: E402
from fieldcheck.checklist import services as checklist_services  # noqa: E402
from fieldcheck.checklist.models import ChecklistItem  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.extensions import db  # noqa: E402
from fieldcheck.geo import distance_m  # noqa: E402
from fieldcheck.geography.models import Community, Spot, Subdistrict  # noqa: E402
from fieldcheck.ranking import exports, services  # noqa: E402
from fieldcheck.ranking.document import build as build_document  # noqa: E402
from fieldcheck.reports.models import Report, Visit  # noqa: E402
from fieldcheck.scoring import CommunityFact, MonthFacts, ReportFact, score_month  # noqa: E402

MONTH = "2026-03"
TZ_NAME = "Asia/Shanghai"
TZ = ZoneInfo(TZ_NAME)
NOW = datetime(2026, 4, 15, tzinfo=UTC)
LAT0, LON0 = 34.60, 112.30
CELL = 0.009  # about 1 km
SPOT_TYPES = ("RES", "ALY", "ROAD", "MKT", "XING", "WC", "CEN", "PARK")
STATUSES = [
    ("closed", 55),
    ("rectified", 10),
    ("dispatched", 22),
    ("voided", 5),
    ("suspended", 4),
    ("appealed", 4),
]
FOUND_BY = ("third_party", "city", "district", "district", "subdistrict")


# ---------------------------------------------------------------------------------------------------
# The city


def generate(app, communities: int, reports: int, seed: int) -> None:
    rng = random.Random(seed)
    with app.app_context():
        checklist_services.import_checklist(checklist_services.default_checklist_text())
        calendar_services.import_calendar(calendar_services.default_calendar_text(), "calendar-2026.yaml")
        db.session.add(User(username="insp", password_hash="x", role="inspector", level="district"))
        db.session.commit()
        inspector = db.session.scalar(select(User.id))
        items = db.session.execute(select(ChecklistItem.id, ChecklistItem.spot_types)).all()
        per_sd = 20
        db.session.execute(
            insert(Subdistrict),
            [
                {"id": s + 1, "code": f"SD{s + 1:03d}", "name": f"第{s + 1}街道"}
                for s in range(math.ceil(communities / per_sd))
            ],
        )
        side = math.ceil(math.sqrt(communities))
        rows, spots, centres = [], [], {}
        for c in range(communities):
            types = ["RES", *rng.sample(SPOT_TYPES[1:], rng.randint(1, 4))]
            rows.append(
                {
                    "id": c + 1,
                    "code": f"C{c + 1:04d}",
                    "name": f"社区{c + 1}",
                    "subdistrict_id": c // per_sd + 1,
                    "spot_types": types,
                }
            )
            lat, lon = LAT0 + (c // side) * CELL, LON0 + (c % side) * CELL
            centres[c + 1] = (lat, lon)
            for k in range(5):
                spots.append(
                    {
                        "id": c * 5 + k + 1,
                        "code": f"C{c + 1:04d}-{k}",
                        "name": f"点位{k}",
                        "spot_type": types[k % len(types)],
                        "community_id": c + 1,
                        "lat": lat + rng.uniform(0, CELL),
                        "lon": lon + rng.uniform(0, CELL),
                    }
                )
        db.session.execute(insert(Community), rows)
        db.session.execute(insert(Spot), spots)
        db.session.commit()

        start, end = month_bounds(MONTH, TZ)
        span = (end - start).total_seconds()
        statuses = [s for s, w in STATUSES for _ in range(w)]

        def row(i: int, observed: datetime, status: str) -> dict:
            cid = rng.randint(1, communities)
            item_id, _types = items[rng.randrange(len(items))]
            spot = (cid - 1) * 5 + rng.randrange(5) + 1 if rng.random() < 0.6 else None
            lat, lon = centres[cid]
            lat, lon = lat + rng.uniform(0, CELL), lon + rng.uniform(0, CELL)
            due = observed + timedelta(hours=rng.choice((2, 24, 72, 168)))
            rectified = closed = None
            rework = 0
            if status in ("rectified", "closed", "appealed") or (status == "voided" and rng.random() < 0.3):
                rectified = observed + timedelta(hours=rng.uniform(1, 200))
            if status == "closed":
                rectified = rectified or observed + timedelta(hours=5)
                closed = rectified + timedelta(hours=rng.uniform(1, 48))
                rework = 1 if rng.random() < 0.1 else 0
            cid_ = str(uuid.UUID(int=rng.getrandbits(128)))
            return {
                "client_id": cid_,
                "content_hash": "0" * 64,
                "inspector_id": inspector,
                "item_id": item_id,
                "community_id": cid,
                "spot_id": spot,
                "lat": lat,
                "lon": lon,
                "accuracy_m": 8.0,
                "location_source": "device",
                "observed_at": observed,
                "received_at": observed,
                "instances": rng.randint(1, 3),
                "note": "",
                "found_by": rng.choice(FOUND_BY),
                "status": status,
                "dispatched_at": observed,
                "due_at": due,
                "rectified_at": rectified,
                "closed_at": closed,
                "rework_count": rework,
                "flags": [],
                "version": 1,
            }

        batch: list[dict] = []
        prior = reports // 10
        for i in range(reports + prior):
            if i < prior:  # February, closed: repeat sources
                observed = start - timedelta(seconds=rng.uniform(3600, 25 * 86400))
                batch.append(row(i, observed, "closed"))
            else:
                observed = start + timedelta(seconds=rng.uniform(0, span - 1))
                batch.append(row(i, observed, rng.choice(statuses)))
            if len(batch) == 20_000:
                db.session.execute(insert(Report), batch)
                batch = []
        if batch:
            db.session.execute(insert(Report), batch)
        visits = [
            {
                "client_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "content_hash": "0" * 64,
                "inspector_id": inspector,
                "community_id": c,
                "location_source": "device",
                "observed_at": start + timedelta(days=rng.uniform(0, 27)),
                "received_at": start,
                "note": "",
            }
            for c in rng.sample(range(1, communities + 1), communities // 2)
        ]
        db.session.execute(insert(Visit), visits)
        db.session.commit()


# ---------------------------------------------------------------------------------------------------
# The naive baseline


def naive_scores(app, codes: list[str]) -> dict[str, object]:
    """Per community: ORM queries for its reports, items due and visits; per report a repeat query."""
    with app.app_context():
        version = checklist_services.version_in_force(MONTH)
        checklist = checklist_services.parse_checklist_document(version)
        start, end = month_bounds(MONTH, TZ)
        window = timedelta(days=checklist.repeat.window_days)
        radius = checklist.repeat.radius_m
        dlat = radius / 111_000
        facts: dict[int, ReportFact] = {}
        communities, visited = [], set()

        def fact(r: Report) -> ReportFact:
            return ReportFact(
                r.id,
                r.community_id,
                r.item.code,
                r.status,
                r.observed_at,
                r.instances,
                r.found_by,
                r.spot_id,
                r.lat,
                r.lon,
                r.dispatched_at,
                r.due_at,
                r.rectified_at,
                r.closed_at,
                r.rework_count,
            )

        for code in codes:
            community = db.session.scalar(select(Community).where(Community.code == code))
            sd = community.subdistrict
            communities.append(
                CommunityFact(
                    community.id,
                    community.code,
                    community.name,
                    sd.code,
                    sd.name,
                    tuple(community.spot_types or ()),
                    sd.id,
                )
            )
            month_reports = db.session.scalars(
                select(Report).where(
                    Report.community_id == community.id,
                    Report.status != "voided",
                    Report.observed_at >= start,
                    Report.observed_at < end,
                )
            ).all()
            due = db.session.scalars(
                select(Report).where(
                    Report.community_id == community.id,
                    Report.status != "voided",
                    Report.due_at >= start,
                    Report.due_at < end,
                )
            ).all()
            if db.session.scalar(
                select(Visit.id)
                .where(
                    Visit.community_id == community.id, Visit.observed_at >= start, Visit.observed_at < end
                )
                .limit(1)
            ):
                visited.add(community.id)
            for r in [*month_reports, *due]:
                facts[r.id] = fact(r)
            for r in month_reports:
                place = []
                if r.spot_id is not None:
                    place.append(Report.spot_id == r.spot_id)
                if r.lat is not None:
                    place.append(
                        Report.lat.between(r.lat - 2 * dlat, r.lat + 2 * dlat)
                        & Report.lon.between(r.lon - 3 * dlat, r.lon + 3 * dlat)
                    )
                if not place:
                    continue
                earlier = db.session.scalars(
                    select(Report).where(
                        Report.item_id == r.item_id,
                        Report.status == "closed",
                        Report.closed_at >= r.observed_at - window,
                        Report.closed_at <= r.observed_at,
                        or_(*place),
                    )
                ).all()
                for e in earlier:
                    same_spot = r.spot_id is not None and e.spot_id == r.spot_id
                    near = (
                        r.lat is not None
                        and e.lat is not None
                        and abs(e.lat - r.lat) <= 2 * dlat
                        and distance_m(r.lat, r.lon, e.lat, e.lon) <= radius
                    )
                    if same_spot or near:
                        facts[e.id] = fact(e)
        month_facts = MonthFacts(MONTH, start, end, communities, list(facts.values()), frozenset(visited))
        result = score_month(checklist, month_facts, NOW, calendar=calendar_services.work_calendar(), tz=TZ)
        db.session.remove()
        return {s.community.code: (s.score, s.field_score, s.rectification_score) for s in result.communities}


# ---------------------------------------------------------------------------------------------------


def timed(fn, rounds: int) -> tuple[float, object]:
    """Median wall time over the rounds (the CPU time of those rounds in TIMES_CPU, the range in RANGES)."""
    times, cpu, value = [], [], None
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    TIMES_CPU.append(statistics.median(cpu))
    RANGES.append((min(times), max(times)))
    return statistics.median(times), value


TIMES_CPU: list[float] = []
RANGES: list[tuple[float, float]] = []


def run_backend(name: str, url: str, args) -> dict:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BLOB_DIR": tempfile.mkdtemp()})
    with app.app_context():
        db.create_all()
    t0 = time.perf_counter()
    generate(app, args.communities, args.reports, args.seed)
    print(
        f"[{name}] generated {args.communities} communities, {args.reports:,} March reports "
        f"(+{args.reports // 10:,} February) in {time.perf_counter() - t0:.1f} s"
    )

    def real():
        with app.app_context():
            computed = services.compute(MONTH, now=NOW, tz_name=TZ_NAME)
            db.session.remove()
            return computed

    ranking_s, computed = timed(real, args.rounds)
    ranking_cpu, ranking_range = TIMES_CPU[-1], RANGES[-1]
    load_avg = os.getloadavg()[0]
    stages = []
    with app.app_context():
        for _ in range(args.rounds):  # stage by stage, the collector paused as compute() does
            gc.disable()
            try:
                c0 = time.process_time()
                version = checklist_services.version_in_force(MONTH)
                checklist = checklist_services.parse_checklist_document(version)
                facts = services.load_facts(MONTH, TZ, checklist)
                c1 = time.process_time()
                result = score_month(checklist, facts, NOW, calendar=calendar_services.work_calendar(), tz=TZ)
                c2 = time.process_time()
                document = build_document(result, checklist, version.id, TZ_NAME)
                c3 = time.process_time()
                document["breakdowns"].materialized()
                c4 = time.process_time()
            finally:
                gc.enable()
            stages.append((c1 - c0, c2 - c1, c3 - c2, c4 - c3))
            del facts, result, document
            db.session.remove()
    load_s, score_s, doc_s, breakdowns_s = (statistics.median(x) for x in zip(*stages, strict=True))

    def full():
        computed = real()
        computed.document["breakdowns"].materialized()  # what publishing or an export reads
        return computed

    full_s, _ = timed(full, args.rounds)
    full_cpu = TIMES_CPU[-1]

    def download():
        return exports.to_xlsx(real().document)

    xlsx_total_s, body = timed(download, args.rounds)
    xlsx_range, xlsx_total_cpu = RANGES[-1], TIMES_CPU[-1]
    fresh = real()
    xlsx_s, _ = timed(lambda: exports.to_xlsx(fresh.document), 1)  # breakdowns built, then written
    xlsx_cpu = TIMES_CPU[-1]

    with app.app_context():  # publish the month, then time what a GET of it costs
        services.publish(MONTH, db.session.scalar(select(User.id)), now=NOW, tz_name=TZ_NAME)
        db.session.commit()

    def published():
        with app.app_context():
            document = services.ranking(MONTH, now=NOW, tz_name=TZ_NAME)
            db.session.remove()
            return document

    published_s, shown = timed(published, args.rounds)
    published_range, published_cpu = RANGES[-1], TIMES_CPU[-1]
    if shown["source"] != "published" or shown["published"]["differs"]:
        print(f"[{name}] the published month should show as published and not differing", file=sys.stderr)
        sys.exit(1)
    del shown

    rng = random.Random(args.seed + 1)
    codes = sorted(rng.sample([c.community.code for c in computed.result.communities], args.sample))
    naive_s, naive = timed(lambda: naive_scores(app, codes), 1)
    real_scores = {
        s.community.code: (s.score, s.field_score, s.rectification_score) for s in computed.result.communities
    }
    mismatched = [c for c in codes if naive[c] != real_scores[c]]
    if mismatched:
        print(f"[{name}] naive and real scores differ for {mismatched[:5]}", file=sys.stderr)
        sys.exit(1)
    naive_full = naive_s * args.communities / args.sample
    deductions = sum(len(b["deductions"]) for b in computed.document["breakdowns"].values())
    print(f"[{name}] load average {load_avg:.1f} on {os.cpu_count()} cores")
    print(
        f"[{name}] ranking {ranking_s * 1000:.0f} ms wall (median of {args.rounds}, "
        f"{ranking_range[0] * 1000:.0f}-{ranking_range[1] * 1000:.0f}), {ranking_cpu * 1000:.0f} ms CPU; CPU by stage: "
        f"load {load_s * 1000:.0f} ms, score {score_s * 1000:.0f} ms, document {doc_s * 1000:.0f} ms "
        f"(+ every breakdown {breakdowns_s * 1000:.0f} ms)"
    )
    print(f"[{name}] ranking with every breakdown {full_s * 1000:.0f} ms wall, {full_cpu * 1000:.0f} ms CPU")
    print(
        f"[{name}] XLSX {xlsx_s:.2f} s wall, {xlsx_cpu:.2f} s CPU after the ranking (breakdowns built, then "
        f"written); ranking + XLSX {xlsx_total_s:.2f} s wall ({xlsx_range[0]:.2f}-{xlsx_range[1]:.2f}), "
        f"{xlsx_total_cpu:.2f} s CPU ({len(body) / 1e6:.1f} MB, {deductions:,} deduction rows)"
    )
    print(
        f"[{name}] GET of the published month (recomputed and compared with the snapshot) "
        f"{published_s * 1000:.0f} ms wall ({published_range[0] * 1000:.0f}-{published_range[1] * 1000:.0f}), "
        f"{published_cpu * 1000:.0f} ms CPU"
    )
    print(
        f"[{name}] naive {naive_s:.1f} s for {args.sample} communities → {naive_full:.1f} s for {args.communities}; "
        f"speedup {naive_full / ranking_s:.0f}x, {naive_full / full_s:.0f}x with every breakdown (scores agree on the sample)"
    )
    with app.app_context():
        db.engine.dispose()
    return {
        "load_avg": round(load_avg, 2),
        "ranking_ms": round(ranking_s * 1000),
        "ranking_ms_range": [round(ranking_range[0] * 1000), round(ranking_range[1] * 1000)],
        "ranking_cpu_ms": round(ranking_cpu * 1000),
        "load_ms": round(load_s * 1000),
        "score_ms": round(score_s * 1000),
        "document_ms": round(doc_s * 1000),
        "breakdowns_ms": round(breakdowns_s * 1000),
        "full_ms": round(full_s * 1000),
        "full_cpu_ms": round(full_cpu * 1000),
        "xlsx_s": round(xlsx_s, 2),
        "xlsx_cpu_s": round(xlsx_cpu, 2),
        "ranking_xlsx_s": round(xlsx_total_s, 2),
        "ranking_xlsx_cpu_s": round(xlsx_total_cpu, 2),
        "xlsx_bytes": len(body),
        "naive_sample_s": round(naive_s, 2),
        "naive_s": round(naive_full, 1),
        "speedup": round(naive_full / ranking_s, 1),
        "speedup_full": round(naive_full / full_s, 1),
        "deduction_rows": deductions,
        "published_get_ms": round(published_s * 1000),
        "published_get_cpu_ms": round(published_cpu * 1000),
        "published_get_ms_range": [round(published_range[0] * 1000), round(published_range[1] * 1000)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=40, help="communities the naive baseline is timed on")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = {"communities": args.communities, "reports": args.reports, "sample": args.sample}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if pg:
        server = make_url(normalise_database_url(pg))
        name = f"fieldcheck_bench_{os.getpid()}"
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
