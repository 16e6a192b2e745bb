"""GET /healthz (database and storage checked, no login, no session, not rate limited) and the request
id with its JSON access-log line on every response."""

# ruff: noqa: F811
from __future__ import annotations

import json
import logging
import re
import socket

import pytest

from fieldcheck import create_app
from fieldcheck.extensions import limiter
from fieldcheck.storage import LocalBlobStore, store_from_config
from tests.s3server import s3_bucket, s3_config, s3_env  # noqa: F401  (fixtures)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_is_ok_without_login_and_sets_no_cookie(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_healthz_on_object_storage(app, client, s3_bucket):
    app.extensions["fieldcheck.storage"] = store_from_config({"BLOB_DIR": "/x", **s3_config(s3_bucket)})
    assert client.get("/healthz").get_json()["storage"] == "ok"
    app.extensions["fieldcheck.storage"] = store_from_config(
        {"BLOB_DIR": "/x", **s3_config(s3_bucket), "S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}"}
    )
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "database": "ok", "storage": "failed"}


def test_healthz_names_a_folder_store_that_cannot_be_written(app, client, tmp_path):
    (tmp_path / "not-a-folder").write_bytes(b"x")
    app.extensions["fieldcheck.storage"] = LocalBlobStore(tmp_path / "not-a-folder" / "blobs")
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "database": "ok", "storage": "failed"}


def test_healthz_names_a_database_that_is_down(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "BLOB_DIR": str(tmp_path / "b"),
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/none",
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        }
    )
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "unavailable", "database": "failed", "storage": "ok"}


def test_healthz_is_not_rate_limited(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "BLOB_DIR": str(tmp_path / "b"),
            "DATABASE_URL": database_url,
            "RATELIMIT_DEFAULT": "2 per minute",
        }
    )
    client = app.test_client()
    try:
        assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
        assert [client.get("/login").status_code for _ in range(3)][
            -1
        ] == 429  # the limit is in force elsewhere
    finally:
        # Flask-Limiter keeps default limits on its one object once set; later apps must not inherit them.
        limiter.limit_manager.set_default_limits([])


@pytest.mark.parametrize(
    "incoming, kept",
    [
        ("lb-7f3a.42:9", True),
        ("0123456789abcdef0123456789abcdef", True),
        ("has space", False),
        ("x" * 129, False),
        ("<script>", False),
        ("", False),
    ],
)
def test_an_incoming_request_id_is_kept_if_sane(client, incoming, kept):
    answer = client.get("/healthz", headers={"X-Request-ID": incoming})
    if kept:
        assert answer.headers["X-Request-ID"] == incoming
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_every_response_has_a_request_id_and_one_json_access_line(client, people, caplog):
    caplog.set_level(logging.INFO, logger="fieldcheck.access")
    answers = [
        client.get(
            "/api/v1/reports?status=nonsense&token=secret", headers={**people["c1"], "X-Request-ID": "req-1"}
        ),
        client.get("/no/such/page", headers={"X-Request-ID": "req-2"}),
        client.get("/healthz", headers={"X-Request-ID": "req-3"}),
    ]
    assert [a.headers["X-Request-ID"] for a in answers] == ["req-1", "req-2", "req-3"]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "fieldcheck.access"]
    by_id = {line["request_id"]: line for line in lines}
    first = by_id["req-1"]
    assert set(first) >= {"method", "path", "status", "duration_ms", "request_id", "user_id"}
    assert first["method"] == "GET" and first["path"] == "/api/v1/reports"  # no query string
    assert first["status"] == answers[0].status_code
    assert isinstance(first["user_id"], int)
    assert first["duration_ms"] >= 0
    assert by_id["req-2"]["status"] == 404 and by_id["req-2"]["user_id"] is None
    assert by_id["req-3"]["status"] == 200 and by_id["req-3"]["user_id"] is None
