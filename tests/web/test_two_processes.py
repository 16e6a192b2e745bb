"""Two app processes (`fieldcheck serve` on two loopback ports) on one PostgreSQL database and one object
store, as two app machines of a city: what is filed on one is listed, ranked and its photo served on the
other; boundaries imported on one are what the other's locator uses. Skipped without PostgreSQL."""

# ruff: noqa: F811
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fieldcheck import create_app
from fieldcheck.auth.services import NewUser, add_user, issue_token
from fieldcheck.extensions import db
from fieldcheck.geography import services as geo_services
from fieldcheck.storage import store_from_config
from fieldcheck.unit_of_work import writing
from tests.conftest import app_config, feature, import_district, small_district, square
from tests.photo_factory import jpeg
from tests.s3server import CREDENTIALS, s3_bucket, s3_config, s3_env  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres
FIELDCHECK = Path(sys.executable).with_name("fieldcheck")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, path: str, token: str, *, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of one request to the process on ``port``."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
        method="POST" if data is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def file_report(port: int, token: str, lat: float, lon: float, photo: bytes) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    fields = {"client_id": str(uuid.uuid4()), "item_code": "ENV-02", "lat": str(lat), "lon": str(lon)}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    body += photo + f"\r\n--{boundary}--\r\n".encode()
    status, _headers, answer = call(
        port,
        "/api/v1/reports",
        token,
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    return status, json.loads(answer)


@pytest.fixture
def city(pg_empty_database, s3_bucket, tmp_path):
    """The shared database (the small district, an inspector and the office) and the environment of an
    app machine: that database, that bucket, the same secret."""
    config = {**app_config(pg_empty_database, tmp_path / "unused"), **s3_config(s3_bucket)}
    app = create_app(config)
    with app.app_context():
        db.create_all()
    import_district(app)
    tokens = {}
    with app.app_context():
        for spec in (
            NewUser("insp", "pw-12345678", "inspector", "city"),
            NewUser("office", "pw-12345678", "office"),
        ):
            user = add_user(spec)
            db.session.flush()
            tokens[spec.username] = issue_token(user, datetime.now(UTC), 1)[0]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    env = {
        **os.environ,
        **CREDENTIALS,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "FIELDCHECK_DATABASE_URL": pg_empty_database,
        "FIELDCHECK_SECRET_KEY": "two-processes",
        "FIELDCHECK_INSTANCE_DIR": str(tmp_path),
        **{f"FIELDCHECK_{k}": v for k, v in s3_config(s3_bucket).items()},
    }
    env.pop("FIELDCHECK_BLOB_DIR", None)
    return {"env": env, "tokens": tokens, "store": store_from_config(config), "app": app}


@pytest.fixture
def two_machines(city, tmp_path):
    """Two `fieldcheck serve` processes (one worker each) with the city's environment; their ports."""
    processes, ports = [], []
    for name in ("a", "b"):
        port = _free_port()
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [str(FIELDCHECK), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=city["env"],
            stdout=subprocess.DEVNULL,
            stderr=log,
            cwd=tmp_path,
        )
        processes.append((process, log))
        ports.append(port)
    try:
        for port, (process, _log) in zip(ports, processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "a.log"
                ).read_text()
                try:
                    if call(port, "/healthz", "")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
        yield ports
    finally:
        for process, log in processes:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hang guard
                process.kill()
            log.close()


def test_two_app_processes_share_the_database_and_the_photo_store(city, two_machines):
    a, b = two_machines
    insp, office = city["tokens"]["insp"], city["tokens"]["office"]

    # Filed on A ...
    status, report = file_report(a, insp, 34.655, 112.405, jpeg(seed=5))
    assert status == 201, report
    photo = report["photos"][0]
    month = (
        datetime.fromisoformat(report["observed_at"]).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    )

    # ... listed on B,
    status, _h, body = call(b, "/api/v1/reports", office)
    assert status == 200 and [r["id"] for r in json.loads(body)["reports"]] == [report["id"]]
    # ranked on B (C001 inspected, with a deduction),
    status, _h, body = call(b, f"/api/v1/rankings/{month}", office)
    assert status == 200, body
    rows = {row["code"]: row for row in json.loads(body)["communities"]}
    assert rows["C001"]["inspected"] is True and rows["C004"]["inspected"] is False
    # and its photo served by B: the display copy made by B on this first view from the original A stored,
    # and kept in the shared store, where A then reads it.
    assert not list(city["store"].keys("display/"))
    status, headers, served = call(b, f"/api/v1/photos/{photo['id']}/display", office)
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    [display_key] = city["store"].keys("display/")
    assert served == city["store"].get(display_key)
    status, _h, again = call(a, f"/api/v1/photos/{photo['id']}/display", office)
    assert status == 200 and again == served

    # B places a point east of the district nowhere ...
    status, _h, body = call(b, "/api/v1/locate?lat=34.655&lon=112.445", insp)
    assert status == 200 and json.loads(body)["community"] is None
    # ... boundaries with a fifth community there are imported on A's machine (as `fieldcheck
    # import-boundaries` does, through the same service, on the shared database) ...
    geojson = small_district()
    geojson["features"].append(feature("C005", "新区社区", "SD02", "涧西街道", square(112.44, 34.65)))
    with city["app"].app_context():
        with writing():
            geo_services.import_boundaries(json.dumps(geojson).encode(), "v2.geojson")
        db.session.remove()
        db.engine.dispose()
    # ... and B's locator uses them at once: the point, and a report filed there on B.
    status, _h, body = call(b, "/api/v1/locate?lat=34.655&lon=112.445", insp)
    assert status == 200 and json.loads(body)["community"]["code"] == "C005"
    status, second = file_report(b, insp, 34.655, 112.445, jpeg(seed=6))
    assert status == 201 and second["community"]["code"] == "C005"
    status, _h, body = call(a, f"/api/v1/reports/{second['id']}", office)
    assert status == 200 and json.loads(body)["community"]["code"] == "C005"
