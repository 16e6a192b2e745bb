"""CPU per page of GET /api/v1/reports (issues 14 and 16): the list's serialisation, old path and new.

Reads an existing city (bench/lists.py ``--db NAME``, read only: no migration, no write) and times, through
the Flask test client as the office, a page of 50 reports: the current route, then the previous path (ORM
objects with every relationship, ``serialize.report`` per report) swapped in as the baseline, in the same
run. ``--profile`` prints the top of a cProfile (CPU clock) of the current route.

    FIELDCHECK_TEST_DATABASE_URL=postgresql://... python bench/list_cpu.py --db fieldcheck_bench_lists_1m
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck import create_app  # noqa: E402
from fieldcheck.config import normalise_database_url  # noqa: E402
from fieldcheck.reports import listing  # noqa: E402

PASSWORD = "bench-password-1"


def cpu_per_call(fn, rounds: int) -> float:
    fn()
    best = []
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(rounds):
            fn()
        best.append((time.process_time() - t0) / rounds)
    return min(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="fieldcheck_bench_lists_1m")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--user", default="office")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    pg = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
    if not pg:
        sys.exit("FIELDCHECK_TEST_DATABASE_URL is needed (a PostgreSQL server)")
    url = make_url(normalise_database_url(pg)).set(database=args.db).render_as_string(hide_password=False)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "BLOB_DIR": tempfile.mkdtemp(),
            "RATELIMIT_ENABLED": False,
        }
    )
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": args.user, "password": PASSWORD}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    first = client.get("/api/v1/reports?per_page=50", headers=headers).get_json()
    path = f"/api/v1/reports?per_page=50&cursor={first['next_cursor']}"  # no count: the page alone

    def page():
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200
        return answer.get_data()

    if args.profile:
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(args.rounds):
            page()
        prof.disable()
        pstats.Stats(prof).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(45)
        return
    new = cpu_per_call(page, args.rounds)
    new_body = page()
    old_page = getattr(listing, "objects_page", None)
    if old_page is not None:
        listing.rows_page, kept = old_page, listing.rows_page
        old = cpu_per_call(page, args.rounds)
        old_body = page()
        listing.rows_page = kept
        same = old_body == new_body
        print(
            f"{args.user}: app CPU per page of 50: before {old * 1000:.1f} ms, after {new * 1000:.1f} ms, "
            f"x{old / new:.1f}; identical bytes: {same}"
        )
    else:
        print(f"{args.user}: app CPU per page of 50: {new * 1000:.1f} ms")


if __name__ == "__main__":
    main()
