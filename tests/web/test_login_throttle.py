"""Brute-force throttling of /login and POST /api/v1/auth/token (issue 12), in memory and in Redis.

Failed attempts are counted per account and per client address, for both routes together; past a limit
every attempt answers 429 with Retry-After. Successful logins cost nothing, so the suite's many logins
never trip it (test_successes_are_never_throttled runs the defaults the suite runs with)."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from fieldcheck import create_app
from fieldcheck.auth.services import NewUser, add_user
from fieldcheck.extensions import db
from tests.conftest import _truncate_all, csrf_token_from

PASSWORD = "pw-12345678"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def make_app(database_url, backend, tmp_path):
    """make_app(**config) -> an app on the test database with users office, office2 .. office5.

    A second call gives another app on the same database (a restarted or second process)."""
    made = []

    def make(**overrides):
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "BLOB_DIR": str(tmp_path / "blobs"),
                "SECRET_KEY": "test-secret",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                **overrides,
            }
        )
        if not made:
            if backend == "postgresql":
                _truncate_all(app)
            with app.app_context():
                db.create_all()
                for name in ("office", "office2", "office3", "office4", "office5"):
                    add_user(NewUser(name, PASSWORD, "office"))
                db.session.commit()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def page_login(client, username, password, **kwargs):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}, **kwargs
    )


def api_login(client, username, password, **kwargs):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password}, **kwargs)


def fresh(app):
    """A browser with no session (a new client each attempt, as a script would)."""
    return app.test_client()


def assert_throttled_page(response):
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 15 * 60 + 1
    html = response.get_data(as_text=True)
    assert "失败次数过多" in html and 'name="username"' in html  # a readable page: the login form again


def assert_throttled_api(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1
    assert response.get_json()["error"]["code"] == "too_many_requests"
    assert response.get_json()["error"]["message"]


def test_failures_per_account_are_throttled_on_the_page_and_the_api(make_app):
    app = make_app()  # the defaults: 10 failures per account in 15 minutes
    for _ in range(10):
        assert page_login(fresh(app), "office", "wrong-password").status_code == 401
    # The 11th attempt is refused whatever the password: a right guess now is not revealed.
    assert_throttled_page(page_login(fresh(app), "office", PASSWORD))
    assert_throttled_api(api_login(fresh(app), "office", PASSWORD))
    # Another account from the same address is not concerned.
    assert page_login(fresh(app), "office2", PASSWORD).status_code == 302


def test_the_page_and_the_api_share_one_count(make_app):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="4 per 15 minutes")
    for attempt in range(4):
        login = page_login if attempt % 2 else api_login
        assert login(fresh(app), "office", "wrong-password").status_code == 401
    assert_throttled_api(api_login(fresh(app), "office", PASSWORD))
    assert_throttled_page(page_login(fresh(app), "office", PASSWORD))


def test_usernames_padded_with_spaces_count_as_the_account(make_app):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="3 per 15 minutes")
    for name in ("office", " office", "office  "):
        assert page_login(fresh(app), name, "wrong-password").status_code == 401
    assert_throttled_page(page_login(fresh(app), "office", PASSWORD))


def test_failures_per_address_are_throttled(make_app):
    app = make_app(LOGIN_FAILURES_PER_ADDRESS="6 per 15 minutes")
    names = ["office", "office2", "office3", "nobody", "office4", "ghost"]
    for name in names:
        assert api_login(fresh(app), name, "wrong-password").status_code == 401
    assert_throttled_api(api_login(fresh(app), "office5", PASSWORD))
    assert_throttled_page(page_login(fresh(app), "office5", PASSWORD))
    # Another address logs in.
    other = {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}
    assert api_login(fresh(app), "office5", PASSWORD, **other).status_code == 201


def test_an_ipv6_client_counts_by_its_64(make_app):
    app = make_app(LOGIN_FAILURES_PER_ADDRESS="2 per 15 minutes")
    for host in ("2001:db8:1:2::a", "2001:db8:1:2:ffff::1"):
        assert api_login(fresh(app), "nobody", "x", environ_base={"REMOTE_ADDR": host}).status_code == 401
    same_64 = {"environ_base": {"REMOTE_ADDR": "2001:db8:1:2::beef"}}
    assert_throttled_api(api_login(fresh(app), "office", PASSWORD, **same_64))
    other_64 = {"environ_base": {"REMOTE_ADDR": "2001:db8:1:3::1"}}
    assert api_login(fresh(app), "office", PASSWORD, **other_64).status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_counts(make_app):
    app = make_app(LOGIN_FAILURES_PER_ADDRESS="2 per 15 minutes", PROXY_HOPS=1)
    for _ in range(2):
        response = api_login(fresh(app), "nobody", "x", headers={"X-Forwarded-For": "203.0.113.7"})
        assert response.status_code == 401
    assert_throttled_api(
        api_login(fresh(app), "office", PASSWORD, headers={"X-Forwarded-For": "203.0.113.7"})
    )
    # Everyone else behind the same proxy still logs in.
    assert (
        api_login(fresh(app), "office", PASSWORD, headers={"X-Forwarded-For": "203.0.113.8"}).status_code
        == 201
    )


def test_successes_are_never_throttled(make_app):
    """The defaults the whole suite runs with: many logins of one account from one address pass."""
    app = make_app()
    for _ in range(30):
        assert page_login(fresh(app), "office", PASSWORD).status_code == 302
        assert api_login(fresh(app), "office", PASSWORD).status_code == 201


def test_requests_without_a_username_are_refused_and_not_counted_against_an_account(make_app):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT="2 per 15 minutes")
    for _ in range(5):
        assert api_login(fresh(app), "", "x").status_code == 400
    assert api_login(fresh(app), "office", PASSWORD).status_code == 201


def test_the_limiter_can_be_switched_off(make_app):
    app = make_app(RATELIMIT_ENABLED=False, LOGIN_FAILURES_PER_ACCOUNT="1 per 15 minutes")
    try:
        for _ in range(3):
            assert api_login(fresh(app), "office", "wrong-password").status_code == 401
        assert api_login(fresh(app), "office", PASSWORD).status_code == 201
    finally:
        from fieldcheck.extensions import limiter

        limiter.enabled = True  # the extension object is shared by every app of the process


# --- a small body --------------------------------------------------------------------------------------


def test_a_large_login_body_is_refused_with_413(make_app):
    app = make_app()
    client = fresh(app)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "office", "password": "x" * 5000, "csrf_token": token})
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True).lower()


def test_a_large_token_body_is_refused_with_413(make_app):
    app = make_app()
    response = fresh(app).post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "office", "password": "x" * 5000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    from fieldcheck.extensions import limiter

    assert limiter._storage_dead is False  # the 413 did not pass for a storage failure


def test_a_login_body_within_the_limit_passes(make_app):
    app = make_app()
    response = fresh(app).post(
        "/api/v1/auth/token",
        data=json.dumps({"username": "office", "password": PASSWORD, "pad": "x" * 3000}),
        content_type="application/json",
    )
    assert response.status_code == 201


# --- Redis ---------------------------------------------------------------------------------------------


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    yield client
    client.close()


def test_redis_storage_keeps_the_count_for_every_process(make_app, redis_client):
    # Redis outlives the test: a name and an address of this run only, and their keys removed after.
    name = f"user-{uuid.uuid4().hex[:10]}"
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    here = {"environ_base": {"REMOTE_ADDR": address}}
    config = {"RATELIMIT_STORAGE_URL": REDIS_URL, "LOGIN_FAILURES_PER_ACCOUNT": "3 per 15 minutes"}
    app = make_app(**config)
    with app.app_context():
        add_user(NewUser(name, PASSWORD, "office"))
        db.session.commit()
    account = hashlib.sha256(name.encode()).hexdigest()[:32]
    try:
        for _ in range(3):
            assert page_login(fresh(app), name, "wrong-password", **here).status_code == 401
        assert_throttled_page(page_login(fresh(app), name, PASSWORD, **here))
        assert list(redis_client.scan_iter(f"*{account}*")), "the account's count is not in Redis"
        assert list(redis_client.scan_iter(f"*address:{address}/*")), "the address's count is not in Redis"
        # Another process (a new app, its own connection) sees the same count.
        second = make_app(**config)
        assert_throttled_api(api_login(fresh(second), name, PASSWORD, **here))
        assert api_login(fresh(second), "office2", PASSWORD, **here).status_code == 201
    finally:
        for pattern in (f"*{account}*", f"*address:{address}/*"):
            for key in redis_client.scan_iter(pattern):
                redis_client.delete(key)


def test_memory_storage_is_the_default():
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "BLOB_DIR": "/nonexistent"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    redis_app = create_app(
        {
            "SECRET_KEY": "x",
            "DATABASE_URL": "sqlite://",
            "BLOB_DIR": "/nonexistent",
            "RATELIMIT_STORAGE_URL": REDIS_URL,
        }
    )
    assert redis_app.config["RATELIMIT_STORAGE_URI"] == REDIS_URL


def test_an_unreachable_redis_does_not_break_login(make_app):
    app = make_app(
        RATELIMIT_STORAGE_URL="redis://127.0.0.1:1/0", LOGIN_FAILURES_PER_ACCOUNT="2 per 15 minutes"
    )
    try:
        assert page_login(fresh(app), "office", PASSWORD).status_code == 302
        # Counting goes on in memory meanwhile.
        for _ in range(2):
            assert api_login(fresh(app), "office", "wrong-password").status_code == 401
        assert_throttled_api(api_login(fresh(app), "office", PASSWORD))
    finally:
        from fieldcheck.extensions import limiter

        limiter._storage_dead = False  # the extension object is shared by every app of the process
