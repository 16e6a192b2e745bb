"""Accounts and sessions (issue 12): sessions that end on the server, revocable tokens, deactivation,
the password policy, CSRF on session-authenticated API writes, and one safe rule for `next`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldcheck.auth.models import ApiToken, User
from fieldcheck.extensions import db
from tests.conftest import csrf_token_from, login
from tests.web.reporting import post_report

PASSWORD = "pw-12345678"


@pytest.fixture
def office(district, make_user):
    return make_user("office", username="office")


@pytest.fixture
def cli(app):
    from fieldcheck.cli import main

    runner = app.test_cli_runner()

    def run(*args, input=None):
        return runner.invoke(main, [str(a) for a in args], input=input)

    return run


def logged_in(app, username="office", password=PASSWORD):
    client = app.test_client()
    assert login(client, username, password).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of the client's session cookie (a stolen or copied cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    return other


def logout(client):
    token = csrf_token_from(client.get("/office").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def new_token(client, username="office", password=PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


# --- logout ends the session on the server ----------------------------------------------------------


def test_a_copied_cookie_stops_working_after_logout(app, office):
    browser = logged_in(app)
    thief = copy_of(app, browser)
    assert thief.get("/office").status_code == 200  # the copy works while the session lives
    logout(browser)
    response = thief.get("/office")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert thief.get("/api/v1/me").status_code == 401


def test_logout_ends_only_that_session(app, office):
    phone, desk = logged_in(app), logged_in(app)
    logout(desk)
    assert phone.get("/office").status_code == 200
    assert desk.get("/office").status_code == 302


def test_a_session_cookie_from_before_server_sessions_is_refused(app, office):
    """A cookie that names a user but no server-side session (forged with the secret, or from an older
    version) does not log anyone in."""
    browser = app.test_client()
    with browser.session_transaction() as sess:
        sess["_user_id"] = str(office.id)
        sess["_fresh"] = True
    assert browser.get("/office").status_code == 302


def test_sessions_older_than_the_absolute_lifetime_end(app, office):
    from datetime import timedelta

    from fieldcheck.auth.models import UserSession

    browser = logged_in(app)
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == office.id))
        row.created_at = row.created_at - timedelta(days=app.config["SESSION_MAX_DAYS"], seconds=1)
        db.session.commit()
    assert browser.get("/office").status_code == 302


# --- a password change ends every session and token -------------------------------------------------


def change_password_page(client, current, new, confirm=None):
    page = client.get("/account/password")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": current,
            "new": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def test_changing_the_password_on_the_page_ends_every_other_session_and_token(app, office):
    browser, other = logged_in(app), logged_in(app)
    token = new_token(app.test_client())
    response = change_password_page(browser, PASSWORD, "a-new-pass-2026")
    assert response.status_code == 302
    assert browser.get("/office").status_code == 200  # the browser that changed it stays in
    assert other.get("/office").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "office", PASSWORD).status_code == 401
    assert login(app.test_client(), "office", "a-new-pass-2026").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "fragment"),
    [
        ("wrong-password", "a-new-pass-2026", None, "当前密码不正确"),
        (PASSWORD, "a-new-pass-2026", "a-new-pass-2027", "两次输入的新密码不一致"),
        (PASSWORD, "short-9ch", None, "至少需要 10 个字符"),
        (PASSWORD, "qwertyuiop", None, "最常见的密码"),
        (PASSWORD, "Password123", None, "最常见的密码"),
    ],
)
def test_the_password_page_refuses_with_a_readable_message(app, office, current, new, confirm, fragment):
    browser = logged_in(app)
    response = change_password_page(browser, current, new, confirm)
    assert response.status_code == 400
    assert fragment in response.get_data(as_text=True)
    assert login(app.test_client(), "office", PASSWORD).status_code == 302  # unchanged


def test_set_password_command_ends_every_session_and_token(app, office, cli):
    browser = logged_in(app)
    token = new_token(app.test_client())
    result = cli("users", "set-password", "office", "--password-stdin", input="a-new-pass-2026\n")
    assert result.exit_code == 0, result.output
    assert browser.get("/office").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "office", "a-new-pass-2026").status_code == 302


def test_set_password_command_prompts_twice(app, office, cli):
    result = cli("users", "set-password", "office", input="a-new-pass-2026\na-new-pass-2026\n")
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "office", "a-new-pass-2026").status_code == 302


@pytest.mark.parametrize(
    ("args", "stdin", "fragment"),
    [
        (("office",), "short\n", "at least 10 characters"),
        (("office",), "1234567890\n", "most common passwords"),
        (("office",), "OFFICE\n", "at least 10 characters"),
        (("nobody",), "a-new-pass-2026\n", "No user named nobody"),
    ],
)
def test_set_password_command_refuses_cleanly(app, office, cli, args, stdin, fragment):
    browser = logged_in(app)
    result = cli("users", "set-password", *args, "--password-stdin", input=stdin)
    assert result.exit_code == 1 and fragment in result.output and "Traceback" not in result.output
    assert browser.get("/office").status_code == 200  # nothing ended


# --- API tokens listed and revoked ------------------------------------------------------------------


def test_tokens_are_listed_without_their_secrets(app, office):
    client = app.test_client()
    first, second = new_token(client), new_token(client)
    response = client.get("/api/v1/auth/tokens", headers=bearer(second))
    assert response.status_code == 200
    body = response.get_json()
    assert [t["current"] for t in body["tokens"]] == [False, True]
    assert set(body["tokens"][0]) == {"id", "created_at", "expires_at", "last_used_at", "current"}
    assert first not in response.get_data(as_text=True) and second not in response.get_data(as_text=True)


def test_a_token_can_be_revoked_by_id(app, office):
    client = app.test_client()
    keep, drop = new_token(client), new_token(client)
    ids = [t["id"] for t in client.get("/api/v1/auth/tokens", headers=bearer(keep)).get_json()["tokens"]]
    assert client.delete(f"/api/v1/auth/tokens/{ids[1]}", headers=bearer(keep)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(drop)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(keep)).status_code == 200
    missing = client.delete(f"/api/v1/auth/tokens/{ids[1]}", headers=bearer(keep))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_the_current_token_can_be_revoked(app, office):
    client = app.test_client()
    token = new_token(client)
    assert client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_another_users_token_cannot_be_revoked(app, office, make_user):
    make_user("office", username="office2")
    client = app.test_client()
    mine, theirs = new_token(client), new_token(client, "office2")
    their_id = client.get("/api/v1/auth/tokens", headers=bearer(theirs)).get_json()["tokens"][0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{their_id}", headers=bearer(mine)).status_code == 404
    assert client.get("/api/v1/me", headers=bearer(theirs)).status_code == 200


def test_revoking_the_current_token_from_a_session_is_refused(app, office):
    browser = logged_in(app)
    token = csrf_token_from(browser.get("/office").get_data(as_text=True))
    response = browser.delete("/api/v1/auth/token", headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid"


def test_tokens_revoke_command_revokes_every_token_of_the_user(app, office, make_user, cli):
    make_user("office", username="office2")
    client = app.test_client()
    tokens = [new_token(client), new_token(client)]
    other = new_token(client, "office2")
    browser = logged_in(app)
    result = cli("tokens", "revoke", "--user", "office")
    assert result.exit_code == 0 and "revoked 2 API tokens of office" in result.output
    for token in tokens:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    assert browser.get("/office").status_code == 200  # sessions are not tokens
    listed = cli("tokens", "list", "--user", "office2")
    assert listed.exit_code == 0 and "1 API tokens of office2" in listed.output


# --- deactivation -----------------------------------------------------------------------------------


def test_deactivate_command_refuses_the_user_at_once(app, office, cli):
    browser = logged_in(app)
    token = new_token(app.test_client())
    result = cli("users", "deactivate", "office")
    assert result.exit_code == 0, result.output
    assert "deactivated office: 1 sessions and 1 API tokens ended" in result.output
    assert browser.get("/office").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert login(app.test_client(), "office").status_code == 401
    refused = app.test_client().post("/api/v1/auth/token", json={"username": "office", "password": PASSWORD})
    assert refused.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(User.active).where(User.username == "office")) is False
        assert db.session.scalars(select(ApiToken)).all() == []
    # Reactivated, the user logs in again with the same password; the old token stays revoked.
    assert cli("users", "activate", "office").exit_code == 0
    assert login(app.test_client(), "office").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_deactivate_names_an_unknown_user(app, office, cli):
    result = cli("users", "deactivate", "nobody")
    assert result.exit_code == 1 and "No user named nobody" in result.output


# --- the password policy ----------------------------------------------------------------------------


def test_the_bundled_list_holds_the_ten_thousand_most_common_passwords():
    from fieldcheck.auth import passwords

    common = passwords.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwertyuiop", "1234567890", "password123"} <= common


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "too_short"),
        ("abcdefghi", "too_short"),  # 9 characters
        ("demo12345", "too_short"),  # the old demo password
        ("qwertyuiop", "too_common"),
        ("QwertyUiop", "too_common"),
        ("1234567890", "too_common"),
        ("office-staff", "is_username"),
        ("abcdefghij", None),
        ("demo-2026-wmb", None),
        (PASSWORD, None),
    ],
)
def test_password_policy(password, problem):
    from fieldcheck.auth import passwords

    assert passwords.problem(password, "office-staff") == problem


def test_the_demo_password_passes_the_policy():
    from fieldcheck.auth import passwords
    from fieldcheck.demo import DEMO_PASSWORD

    assert passwords.problem(DEMO_PASSWORD) is None


@pytest.mark.parametrize("password", ["pw-123456", "password123", "1q2w3e4r5t"])
def test_users_add_refuses_a_weak_password(app, district, cli, password):
    result = cli("users", "add", "bob", "--role", "office", "--password", password)
    assert result.exit_code == 1 and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bob")) is None


def test_users_import_refuses_a_common_password(app, district, cli, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(
        "username,password,role,level,community,subdistrict,display_name\n"
        "ok1,pw-12345678,office,,,,\n"
        "bob,qwertyuiop,office,,,,\n",
        encoding="utf-8",
    )
    result = cli("users", "import", path)
    assert result.exit_code == 1 and "line 3: user bob" in result.output and "most common" in result.output
    with app.app_context():
        assert db.session.scalars(select(User)).all() == []


# --- CSRF: only a valid bearer token skips it -------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer fc_not-a-token", "Basic b2ZmaWNlOng=", "Bearer "])
def test_a_session_write_with_a_stray_authorization_header_still_needs_csrf(app, people, header):
    browser = logged_in(app, "insp")
    response = post_report(browser, {"Authorization": header})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf"


def test_a_session_write_with_the_csrf_header_passes(app, people):
    browser = logged_in(app, "insp")
    token = browser.get("/inspector/session.json").get_json()["csrf_token"]
    response = post_report(browser, {"X-CSRFToken": token})
    assert response.status_code == 201, response.get_json()


def test_a_valid_bearer_token_needs_no_csrf(client, people):
    assert post_report(client, people["insp"]).status_code == 201


def test_a_session_delete_needs_csrf(app, office):
    browser = logged_in(app)
    token_id = 1
    response = browser.delete(f"/api/v1/auth/tokens/{token_id}", headers={"Authorization": "Bearer x"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf"


# --- one safe rule for `next` -----------------------------------------------------------------------

HOSTILE_NEXT = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    " /evil",
    "javascript:alert(1)",
    "evil.example",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_safe_next_refuses(target):
    from fieldcheck.auth.redirects import safe_next

    assert safe_next(target) is None


@pytest.mark.parametrize(
    "target", ["/office", "/office/queue/verify?page=2", "/reports/3#move", "/ranking/2026-11"]
)
def test_safe_next_keeps_same_site_paths(target):
    from fieldcheck.auth.redirects import safe_next

    assert safe_next(target) == target


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_ignores_a_hostile_next(app, client, office, target):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "office", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/office"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_ignores_a_hostile_next(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_workflow_forms_ignore_a_hostile_next(app, people, browser_for, target):
    import re

    response = post_report(app.test_client(), people["insp"])
    report_id = response.get_json()["id"]
    office = browser_for("office")
    page = office.get(f"/reports/{report_id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = office.post(
        f"/reports/{report_id}/void",
        data={"csrf_token": csrf_token_from(page), "version": version, "note": "重复", "next": target},
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/reports/{report_id}"


def test_the_workflow_uses_the_login_rule():
    from fieldcheck.auth import views as auth_views
    from fieldcheck.auth.redirects import safe_next
    from fieldcheck.workflow import views as workflow_views

    assert workflow_views.safe_next is safe_next is auth_views.safe_next
