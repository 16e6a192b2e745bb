"""Benchmark the lists, the map's API and the landing pages at a city's scale: 1,000,000 reports over twelve
months on PostgreSQL (issue 14, "Speed at a city's scale").

The city: bench/ranking.py's geography (50 sub-districts of 20 communities on a grid of 1 km cells, 5 spots
each, the default checklist and calendar) with bench/map.py's 1 km square per community as the boundary
version in force, 100 inspectors, and REPORTS reports (default 1,000,000) observed from April 2025 to the
bench's "now", 2026-03-20 12:00 UTC, evenly: reports older than a month are nearly all closed or voided, the
current month's are in every state. Each report has its filing event and one before-photo row. Rows go in by
COPY (a few minutes for a million); the database is ANALYZEd after.

Timed through the Flask test client (the whole request: routing, session or bearer token, queries,
templates, JSON), as the office, sub-district staff (SD001), community staff (C0001) and an inspector:

* api/first, api/deep (cursor after the 20,000th report), api/deep-offset (baseline: the same page by
  ``page=``), api/overdue, api/category, api/community (office), api/number (``q=#id``), api/word
  (``q=纸箱``, two characters, in one note in a thousand), api/words (``q=堆放纸箱``), api/word-rare
  (``q=井盖破损``, one note in 100,000);
* map/reports at district zoom (the city's box) and community zoom (one 1 km square), map/communities
  (the month's ranking kept by the process, as the map's cache does; and computed: ``cold``);
* the pages /office, /subdistrict, /community, /inspector/mine, /office/queue/verify and /map.

The month's ranking (the landing pages' standing, the map's colours) is being cached in the database on
another branch: each page that computes it is also timed with the computation taken out (the document
computed once and handed back), and the month computation is timed alone, so the difference is known.

Baselines in the same run: OFFSET paging for the deep pages, and the previous queries for the sub-district
and community pages' open items (every open item, up to 500, loaded) and the word search.

``--db NAME`` keeps the generated database under that name and reuses it on the next run (generation is
the slow part); migrations are applied to it on every run. Without it a throwaway database is dropped at
the end. Needs FIELDCHECK_TEST_DATABASE_URL. Times are printed, never asserted; the last line is JSON.

Run from the project root:
    FIELDCHECK_TEST_DATABASE_URL=postgresql://... python bench/lists.py [--reports 1000000] [--rounds 7]
        [--db fieldcheck_bench_lists_1m]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import fieldcheck.types as types_module  # noqa: E402
from fieldcheck import create_app  # noqa: E402
from fieldcheck.auth.models import User  # noqa: E402
from fieldcheck.auth.services import NewUser, add_user  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.extensions import db  # noqa: E402
from fieldcheck.reports.models import Report  # noqa: E402


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


city = _load("ranking")
mapbench = _load("map")

NOW = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)  # noon in Beijing, mid-month: many open, some overdue
FIRST = datetime(2025, 4, 1, tzinfo=UTC) - timedelta(hours=8)
PASSWORD = "bench-password-1"
INSPECTORS = 100
DEEP = 20_000
WORD, WORDS, RARE = "纸箱", "堆放纸箱", "井盖破损"
NOTES = (
    "垃圾未及时清运",
    "绿化带内有白色垃圾",
    "楼道内杂物堆积",
    "墙面有小广告",
    "非机动车乱停放",
    "路面破损积水",
    "公厕卫生不达标",
    "占道经营",
    "宣传栏内容过期",
    "健身器材损坏",
    "",
    "",
)
OPEN_LATE = [("closed", 90), ("voided", 5), ("suspended", 2), ("dispatched", 2), ("rectified", 1)]


class FrozenDatetime(datetime):
    """``fieldcheck.types.datetime``: the app's clock stands at NOW (as tests' ``clock`` fixture does)."""

    @classmethod
    def now(cls, tz=None):
        return NOW if tz is None else NOW.astimezone(tz)


# ---------------------------------------------------------------------------------------------------
# The city


def _statuses(weights):
    return [s for s, w in weights for _ in range(w)]


def _report_rows(reports: int, seed: int, inspectors: list[int], items: list[int]):
    """(report, event, photo) COPY rows, ids from 1, observation times spread evenly over the year."""
    rng = random.Random(seed)
    side = math.ceil(math.sqrt(1000))
    recent, late = _statuses(city.STATUSES), _statuses(OPEN_LATE)
    span = (NOW - FIRST).total_seconds()
    month_ago = NOW - timedelta(days=30)
    for i in range(1, reports + 1):
        observed = FIRST + timedelta(seconds=span * (i - 1 + rng.random()) / reports)
        cid = rng.randint(1, 1000)
        lat = city.LAT0 + ((cid - 1) // side) * city.CELL + rng.uniform(0, city.CELL)
        lon = city.LON0 + ((cid - 1) % side) * city.CELL + rng.uniform(0, city.CELL)
        status = rng.choice(recent if observed > month_ago else late)
        due = observed + timedelta(hours=rng.choice((2, 24, 72, 168)))
        rectified = closed = None
        if status in ("rectified", "closed", "appealed"):
            rectified = observed + timedelta(hours=rng.uniform(1, 150))
        if status == "closed":
            closed = rectified + timedelta(hours=rng.uniform(1, 48))
        if status in ("rectified", "closed") and rectified > NOW:
            status, rectified, closed = "dispatched", None, None
        note = rng.choice(NOTES)
        if i % 1000 == 7:
            note = f"单元门口堆放{WORD}"
        elif i % 100_000 == 11:
            note = f"人行道{RARE}"
        inspector = inspectors[rng.randrange(len(inspectors))]
        spot = (cid - 1) * 5 + rng.randrange(5) + 1 if rng.random() < 0.6 else None
        yield (
            (i, str(uuid.UUID(int=rng.getrandbits(128))), "0" * 64, inspector, items[rng.randrange(len(items))],
             cid, 1, spot, lat, lon, 8.0, "device", observed, observed, 1, note,
             city.FOUND_BY[rng.randrange(len(city.FOUND_BY))], status, observed, due, rectified, closed, 0,
             "dispatched" if status == "appealed" else None, None, status == "suspended" and due.date() + timedelta(days=30) or None, "[]", 1),
            (i, i, 1, inspector, observed, "file", None, "dispatched", note, lat, lon, due),
            (i, i, None, i, "before", f"{i:064x}", f"{i:016x}", 180_000, "image/jpeg", 1600, 1200,
             f"o/{i}", f"d/{i}", f"t/{i}", observed),
        )  # fmt: skip


REPORT_COLUMNS = (
    "id, client_id, content_hash, inspector_id, item_id, community_id, boundary_version_id, spot_id, lat, lon, "
    "accuracy_m, location_source, observed_at, received_at, instances, note, found_by, status, dispatched_at, "
    "due_at, rectified_at, closed_at, rework_count, appeal_from, suspension_requested, planned_date, flags, "
    "version"
)
EVENT_COLUMNS = "id, report_id, seq, actor_id, at, action, from_status, to_status, note, lat, lon, due_at"
PHOTO_COLUMNS = (
    "id, report_id, visit_id, event_id, kind, sha256, phash, size, mime, width, height, original_key, "
    "display_key, thumb_key, created_at"
)


def generate(app, reports: int, seed: int) -> None:
    t0 = time.perf_counter()
    city.generate(app, 1000, 0, seed)  # geography, checklist, calendar, half the communities visited
    mapbench.add_boundaries(app, 1000)  # boundaries, and the office, sd and comm users
    with app.app_context():
        add_user(NewUser("insp1", PASSWORD, "inspector", level="district"))
        hashed = db.session.scalar(select(User.password_hash).where(User.username == "insp1"))
        db.session.execute(
            insert(User),
            [
                {"username": f"insp{n}", "password_hash": hashed, "role": "inspector", "level": "district"}
                for n in range(2, INSPECTORS + 1)
            ],
        )
        db.session.commit()
        inspectors = list(db.session.scalars(select(User.id).where(User.role == "inspector", User.id > 1)))
        from fieldcheck.checklist.models import ChecklistItem

        items = list(db.session.scalars(select(ChecklistItem.id)))
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            # One COPY at a time per connection: the rows are made again (same seed) for each table.
            for part, (table, columns) in enumerate(
                (("report", REPORT_COLUMNS), ("event", EVENT_COLUMNS), ("photo", PHOTO_COLUMNS))
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for rows in _report_rows(reports, seed, inspectors, items):
                        copy.write_row(rows[part])
            for table in ("report", "event", "photo"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            raw.commit()
        finally:
            raw.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    print(f"generated {reports:,} reports over twelve months in {time.perf_counter() - t0:.0f} s", flush=True)


# ---------------------------------------------------------------------------------------------------
# Timing


class Backends:
    """The CPU time of the app's PostgreSQL server processes (one per pooled connection, read from /proc
    when the server runs on this machine): with the app's own CPU time, what a call costs on idle cores,
    whatever the machine's load makes its wall time. Resolution: a clock tick (10 ms) over all rounds."""

    def __init__(self, engine):
        self.pids: set[int] = set()
        event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.add(cursor.fetchone()[0])
        cursor.close()

    def seconds(self) -> float:
        ticks = 0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")


BACKENDS: Backends | None = None


def timed(fn, rounds: int) -> tuple[list[float], object, tuple[float, float]]:
    """Wall times of ``rounds`` calls (after one warm-up call), the last value, and the CPU seconds per
    call of the app and of its database processes (``Backends``)."""
    value = fn()
    times = []
    db_before = BACKENDS.seconds() if BACKENDS else 0.0
    app_before = time.process_time()
    for _ in range(rounds):
        t0 = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t0)
    app = (time.process_time() - app_before) / rounds
    db_cpu = (BACKENDS.seconds() - db_before) / rounds if BACKENDS else 0.0
    return times, value, (app, db_cpu)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def session_client(app, username: str):
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code in (302, 303), answer.status_code
    return client


class MonthKept:
    """``ranking.services.compute`` answering each month from the first computation: what the landing pages
    and the map would cost once the month is read from a cache (branch ``monthcache``)."""

    def __init__(self, compute):
        self.compute, self.kept, self.on = compute, {}, False

    def __call__(self, month, **kwargs):
        if not self.on:
            return self.compute(month, **kwargs)
        if month not in self.kept:
            self.kept[month] = self.compute(month, **kwargs)
        return self.kept[month]


def cases(some_id: int, cursors: dict) -> list[tuple[str, str, str, str]]:
    """(name, kind, user, path): kind ``api`` (goal 100 ms) or ``page`` (goal 200 ms)."""
    box = f"{city.LON0},{city.LAT0},{city.LON0 + 32 * city.CELL},{city.LAT0 + 32 * city.CELL}"
    one = f"{city.LON0 + 16 * city.CELL},{city.LAT0 + 0.001},{city.LON0 + 17 * city.CELL},{city.LAT0 + city.CELL}"
    own = f"{city.LON0},{city.LAT0},{city.LON0 + city.CELL},{city.LAT0 + city.CELL}"
    out = []
    for user in ("office", "sd", "comm"):
        api = "/api/v1/reports?per_page=50&"
        out += [
            (f"{user} api/first", "api", user, api),
            (f"{user} api/deep", "api", user, api + f"cursor={cursors[user][0]}"),
            (f"{user} api/deep-offset", "api", user, api + f"page={cursors[user][1] // 50 + 1}"),
            (f"{user} api/overdue", "api", user, api + "status=dispatched,suspended&overdue=1"),
            (f"{user} api/category", "api", user, api + "category=ENV"),
            (f"{user} api/number", "api", user, api + f"q=%23{some_id}"),
            (f"{user} api/word", "api", user, api + f"q={WORD}"),
            (f"{user} api/words", "api", user, api + f"q={WORDS}"),
            (f"{user} api/word-rare", "api", user, api + f"q={RARE}"),
        ]
        if user == "office":
            out += [
                (f"{user} api/community", "api", user, api + "community=C0017"),
                (
                    f"{user} api/community-deep",
                    "api",
                    user,
                    api + f"community=C0017&cursor={cursors['c17'][0]}",
                ),
            ]
        zoom = own if user == "comm" else box
        out += [
            (f"{user} map/reports-district", "api", user, f"/api/v1/map/reports?month=2026-03&bbox={zoom}"),
            (f"{user} map/reports-community", "api", user, f"/api/v1/map/reports?month=2026-03&bbox={one if user == 'office' else own}"),
            (f"{user} map/communities", "api", user, "/api/v1/map/communities?month=2026-03"),
            (f"{user} page/map", "page", user, "/map"),
        ]  # fmt: skip
    out += [
        ("office page/office", "page", "office", "/office"),
        ("office page/queue-verify", "page", "office", "/office/queue/verify"),
        ("sd page/subdistrict", "page", "sd", "/subdistrict"),
        ("sd page/subdistrict-community", "page", "sd", "/subdistrict?community=C0003"),
        ("comm page/community", "page", "comm", "/community"),
        ("comm page/community-history", "page", "comm", "/community?tab=history"),
        ("insp1 page/inspector-mine", "page", "insp1", "/inspector/mine"),
    ]
    return out


def old_open_items(p, now):
    """The open items as the sub-district and community pages loaded them before: all of them, up to 500,
    overdue first, then by deadline, with what each row shows."""
    from sqlalchemy import case

    from fieldcheck.reports.queries import overdue_clause, scoped
    from fieldcheck.workflow import queries as workflow_queries
    from fieldcheck.workflow import rules

    query = scoped(select(Report), p).where(Report.status.in_(rules.OPEN))
    overdue_first = case((overdue_clause(now), 0), else_=1)
    no_deadline_last = case((Report.due_at.is_(None), 1), else_=0)
    query = query.order_by(overdue_first, no_deadline_last, Report.due_at, Report.id).limit(500)
    return db.session.scalars(query.options(*workflow_queries.LIST_LOADS)).all()


def old_word_page(p, word: str):
    """The first page of a word search as it was: the note by ILIKE (no index), the item and community
    names by subqueries, OR-ed."""
    from sqlalchemy import or_

    from fieldcheck.checklist.models import ChecklistItem
    from fieldcheck.geography.models import Community
    from fieldcheck.reports.queries import NEWEST_FIRST, scoped
    from fieldcheck.reports.search import like_pattern

    pattern = like_pattern(word)
    items = select(ChecklistItem.id).where(
        or_(
            ChecklistItem.name_zh.like(pattern, escape="\\"),
            ChecklistItem.name_en.ilike(pattern, escape="\\"),
        )
    )
    communities = select(Community.id).where(Community.name.like(pattern, escape="\\"))
    clause = or_(
        Report.note.ilike(pattern, escape="\\"),
        Report.item_id.in_(items),
        Report.community_id.in_(communities),
    )
    query = scoped(select(Report.id), p).where(clause).order_by(*NEWEST_FIRST).limit(51)
    return db.session.scalars(query).all()


MONTH_PAGES = ("page/subdistrict", "page/community", "map/communities")  #: cases whose name holds these


def baselines(app, rounds: int) -> dict:
    """The previous queries, called directly: every open item (up to 500) of the sub-district and of the
    community loaded, and the word search's subqueries and unindexed ILIKE."""
    out = {}
    with app.test_request_context():
        from fieldcheck.permissions import principal_of

        for user in ("sd", "comm"):
            p = principal_of(db.session.scalar(select(User).where(User.username == user)))
            times, rows, cpu = timed(lambda p=p: old_open_items(p, NOW), rounds)
            out[f"{user} baseline/open-items-all"] = (times, len(rows), cpu)
        p = principal_of(db.session.scalar(select(User).where(User.username == "office")))
        for name, word in (("word", WORD), ("word-rare", RARE)):
            times, rows, cpu = timed(lambda w=word: old_word_page(p, w), rounds)
            out[f"office baseline/{name}-ilike"] = (times, len(rows), cpu)
        db.session.remove()
    return out


def run(app, args) -> dict:
    from fieldcheck.ranking import services as ranking_services

    kept = MonthKept(ranking_services.compute)
    ranking_services.compute = kept
    api_clients = {u: app.test_client() for u in ("office", "sd", "comm")}
    tokens = {u: mapbench.bearer(api_clients[u], u) for u in api_clients}
    pages = {u: session_client(app, u) for u in ("office", "sd", "comm", "insp1")}

    def get(user, path):
        if path.startswith("/api/"):
            answer = api_clients[user].get(path, headers=tokens[user])
        else:
            answer = pages[user].get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.get_data(as_text=True)[:300])
        return answer

    def cursor(user, extra=""):
        """The cursor after the DEEP-th row (or half-way for small cities) and that depth."""
        total = get(user, f"/api/v1/reports?per_page=1{extra}").get_json()["total"]
        depth = max(50, min(DEEP, total // 100 * 50))
        body = get(user, f"/api/v1/reports?per_page=1&page={depth}{extra}").get_json()
        return body["next_cursor"], depth

    with app.app_context():
        some_id = db.session.scalar(select(func.max(Report.id))) // 3
    cursors = {u: cursor(u) for u in ("office", "sd", "comm")}
    cursors["c17"] = cursor("office", "&community=C0017")
    for user in ("office", "sd", "comm"):  # the cursor continues where OFFSET does
        base = "/api/v1/reports?per_page=50&"
        key, depth = cursors[user]
        by_cursor = [r["id"] for r in get(user, base + f"cursor={key}").get_json()["reports"]]
        by_offset = [r["id"] for r in get(user, base + f"page={depth // 50 + 1}").get_json()["reports"]]
        assert by_cursor == by_offset, f"{user}: cursor and offset disagree"

    figures: dict = {}

    def record(name, kind, times, size, note="", cpu=(0.0, 0.0)):
        goal = 0.1 if kind == "api" else 0.2
        entry = {
            "p50_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(p95(times) * 1000, 1),
            "goal_ms": round(goal * 1000),
            "met": p95(times) < goal,
            "app_cpu_ms": round(cpu[0] * 1000, 1),
            "db_cpu_ms": round(cpu[1] * 1000, 1),
            "cpu_met": sum(cpu) < goal,
            "size": size,
        }
        figures[name] = entry
        flag = "ok " if entry["met"] else "MISS"
        print(
            f"{name:36s} p50 {entry['p50_ms']:7.1f}  p95 {entry['p95_ms']:7.1f} ms  {flag} "
            f"cpu {entry['app_cpu_ms']:6.1f} + {entry['db_cpu_ms']:6.1f}  {size:>9}  {note}",
            flush=True,
        )

    def sized(answer):
        if answer.is_json and "reports" in (answer.get_json() or {}):
            return f"{len(answer.get_json()['reports'])} rows"
        if answer.is_json and "features" in (answer.get_json() or {}):
            return f"{len(answer.get_json()['features'])} feat"
        return f"{len(answer.get_data()) // 1024} KB"

    month_cases = []
    for name, kind, user, path in cases(some_id, cursors):
        if any(m in name for m in MONTH_PAGES) and not name.endswith("history"):
            month_cases.append((name, kind, user, path))
            kept.on = True  # the month as a cache would give it; computed below for the difference
        times, answer, cpu = timed(lambda u=user, q=path: get(u, q), args.rounds)
        kept.on = False
        kept_note = "(month kept)" if name in dict.fromkeys(n for n, *_ in month_cases) else ""
        record(name, kind, times, sized(answer), kept_note, cpu)
    # The month's computation, alone and inside the pages that make it (map's process cache off).
    app.config["MAP_RANKING_CACHE_SECONDS"] = 0
    with app.app_context():
        times, _value, cpu = timed(
            lambda: ranking_services.compute.compute("2026-03", now=NOW, tz_name="Asia/Shanghai"), 3
        )
        db.session.remove()
    record("month computation (2026-03)", "page", times, "-", "ranking.services.compute alone", cpu)
    for name, kind, user, path in month_cases:
        times, answer, cpu = timed(lambda u=user, q=path: get(u, q), 3)
        record(name + " +month", kind, times, sized(answer), "month computed on each request", cpu)
    for name, (times, rows, cpu) in baselines(app, args.rounds).items():
        record(name, "api", times, f"{rows} rows", "previous query, called directly", cpu)
    for user in ("office", "sd", "comm"):
        deep, offset = figures[f"{user} api/deep"], figures[f"{user} api/deep-offset"]
        print(f"{user}: deep page, OFFSET / cursor p50 x{offset['p50_ms'] / deep['p50_ms']:.1f}")
    return figures


def prepare_database(server, name: str, args) -> tuple[str, bool]:
    """The database's URL and whether it already holds the city."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    return url, bool(exists)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="keep the generated city in this database and reuse it on later runs")
    args = parser.parse_args()
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if not pg:
        sys.exit("FIELDCHECK_TEST_DATABASE_URL is needed (a PostgreSQL server)")
    server = make_url(normalise_database_url(pg))
    name = args.db or f"fieldcheck_bench_lists_{os.getpid()}"
    url, reused = prepare_database(server, name, args)
    types_module.datetime = FrozenDatetime
    try:
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "BLOB_DIR": tempfile.mkdtemp(),
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "RATELIMIT_ENABLED": False,
            }
        )
        global BACKENDS
        with app.app_context():
            BACKENDS = Backends(db.engine)
            upgrade(directory=str(ROOT / "migrations"))  # a reused city gets this commit's indexes too
            have = db.session.scalar(select(func.count()).select_from(Report))
            db.session.remove()
        if reused and have:
            print(f"reusing database {name}: {have:,} reports", flush=True)
        else:
            generate(app, args.reports, args.seed)
            have = args.reports
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
        figures = {
            "reports": have,
            "load_avg": [round(x, 2) for x in load],
            "database": name if args.db else None,
        }
        figures["cases"] = run(app, args)
        figures["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
        missed = [
            n
            for n, f in figures["cases"].items()
            if not f["met"] and "baseline" not in n and "month" not in n
        ]
        figures["missed"] = missed
        print(f"goal missed by {len(missed)}: {', '.join(missed) or '-'}")
        with app.app_context():
            db.engine.dispose()
    finally:
        if not args.db:
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
