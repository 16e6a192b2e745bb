"""Login, logout, CSRF, sessions, role home pages and API tokens through the test client."""

import pytest

from tests.conftest import csrf_token_from, login

ROLE_HOMES = {
    "inspector": "/inspector",
    "community": "/community",
    "subdistrict": "/subdistrict",
    "office": "/office",
    "admin": "/admin",
}


def scope_for(role):
    return {"community": {"community": "C001"}, "subdistrict": {"subdistrict": "SD01"}}.get(role, {})


def test_login_page_speaks_chinese_by_default(client):
    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'lang="zh-CN"' in html
    assert "登录" in html
    assert 'name="username"' in html and 'name="password"' in html


def test_english_is_selectable(client):
    client.get("/lang/en")
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Log in" in html


@pytest.mark.parametrize("role", sorted(ROLE_HOMES))
def test_each_role_lands_on_its_home_page(client, district, make_user, role):
    make_user(role, username=f"u-{role}", **scope_for(role))
    response = login(client, f"u-{role}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(ROLE_HOMES[role])
    assert client.get(ROLE_HOMES[role]).status_code == 200


@pytest.mark.parametrize("role", sorted(ROLE_HOMES))
def test_other_roles_home_pages_are_refused(client, district, make_user, role):
    make_user(role, username=f"u-{role}", **scope_for(role))
    login(client, f"u-{role}")
    for other, path in ROLE_HOMES.items():
        # Admin may also open the office's page: it makes every move the office makes.
        if other != role and not (role == "admin" and other == "office"):
            assert client.get(path).status_code == 403, path


def test_wrong_password_is_refused_with_a_message(client, district, make_user):
    make_user("office", username="office")
    response = login(client, "office", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/office").status_code == 302  # still not logged in: redirected to login


def test_login_without_csrf_token_is_refused(client, district, make_user):
    make_user("office", username="office")
    response = client.post("/login", data={"username": "office", "password": "pw-12345678"})
    assert response.status_code == 400
    assert client.get("/office").status_code == 302


def test_logout_needs_csrf_and_ends_the_session(client, district, make_user):
    make_user("office", username="office")
    login(client, "office")
    assert client.post("/logout").status_code == 400  # no CSRF token
    assert client.get("/office").status_code == 200
    token = csrf_token_from(client.get("/office").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/office").status_code == 302


def test_pages_need_login(client):
    response = client.get("/office")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_session_cookie_is_httponly_and_samesite(client, district, make_user):
    make_user("office", username="office")
    response = login(client, "office")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_session_cookie_is_signed_again_only_once_it_is_a_minute_old(
    client, district, make_user, monkeypatch
):
    """An unchanged session is not signed and sent on every request, only once its cookie is
    SESSION_REFRESH_AFTER seconds old; its 12-hour lifetime still runs from that refresh."""
    import time

    from fieldcheck.web import SESSION_REFRESH_AFTER

    make_user("office", username="office")
    assert "session=" in login(client, "office").headers.get("Set-Cookie", "")
    client.get("/office")  # the first page after login stores the new session's CSRF secret
    page = client.get("/office")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert "Cookie" in page.headers["Vary"]
    started = time.time()
    for later, refreshed in ((SESSION_REFRESH_AFTER - 5, False), (SESSION_REFRESH_AFTER + 1, True)):
        monkeypatch.setattr(time, "time", lambda later=later: started + later)
        page = client.get("/office")
        assert page.status_code == 200
        assert ("session=" in page.headers.get("Set-Cookie", "")) is refreshed
    # Refreshed at +61 s: still logged in (and refreshed again) a minute short of 12 hours after that;
    # logged out once 12 hours pass after that last refresh.
    lifetime = client.application.permanent_session_lifetime.total_seconds()
    last = SESSION_REFRESH_AFTER + 1
    for later, status in ((last + lifetime - 60, 200), (last + 2 * lifetime - 60 + 1, 302)):
        monkeypatch.setattr(time, "time", lambda later=later: started + later)
        assert client.get("/office").status_code == status


def test_a_changed_session_is_always_sent(app, client, district, make_user):
    from flask import session

    def touch():
        session["touched"] = True
        return "ok"

    app.add_url_rule("/_touch", "touch", touch)
    make_user("office", username="office")
    login(client, "office")
    client.get("/office")  # the first page after login stores the new session's CSRF secret
    assert "Set-Cookie" not in client.get("/office").headers
    answer = client.get("/_touch")
    assert "session=" in answer.headers.get("Set-Cookie", "")
    with client.session_transaction() as sess:
        assert sess["touched"] is True


def test_open_redirect_after_login_is_ignored(client, district, make_user):
    make_user("office", username="office")
    page = client.get("/login?next=https://evil.example/")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "office", "password": "pw-12345678", "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/office")


def test_password_is_stored_hashed(district, make_user):
    user = make_user("office", username="office")
    assert "pw-12345678" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_token_auth(client, district, make_user):
    make_user("community", username="staff", community="C001")
    response = client.post("/api/v1/auth/token", json={"username": "staff", "password": "pw-12345678"})
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    body = me.get_json()
    assert body["username"] == "staff"
    assert body["role"] == "community"
    assert body["scope"] == {"type": "community", "code": "C001", "name": "王城社区"}


def test_token_with_wrong_password_is_refused(client, district, make_user):
    make_user("office", username="office")
    response = client.post("/api/v1/auth/token", json={"username": "office", "password": "nope-nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", ["Bearer fc_not-a-token", "Basic abc", "Bearer "])
def test_api_refuses_bad_tokens(client, district, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"]


def test_token_endpoint_needs_both_fields(client):
    response = client.post("/api/v1/auth/token", json={"username": "x"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"


def test_inactive_user_cannot_log_in(app, client, district, make_user):
    from fieldcheck.auth.models import User
    from fieldcheck.extensions import db

    user = make_user("office", username="office")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert login(client, "office").status_code == 401
