"""Issue 15: users administration in the browser and the admin API, the audit log, forced password change."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, select, update

from fieldcheck.audit import AppendOnly, AuditEntry
from fieldcheck.auth.models import User
from fieldcheck.extensions import db
from tests.conftest import csrf_token_from, login

PASSWORD = "pw-12345678"
ROLES = ("insp", "c1", "sd1", "office", "admin")


@pytest.fixture
def people(client, district, make_user):
    make_user("inspector", username="insp", level="city")
    make_user("community", username="c1", community="C001")
    make_user("subdistrict", username="sd1", subdistrict="SD01")
    make_user("office", username="office")
    make_user("admin", username="admin")
    return ROLES


def browser(app, username, password=PASSWORD):
    c = app.test_client()
    assert login(c, username, password).status_code == 302
    return c


def bearer(client, username, password=PASSWORD):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def form_post(c, page_url, url, data, **kwargs):
    token = csrf_token_from(c.get(page_url).get_data(as_text=True))
    return c.post(url, data={**data, "csrf_token": token}, **kwargs)


def entries(app, action=None):
    with app.app_context():
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return [(e.actor, e.action, e.target, e.changes) for e in db.session.scalars(stmt)]


def user_row(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


# --- permissions ----------------------------------------------------------------------------------------

READ_PAGES = ["/admin/users", "/admin/users.csv", "/admin/audit", "/admin/audit.csv"]
WRITE_PAGES = ["/admin/users/new", "/admin/users/insp", "/admin/users/import"]


@pytest.mark.parametrize("who", ROLES)
def test_page_permissions(app, people, who):
    c = browser(app, who)
    for url in READ_PAGES:
        assert c.get(url).status_code == (200 if who in ("office", "admin") else 403), (who, url)
    for url in WRITE_PAGES:
        assert c.get(url).status_code == (200 if who == "admin" else 403), (who, url)
    # writes: refused before anything happens for everyone but the admin
    token = csrf_token_from(c.get("/account/password").get_data(as_text=True))
    for url in ("/admin/users/insp/password", "/admin/users/insp/active", "/admin/users/new"):
        if who != "admin":
            assert c.post(url, data={"csrf_token": token}).status_code == 403, (who, url)
    assert not user_row(app, "insp").must_change_password and user_row(app, "insp").active


@pytest.mark.parametrize("who", ROLES)
def test_api_permissions(app, client, people, who):
    headers = bearer(client, who)
    expected = 200 if who == "admin" else 403
    assert client.get("/api/v1/admin/users", headers=headers).status_code == expected
    assert client.get("/api/v1/admin/audit", headers=headers).status_code == expected
    if who != "admin":
        assert client.post("/api/v1/admin/users", headers=headers, json={}).status_code == 403
        assert (
            client.patch("/api/v1/admin/users/insp", headers=headers, json={"active": False}).status_code
            == 403
        )
        assert client.post("/api/v1/admin/users/insp/password", headers=headers).status_code == 403
        assert user_row(app, "insp").active


def test_admin_pages_need_a_login(client, district):
    for url in READ_PAGES + WRITE_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/api/v1/admin/users").status_code == 401


# --- add, edit, deactivate ------------------------------------------------------------------------------


def test_admin_adds_a_user_who_logs_in_with_that_password(app, people):
    admin = browser(app, "admin")
    response = form_post(
        admin,
        "/admin/users/new",
        "/admin/users/new",
        {
            "username": "wang",
            "display_name": "王督查",
            "role": "inspector",
            "level": "district",
            "password": "pw-wang-2026x",
            "confirm": "pw-wang-2026x",
        },
    )
    assert response.status_code == 302
    assert login(app.test_client(), "wang", "pw-wang-2026x").status_code == 302  # no change demanded
    actor, action, target, changes = entries(app, "user.create")[-1]
    assert (actor, target) == ("admin", "user:wang")
    assert changes["role"] == [None, "inspector"] and changes["level"] == [None, "district"]


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"username": "x y", "role": "office"}, "username", "字母、数字"),
        ({"username": "insp", "role": "office"}, "username", "已被占用"),
        ({"username": "bob", "role": "inspector"}, "level", "需要指定级别"),
        ({"username": "bob", "role": "community"}, "community", "社区编码"),
        ({"username": "bob", "role": "office", "password": "short", "confirm": "short"}, "password", "10"),
        ({"username": "bob", "role": "office", "confirm": "pw-other-99999"}, "confirm", ""),
    ],
)
def test_add_names_the_field_at_fault_and_stores_nothing(app, people, data, field, fragment):
    """In Chinese, the default language."""
    admin = browser(app, "admin")
    before = len(entries(app))
    response = form_post(
        admin,
        "/admin/users/new",
        "/admin/users/new",
        {"password": "pw-bob-2026xx", "confirm": "pw-bob-2026xx", **data},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'data-field="{field}"' in html and fragment in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "bob")) is None
    assert len(entries(app)) == before


def test_edit_role_scope_and_name_is_audited(app, people):
    admin = browser(app, "admin")
    response = form_post(
        admin,
        "/admin/users/insp",
        "/admin/users/insp",
        {"role": "community", "level": "", "community": "C002", "subdistrict": "", "display_name": "李四"},
    )
    assert response.status_code == 302
    user = user_row(app, "insp")
    assert (user.role, user.display_name, user.level) == ("community", "李四", None)
    actor, action, target, changes = entries(app, "user.update")[-1]
    assert (actor, target) == ("admin", "user:insp")
    assert changes["role"] == ["inspector", "community"] and changes["community"] == [None, "C002"]
    assert changes["subdistrict"] == [None, "SD01"] and changes["display_name"] == ["insp", "李四"]


def test_a_bad_edit_changes_nothing(app, people):
    admin = browser(app, "admin")
    response = form_post(
        admin,
        "/admin/users/insp",
        "/admin/users/insp",
        {"role": "subdistrict", "level": "city", "community": "", "subdistrict": "SD99", "display_name": "x"},
    )
    assert response.status_code == 400 and 'data-field="subdistrict"' in response.get_data(as_text=True)
    user = user_row(app, "insp")
    assert (user.role, user.display_name) == ("inspector", "insp")
    assert entries(app, "user.update") == []


def test_deactivation_ends_sessions_and_tokens_at_once_and_reactivation_lets_back_in(app, client, people):
    victim = browser(app, "c1")
    headers = bearer(client, "c1")
    assert victim.get("/community").status_code == 200
    admin = browser(app, "admin")
    assert form_post(admin, "/admin/users/c1", "/admin/users/c1/active", {"active": "no"}).status_code == 302
    assert victim.get("/community").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert login(app.test_client(), "c1").status_code == 401
    assert entries(app, "user.deactivate")[-1][:3] == ("admin", "user.deactivate", "user:c1")
    assert form_post(admin, "/admin/users/c1", "/admin/users/c1/active", {"active": "yes"}).status_code == 302
    assert login(app.test_client(), "c1").status_code == 302
    assert entries(app, "user.activate")[-1][:3] == ("admin", "user.activate", "user:c1")


def test_the_last_admin_cannot_be_deactivated(app, people):
    admin = browser(app, "admin")
    form_post(admin, "/admin/users/admin", "/admin/users/admin/active", {"active": "no"})
    assert user_row(app, "admin").active
    assert admin.get("/admin").status_code == 200


# --- reset password and the forced change ----------------------------------------------------------------


def test_reset_password_forces_a_change_at_the_next_login(app, client, people):
    victim = browser(app, "insp")
    headers = bearer(client, "insp")
    admin = browser(app, "admin")
    response = form_post(admin, "/admin/users/insp", "/admin/users/insp/password", {})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    temporary = html.split('class="temporary-password">')[1].split("<")[0]
    assert len(temporary) >= 10
    # every session and token of the user ended
    assert victim.get("/inspector").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    # the token route refuses the temporary password until it is changed
    refused = client.post("/api/v1/auth/token", json={"username": "insp", "password": temporary})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "password_change_required"
    # the login page asks for a new password instead of logging in
    user = app.test_client()
    response = login(user, "insp", temporary)
    assert response.status_code == 302 and "/login/new-password" in response.headers["Location"]
    assert user.get("/inspector").status_code == 302  # not logged in yet
    page = user.get("/login/new-password")
    assert page.status_code == 200
    token = csrf_token_from(page.get_data(as_text=True))
    weak = user.post(
        "/login/new-password", data={"new": "password123", "confirm": "password123", "csrf_token": token}
    )
    assert weak.status_code == 400
    done = user.post(
        "/login/new-password", data={"new": "pw-mine-20261", "confirm": "pw-mine-20261", "csrf_token": token}
    )
    assert done.status_code == 302
    assert user.get("/inspector").status_code == 200
    assert not user_row(app, "insp").must_change_password
    assert (
        client.post("/api/v1/auth/token", json={"username": "insp", "password": temporary}).status_code == 401
    )
    bearer(client, "insp", "pw-mine-20261")
    actions = [(a, t) for _, a, t, _ in entries(app) if t == "user:insp"]
    assert actions[-2:] == [("user.password_reset", "user:insp"), ("user.password_change", "user:insp")]


def test_new_password_page_without_a_pending_change_goes_to_login(client, people):
    response = client.get("/login/new-password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_second_reset_ends_the_pending_change(app, people):
    admin = browser(app, "admin")
    first = form_post(admin, "/admin/users/insp", "/admin/users/insp/password", {}).get_data(as_text=True)
    temporary = first.split('class="temporary-password">')[1].split("<")[0]
    user = app.test_client()
    login(user, "insp", temporary)
    form_post(admin, "/admin/users/insp", "/admin/users/insp/password", {})
    assert user.get("/login/new-password").status_code == 302


# --- import -------------------------------------------------------------------------------------------

HEADER = "username,password,role,level,community,subdistrict,display_name\n"


def upload(c, text, **extra):
    token = csrf_token_from(c.get("/admin/users/import").get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode()), "users.csv"), **extra}
    return c.post("/admin/users/import", data=data, content_type="multipart/form-data")


def test_import_preview_lists_every_rows_problem_and_stores_nothing(app, people):
    admin = browser(app, "admin")
    text = HEADER + (
        "ok1,pw-ok1-20261,office,,,,\n"
        "bad1,pw-bad1-2026,mayor,,,,\n"
        "ok1,pw-ok1-20261,office,,,,\n"
        "bad3,short,office,,,,\n"
    )
    before = len(entries(app))
    response = upload(admin, text)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for line, fragment in ((3, "mayor"), (4, "已被占用"), (5, "10")):
        row = html.split(f'data-line="{line}"')[1].split("</tr>")[0]
        assert fragment in row, (line, row)
    assert 'name="confirm"' not in html  # no import button while a row is wrong
    # even a forged confirmation imports nothing
    upload(admin, text, confirm="yes")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "ok1")) is None
    assert len(entries(app)) == before


def test_import_after_a_clean_preview_adds_everyone(app, people):
    admin = browser(app, "admin")
    text = HEADER + "ok1,pw-ok1-20261,office,,,,\nok2,pw-ok2-20261,community,,C001,,\n"
    preview = upload(admin, text)
    assert preview.status_code == 200 and "ok2" in preview.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "ok1")) is None
    token = csrf_token_from(preview.get_data(as_text=True))
    done = admin.post("/admin/users/import", data={"csrf_token": token, "confirm": "yes", "text": text})
    assert done.status_code == 302
    assert login(app.test_client(), "ok2", "pw-ok2-20261").status_code == 302
    assert [t for _, _, t, _ in entries(app, "user.create")][-2:] == ["user:ok1", "user:ok2"]


def test_users_export_csv_has_safe_cells(app, people, make_user):
    make_user("office", username="evil", display_name="=HYPERLINK(1)")
    office = browser(app, "office")
    response = office.get("/admin/users.csv?role=office")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "username"
    names = {r[0]: r for r in rows[1:]}
    assert set(names) == {"evil", "office"} and names["evil"][1] == "'=HYPERLINK(1)"


def test_users_list_filters(app, people):
    office = browser(app, "office")
    html = office.get("/admin/users?scope=SD01").get_data(as_text=True)
    assert (
        'data-username="sd1"' in html and 'data-username="c1"' in html and 'data-username="insp"' not in html
    )
    html = office.get("/admin/users?q=ins&role=inspector&active=yes").get_data(as_text=True)
    assert 'data-username="insp"' in html and 'data-username="c1"' not in html


# --- the admin API ---------------------------------------------------------------------------------------


def test_api_add_patch_reset(app, client, people):
    headers = bearer(client, "admin")
    created = client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={"username": "zhao", "password": "pw-zhao-20261", "role": "subdistrict", "subdistrict": "SD02"},
    )
    assert created.status_code == 201 and created.get_json()["user"]["subdistrict"] == "SD02"
    bad = client.post(
        "/api/v1/admin/users",
        headers=headers,
        json={"username": "qian", "password": "pw-qian-20261", "role": "community", "community": "C999"},
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "community"
    assert client.post("/api/v1/admin/users", headers=headers, json={"username": 3}).status_code == 400
    patched = client.patch(
        "/api/v1/admin/users/zhao", headers=headers, json={"display_name": "赵", "level": "city"}
    )
    assert patched.status_code == 200 and patched.get_json()["changed"]["display_name"] == ["zhao", "赵"]
    assert client.patch("/api/v1/admin/users/zhao", headers=headers, json={"role": "god"}).status_code == 400
    assert client.patch("/api/v1/admin/users/zhao", headers=headers, json={"active": "no"}).status_code == 400
    assert client.patch("/api/v1/admin/users/nobody", headers=headers, json={}).status_code == 404
    user_headers = bearer(client, "zhao", "pw-zhao-20261")
    off = client.patch("/api/v1/admin/users/zhao", headers=headers, json={"active": False})
    assert off.status_code == 200 and client.get("/api/v1/me", headers=user_headers).status_code == 401
    client.patch("/api/v1/admin/users/zhao", headers=headers, json={"active": True})
    reset = client.post("/api/v1/admin/users/zhao/password", headers=headers)
    temporary = reset.get_json()["password"]
    answer = client.post("/api/v1/auth/token", json={"username": "zhao", "password": temporary})
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "password_change_required"
    listed = client.get("/api/v1/admin/users?q=zhao", headers=headers).get_json()
    assert listed["total"] == 1 and listed["users"][0]["must_change_password"] is True
    audit = client.get("/api/v1/admin/audit?actor=admin", headers=headers).get_json()["entries"]
    assert [e["action"] for e in audit][:5] == [
        "user.password_reset",
        "user.activate",
        "user.deactivate",
        "user.update",
        "user.create",
    ]
    assert set(audit[0]) >= {"at", "actor", "action", "target", "changes"}


def test_api_session_writes_need_csrf(app, people):
    admin = browser(app, "admin")
    assert admin.post("/api/v1/admin/users/insp/password").status_code == 400
    assert not user_row(app, "insp").must_change_password


# --- the audit log ---------------------------------------------------------------------------------------


def test_audit_entries_cannot_be_changed_or_deleted(app, people):
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).first()
        entry.action = "user.update"
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
        entry = db.session.scalars(select(AuditEntry)).first()
        db.session.delete(entry)
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(AppendOnly):
            db.session.execute(delete(AuditEntry))
        with pytest.raises(AppendOnly):
            db.session.execute(update(AuditEntry).values(actor="x"))
        db.session.rollback()
    # and no route changes one
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_cli_and_imports_are_audited(app, people):
    from fieldcheck.cli import main

    runner = app.test_cli_runner()
    assert runner.invoke(main, ["users", "deactivate", "c1"]).exit_code == 0
    assert entries(app, "user.deactivate")[-1][:3] == ("cli", "user.deactivate", "user:c1")
    # the district fixture loaded boundaries, a checklist and a calendar from "the command line"
    actions = {a for actor, a, _, _ in entries(app) if actor == "cli"}
    assert {"boundaries.upload", "checklist.upload", "calendar.import", "user.create"} <= actions


def test_settings_change_is_audited(app, people):
    office = browser(app, "office")
    form_post(office, "/office", "/settings", {"disclosure.inspector": "on"})
    actor, action, target, changes = entries(app, "setting.change")[-1]
    assert (actor, target, changes) == ("office", "settings", {"disclosure.inspector": [False, True]})
    form_post(office, "/office", "/settings", {"disclosure.inspector": "on"})  # no change: no entry
    assert len(entries(app, "setting.change")) == 1


def test_audit_page_filters_pages_and_exports(app, people):
    admin = browser(app, "admin")
    for _ in range(3):
        form_post(admin, "/admin/users/insp", "/admin/users/insp/active", {"active": "no"})
        form_post(admin, "/admin/users/insp", "/admin/users/insp/active", {"active": "yes"})
    office = browser(app, "office")
    html = office.get("/admin/audit?actor=admin&action=user.deactivate").get_data(as_text=True)
    assert html.count('data-action="user.deactivate"') == 3 and 'data-action="user.activate"' not in html
    assert office.get("/admin/audit?from=2026-13-01").status_code == 400
    assert office.get("/admin/audit?before=garbage").status_code == 400
    # cursor paging through the API: every entry once
    headers = bearer(app.test_client(), "admin")
    seen, cursor = [], None
    api = app.test_client()
    while True:
        url = "/api/v1/admin/audit?limit=2" + (f"&before={cursor}" if cursor else "")
        body = api.get(url, headers=headers, query_string=None).get_json()
        seen += [e["id"] for e in body["entries"]]
        cursor = body["next"]
        if not cursor:
            break
        cursor = cursor.replace("+", "%2B")
    with app.app_context():
        every = sorted(db.session.scalars(select(AuditEntry.id)), reverse=True)
    assert seen == every and len(every) > 6  # newest first, each entry once
    response = office.get("/admin/audit.csv?action=user.activate")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["at", "actor", "action", "target", "changes"] and len(rows) == 4
    assert all(r[2] == "user.activate" for r in rows[1:])


def test_ranking_publication_is_audited(app, people):
    from datetime import UTC, datetime

    from fieldcheck.ranking import services as ranking

    office = user_row(app, "office")
    with app.app_context():
        ranking.publish("2026-01", office.id, now=datetime(2026, 3, 1, tzinfo=UTC), tz_name="Asia/Shanghai")
        db.session.commit()
    actor, action, target, changes = entries(app, "ranking.publish")[-1]
    assert (actor, target, changes["sequence"]) == ("office", "ranking:2026-01", [None, 1])
