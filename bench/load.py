"""Load test: gunicorn on PostgreSQL, inspectors filing 12 MP photo reports while readers read.

What it starts, all on 127.0.0.1 and all stopped at the end:

* a throwaway PostgreSQL database on the server of FIELDCHECK_TEST_DATABASE_URL (or --database-url),
  migrated, with a city of 100 square communities, the default checklist and calendar, inspectors and
  an office user (tokens minted directly);
* gunicorn with the repository's configuration (`fieldcheck serve`: fieldcheck/gunicorn_config.py), on
  the folder store, or with --store s3 on moto's S3-protocol server started as another process;
* client threads in this process: INSPECTORS each post reports (`POST /api/v1/reports`, one photo each)
  back to back, each photo a fresh 12 MP JPEG of 3-6 MB with bytes no other upload has; READERS, as the
  office, each read in turn the report list, the map's points, the map's communities and the month's
  ranking, pausing --reader-pause seconds between requests (people reading pages, not a flood).

The photos: a few 4000x3000 JPEGs are drawn before the run (bench/ingest.py's phone-like photo, 2 s of
CPU each); each upload is one of them with a unique 64-byte comment segment after the JPEG's start, so
its SHA-256 is new and the server stores and processes it in full (decoding is the same work).

Each phase is bounded: every inspector stops after --reports reports or when --seconds have passed,
whichever is first. Afterwards the database is checked against what was sent: every report that was
answered 201 is there exactly once with its photo's SHA-256 (lost: missing; duplicated: more than one
report for a client_id; the client_id is unique, so this checks the check).

Phases of one run: the **baseline** (one synchronous gunicorn worker, 8 inspectors, 20 readers); on the
configured server, the **cost** of a report and of a read, each alone (CPU seconds of gunicorn's processes
per report or read, read from /proc, with moto's beside them: the figure that carries to another machine,
whatever else this one runs), and from them what the cores would carry if the app had them to
itself (PostgreSQL's own CPU not counted); the **main** phase (8 inspectors, 20 readers); then the
**knee**: more inspectors (12, 16, 24, 32) until p95 passes 1 s. The figures are printed per phase, with
the load average (other work on the machine slows every figure but the CPU costs); the last line is one
JSON object.

Run from the project root, with PostgreSQL reachable:
    FIELDCHECK_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/load.py [--store folder|s3]
        [--inspectors 8] [--readers 20] [--reports 40] [--seconds 40] [--workers N] [--knee 12,16,24,32]
        [--no-baseline] [--no-knee] [--cost-only] [--cost-reports 8]

`--cost-only` runs the cost phases alone (no baseline, main phase or knee): the CPU a report and a read
cost the server and the projection to idle cores, in about a minute, for whoever changes the request path.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import bindparam, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from fieldcheck.config import normalise_database_url  # noqa: E402

LAT0, LON0, CELL, SIDE = 34.60, 112.30, 0.01, 10  # 10 x 10 communities of about 1 km
GOAL_RATE, GOAL_P95 = 15.0, 1.0


# -- the city and the server ---------------------------------------------------------------------


def city_geojson() -> bytes:
    features = []
    for n in range(SIDE * SIDE):
        lat, lon = LAT0 + (n // SIDE) * CELL, LON0 + (n % SIDE) * CELL
        ring = [[lon, lat], [lon + CELL, lat], [lon + CELL, lat + CELL], [lon, lat + CELL], [lon, lat]]
        props = {
            "community_code": f"L{n:03d}",
            "community_name": f"社区{n}",
            "subdistrict_code": f"S{n // 20:02d}",
            "subdistrict_name": f"街道{n // 20}",
        }
        features.append(
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        )
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def make_database(server_url: str, inspectors: int) -> tuple[str, dict[str, str]]:
    """A migrated throwaway database with the city and users; its URL and a token per user."""
    from flask_migrate import upgrade

    from fieldcheck import create_app
    from fieldcheck.auth.services import NewUser, add_user, issue_token
    from fieldcheck.checklist import services as checklist_services
    from fieldcheck.extensions import db
    from fieldcheck.geography import services as geo_services

    server = make_url(normalise_database_url(server_url))
    name = f"fieldcheck_load_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "load", "BLOB_DIR": "/nonexistent"})
    tokens = {}
    with app.app_context():
        upgrade()
        geo_services.import_boundaries(city_geojson(), "load.geojson")
        checklist_services.import_checklist(checklist_services.default_checklist_text())
        from fieldcheck.calendar import services as calendar_services

        calendar_services.import_calendar(calendar_services.default_calendar_text(), "calendar-2026.yaml")
        users = [NewUser(f"insp{n}", "load-password-1", "inspector", "city") for n in range(inspectors)]
        users.append(NewUser("office", "load-password-1", "office"))
        now = datetime.now(UTC)
        for spec in users:
            user = add_user(spec)
            db.session.flush()
            tokens[spec.username] = issue_token(user, now, 1)[0]
        db.session.commit()
        db.engine.dispose()
    return url, tokens


def drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"nothing answered on port {port} within {seconds} s")


class Server:
    """gunicorn (fieldcheck serve) on a loopback port, stopped with SIGTERM."""

    def __init__(self, env: dict, workers: int | None, sync: bool, folder: Path):
        self.port = free_port()
        argv = [
            str(Path(sys.executable).with_name("fieldcheck")),
            "serve",
            "--bind",
            f"127.0.0.1:{self.port}",
        ]
        if sync:
            argv += ["--workers", "1", "--worker-class", "sync", "--threads", "1"]
        elif workers:
            argv += ["--workers", str(workers)]
        self.store_pid: int | None = None
        self.log = open(folder / f"gunicorn-{self.port}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=self.log, cwd=folder)
        wait_for(self.port, "/healthz", self.process)

    def cpu_seconds(self) -> float:
        """CPU time of gunicorn's master and workers so far (Linux /proc), for CPU per report."""
        return tree_cpu(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children, read from /proc (0 elsewhere)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(tree_cpu(int(child)) for child in children)


def start_moto(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(port, "/", process)
    return process, f"http://127.0.0.1:{port}"


# -- the clients -----------------------------------------------------------------------------------


def base_photos(count: int) -> list[bytes]:
    from ingest import make_photo

    return [make_photo(quality=(93, 95, 96, 97)[n % 4]) for n in range(count)]


def fresh(photo: bytes) -> bytes:
    """The photo with a unique comment segment after SOI: new bytes, same decoding work."""
    marker = os.urandom(64)
    return photo[:2] + b"\xff\xfe" + (len(marker) + 2).to_bytes(2, "big") + marker + photo[2:]


def multipart(fields: dict[str, str], photo: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="image.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
    )
    parts += [photo, f"\r\n--{boundary}--\r\n".encode()]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Phase:
    name: str
    inspectors: int
    readers: int
    latencies: list[float] = field(default_factory=list)
    read_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    read_errors: int = 0
    sent: dict[str, str] = field(default_factory=dict)  # client_id -> photo sha256, answered 201
    photo_bytes: int = 0
    seconds: float = 0.0
    lost: int = 0
    duplicated: int = 0
    server_cpu: float = 0.0  # CPU seconds of the app server (gunicorn's processes) during the phase
    store_cpu: float = 0.0  # ... and of the S3-protocol server (moto, a Python process), if any

    def figures(self) -> dict:
        lat = sorted(self.latencies)
        reads = sorted(self.read_latencies)

        def pct(values, p):
            return round(values[min(len(values) - 1, int(p * len(values)))], 3) if values else None

        return {
            "inspectors": self.inspectors,
            "readers": self.readers,
            "reports": len(self.sent),
            "seconds": round(self.seconds, 1),
            "reports_per_s": round(len(self.sent) / self.seconds, 2) if self.seconds else 0,
            "p50_s": round(statistics.median(lat), 3) if lat else None,
            "p95_s": pct(lat, 0.95),
            "max_s": round(lat[-1], 3) if lat else None,
            "errors": len(self.errors),
            "lost": self.lost,
            "duplicated": self.duplicated,
            "mean_photo_mb": round(self.photo_bytes / max(1, len(self.latencies)) / 1e6, 2),
            "reads": len(reads),
            "read_p50_s": round(statistics.median(reads), 3) if reads else None,
            "read_p95_s": pct(reads, 0.95),
            "read_errors": self.read_errors,
            "server_cpu_ms_per_report": round(1000 * self.server_cpu / len(self.sent)) if self.sent else None,
            "server_cpu_ms_per_read": (
                round(1000 * self.server_cpu / len(reads), 1) if reads and not self.sent else None
            ),
            "store_cpu_ms_per_report": round(1000 * self.store_cpu / len(self.sent)) if self.sent else None,
            "server_cores_used": round(self.server_cpu / self.seconds, 2) if self.seconds else None,
            # What this much CPU per report (reads of the phase included) allows on one idle core.
            "reports_per_s_per_idle_core": round(len(self.sent) / self.server_cpu, 2)
            if self.server_cpu
            else None,
        }


def inspector(port, token, photos, phase: Phase, lock, stop_at, reports, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for _ in range(reports):
        if time.monotonic() >= stop_at:
            break
        cell = rng.randrange(SIDE * SIDE)
        lat = LAT0 + (cell // SIDE) * CELL + rng.uniform(0.001, CELL - 0.001)
        lon = LON0 + (cell % SIDE) * CELL + rng.uniform(0.001, CELL - 0.001)
        photo = fresh(rng.choice(photos))
        client_id = str(uuid.uuid4())
        fields = {
            "client_id": client_id,
            "item_code": "ENV-02",
            "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}",
            "accuracy_m": "8",
        }
        body, ctype = multipart(fields, photo)
        started = time.perf_counter()
        try:
            conn.request(
                "POST", "/api/v1/reports", body, {"Authorization": f"Bearer {token}", "Content-Type": ctype}
            )
            answer = conn.getresponse()
            data = answer.read()
            status = answer.status
        except OSError as exc:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            status, data = 0, str(exc).encode()
        elapsed = time.perf_counter() - started
        with lock:
            phase.latencies.append(elapsed)
            phase.photo_bytes += len(photo)
            if status == 201:
                phase.sent[client_id] = hashlib.sha256(photo).hexdigest()
            else:
                phase.errors.append(f"{status} {data[:200]!r}")
    conn.close()


def reader(port, token, phase: Phase, lock, done: threading.Event, pause: float, month: str, seed: int):
    rng = random.Random(seed)
    box = f"{LON0},{LAT0},{LON0 + SIDE * CELL},{LAT0 + SIDE * CELL}"
    paths = [
        "/api/v1/reports?per_page=50",
        f"/api/v1/map/reports?bbox={box}&month={month}",
        f"/api/v1/map/communities?month={month}",
        f"/api/v1/rankings/{month}",
    ]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    n = rng.randrange(len(paths))
    done.wait(rng.uniform(0, pause))  # readers start spread out
    while not done.is_set():
        started = time.perf_counter()
        try:
            conn.request("GET", paths[n % len(paths)], headers={"Authorization": f"Bearer {token}"})
            answer = conn.getresponse()
            answer.read()
            ok = answer.status == 200
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            ok = False
        with lock:
            phase.read_latencies.append(time.perf_counter() - started)
            phase.read_errors += 0 if ok else 1
        n += 1
        done.wait(pause)
    conn.close()


def run_phase(
    name, server, tokens, photos, *, inspectors, readers, reports, seconds, pause, cpu=None
) -> Phase:
    """One phase against ``server``; ``cpu()`` gives the CPU seconds of the processes serving it."""
    port = server.port
    cpu = cpu or server.cpu_seconds
    cpu_before = cpu()
    store_pid = getattr(server, "store_pid", None)
    store_before = tree_cpu(store_pid) if store_pid else 0.0
    phase, lock, done = Phase(name, inspectors, readers), threading.Lock(), threading.Event()
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    stop_at = time.monotonic() + seconds
    readers_ = [
        threading.Thread(target=reader, args=(port, tokens["office"], phase, lock, done, pause, month, n))
        for n in range(readers)
    ]
    writers = [
        threading.Thread(
            target=inspector,
            args=(port, tokens[f"insp{n}"], photos, phase, lock, stop_at, reports, f"{name}/{n}"),
        )
        for n in range(inspectors)
    ]
    for t in readers_:
        t.start()
    started = time.perf_counter()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    if not inspectors:
        done.wait(seconds)  # a readers-only phase lasts its seconds
    phase.seconds = time.perf_counter() - started
    phase.server_cpu = cpu() - cpu_before  # readers included: what the server spent while reports came in
    phase.store_cpu = (tree_cpu(store_pid) - store_before) if store_pid else 0.0
    done.set()
    for t in readers_:
        t.join()
    return phase


def check_database(url: str, phase: Phase) -> None:
    """Lost and duplicated reports: the database against what was answered 201."""
    engine = create_engine(normalise_database_url(url))
    ids = list(phase.sent)
    with engine.connect() as conn:
        found: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            rows = conn.execute(
                text(
                    "SELECT r.client_id, p.sha256 FROM report r JOIN photo p ON p.report_id = r.id "
                    "WHERE r.client_id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": ids[start : start + 500]},
            )
            for client_id, sha in rows:
                found.setdefault(str(client_id), []).append(sha)
    engine.dispose()
    phase.lost = sum(1 for cid, sha in phase.sent.items() if sha not in found.get(cid, []))
    phase.duplicated = sum(1 for shas in found.values() if len(shas) > 1)


def show(phase: Phase) -> dict:
    f = phase.figures()
    print(
        f"  {phase.name:<22} {f['inspectors']:>3} inspectors {f['readers']:>3} readers: {f['reports']:>4} reports "
        f"in {f['seconds']:>5} s = {f['reports_per_s']:>5} /s; p50 {f['p50_s']} s, p95 {f['p95_s']} s, max "
        f"{f['max_s']} s; errors {f['errors']}, lost {f['lost']}, duplicated {f['duplicated']}; reads "
        f"{f['reads']} (p95 {f['read_p95_s']} s, {f['read_errors']} errors); server CPU "
        f"{f['server_cpu_ms_per_report']} ms per report ({f['server_cores_used']} cores busy; "
        f"object store {f['store_cpu_ms_per_report']} ms; "
        f"{f['reports_per_s_per_idle_core']} reports/s per idle core)",
        flush=True,
    )
    for error in phase.errors[:3]:
        print(f"    error: {error}")
    return f


def load_phases(server, url, tokens, photos, args, knee_steps, common, results) -> None:
    """The main phase (8 inspectors and the readers), then the knee: more inspectors until p95 passes 1 s."""
    phase = run_phase(
        "main",
        server,
        tokens,
        photos,
        inspectors=args.inspectors,
        readers=args.readers,
        **common,
    )
    check_database(url, phase)
    results["main"] = show(phase)
    results["knee"] = []
    for step in knee_steps:
        phase = run_phase(
            f"knee {step}",
            server,
            tokens,
            photos,
            inspectors=step,
            readers=args.readers,
            **common,
        )
        check_database(url, phase)
        results["knee"].append(show(phase))
        if (phase.figures()["p95_s"] or 0) > GOAL_P95:
            break


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("FIELDCHECK_TEST_DATABASE_URL"))
    parser.add_argument("--store", choices=["folder", "s3"], default="folder")
    parser.add_argument("--inspectors", type=int, default=8)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--reader-pause", type=float, default=1.0)
    parser.add_argument("--reports", type=int, default=40, help="per inspector and phase, at most")
    parser.add_argument("--seconds", type=float, default=40, help="per phase, at most")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the config's)")
    parser.add_argument("--knee", default="12,16,24,32")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-knee", action="store_true")
    parser.add_argument(
        "--cost-only",
        action="store_true",
        help="only the cost phases and the idle projection (about a minute)",
    )
    parser.add_argument(
        "--cost-reports", type=int, default=8, help="reports per inspector (2) in the filing cost phase"
    )
    parser.add_argument("--photos", type=int, default=4, help="distinct base photos drawn before the run")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("set FIELDCHECK_TEST_DATABASE_URL or --database-url (a PostgreSQL server)")
    knee_steps = [] if args.no_knee else [int(x) for x in args.knee.split(",") if x]
    most = max([args.inspectors, *knee_steps])

    folder = Path(tempfile.mkdtemp(prefix="fieldcheck-load-"))
    print(f"load: drawing {args.photos} 12 MP photos, setting up PostgreSQL ...", flush=True)
    photos = base_photos(args.photos)
    url, tokens = make_database(args.database_url, most)
    env = {
        **os.environ,
        "FIELDCHECK_DATABASE_URL": url,
        "FIELDCHECK_SECRET_KEY": "load",
        "FIELDCHECK_INSTANCE_DIR": str(folder),
        "FIELDCHECK_BLOB_DIR": str(folder / "blobs"),
    }
    moto = None
    if args.store == "s3":
        import boto3

        moto, endpoint = start_moto(folder)
        creds = {
            "AWS_ACCESS_KEY_ID": "load",
            "AWS_SECRET_ACCESS_KEY": "load-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        env.update(creds)
        env.update(
            FIELDCHECK_BLOB_URL="s3://load/photos",
            FIELDCHECK_S3_ENDPOINT_URL=endpoint,
            FIELDCHECK_S3_REGION="us-east-1",
            FIELDCHECK_S3_ADDRESSING="path",
        )
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket="load")
    sizes = [len(p) / 1e6 for p in photos]
    print(
        f"photos {min(sizes):.1f}-{max(sizes):.1f} MB; store {args.store}; load average {os.getloadavg()[0]:.2f}"
    )
    results: dict = {
        "store": args.store,
        "load_avg_start": round(os.getloadavg()[0], 2),
        "cores": os.cpu_count(),
    }
    common = {"reports": args.reports, "seconds": args.seconds, "pause": args.reader_pause}

    def started(sync: bool) -> Server:
        """A server, warmed up (each worker has served reports and reads: a worker's first report costs
        more, its imports and caches; 20 reports on 5 workers reach each of them); the object store's CPU
        is counted beside its own."""
        server = Server(env, args.workers, sync, folder)
        if moto is not None:
            server.store_pid = moto.pid
        run_phase(
            "warm-up",
            server,
            tokens,
            photos,
            inspectors=1 if sync else 4,
            readers=4,
            reports=3 if sync else 5,
            seconds=60,
            pause=0.2,
        )
        return server

    try:
        if not args.no_baseline and not args.cost_only:
            server = started(True)
            try:
                phase = run_phase(
                    "baseline: 1 sync worker",
                    server,
                    tokens,
                    photos,
                    inspectors=args.inspectors,
                    readers=args.readers,
                    **common,
                )
            finally:
                server.stop()
            check_database(url, phase)
            results["baseline"] = show(phase)
        server = started(False)
        try:
            # What a report and a read cost the server (CPU), each alone: the figures that carry to
            # another machine, whatever else this one is running.
            filing = run_phase(
                "cost: filing alone",
                server,
                tokens,
                photos,
                inspectors=2,
                readers=0,
                reports=args.cost_reports,
                seconds=120,
                pause=0,
            )
            reads = run_phase(
                "cost: reads alone",
                server,
                tokens,
                photos,
                inspectors=0,
                readers=args.readers,
                reports=0,
                seconds=15,
                pause=args.reader_pause,
            )
            results["cost"] = {"filing": show(filing), "reads": show(reads)}
            filing_ms = filing.figures()["server_cpu_ms_per_report"] or 0
            read_ms = reads.figures()["server_cpu_ms_per_read"] or 0
            cores = os.cpu_count() or 1
            readers_load = args.readers / max(args.reader_pause, 0.05) * read_ms / 1000  # cores
            if filing_ms:
                results["idle_projection"] = {
                    "cores": cores,
                    "filing_cpu_ms": filing_ms,
                    "read_cpu_ms": read_ms,
                    "readers_cores": round(readers_load, 2),
                    "reports_per_s_alone": round(cores * 1000 / filing_ms, 1),
                    "reports_per_s_with_readers": round(max(0.0, cores - readers_load) * 1000 / filing_ms, 1),
                }
                print(f"  on {cores} idle cores (app server CPU only): {results['idle_projection']}")
            if not args.cost_only:
                load_phases(server, url, tokens, photos, args, knee_steps, common, results)
        finally:
            server.stop()
    finally:
        if moto is not None:
            moto.terminate()
            moto.wait(30)
        drop_database(url)
        shutil.rmtree(folder, ignore_errors=True)
    results["load_avg_end"] = round(os.getloadavg()[0], 2)
    if args.cost_only:
        print(json.dumps(results))
        return 0
    main_f = results["main"]
    steps = [results["main"], *results["knee"]]
    knee = next((s["inspectors"] for s in steps if (s["p95_s"] or 0) > GOAL_P95), None)
    results["knee_inspectors"] = knee
    results["goal_met"] = bool(
        main_f["reports_per_s"] >= GOAL_RATE
        and (main_f["p95_s"] or 99) < GOAL_P95
        and not main_f["errors"]
        and not main_f["lost"]
        and not main_f["duplicated"]
    )
    if "baseline" in results and results["baseline"]["reports_per_s"]:
        results["speedup_vs_baseline"] = round(
            main_f["reports_per_s"] / results["baseline"]["reports_per_s"], 2
        )
        print(f"main / baseline: {results['speedup_vs_baseline']}x the reports per second")
    print(
        f"knee (p95 over {GOAL_P95} s): {knee or 'not reached'} inspectors; goal met: {results['goal_met']}"
    )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
