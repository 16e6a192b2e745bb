"""Issue 15: checklist versions in the browser and the admin API: read in full, uploaded as YAML, JSON or
XLSX with every problem located, the differences from the previous version, scheduling, and a published
month's version that can only be superseded."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from fieldcheck.audit import AuditEntry
from fieldcheck.checklist.models import ChecklistVersion
from fieldcheck.checklist.sheet import ITEMS_SHEET
from fieldcheck.extensions import db
from fieldcheck.ranking.models import RankingSnapshot
from tests.conftest import csrf_token_from, login

PASSWORD = "pw-12345678"


@pytest.fixture
def staff(client, district, make_user):
    make_user("office", username="office")
    make_user("admin", username="admin")
    make_user("community", username="c1", community="C001")


def browser(app, username):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def bearer(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def upload(c, raw: bytes, name: str, month: str):
    token = csrf_token_from(c.get("/admin/checklists").get_data(as_text=True))
    data = {"csrf_token": token, "effective_month": month, "file": (io.BytesIO(raw), name)}
    return c.post("/admin/checklists", data=data, content_type="multipart/form-data")


def with_points(raw: bytes, code: str, points) -> bytes:
    """The exported workbook with one item's points changed, as an office would in a spreadsheet."""
    book = load_workbook(io.BytesIO(raw))
    sheet = book[ITEMS_SHEET]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 6).value == code)
    sheet.cell(row, 11).value = points
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ChecklistVersion)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)),
        )


def first_version_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.min(ChecklistVersion.id)))


def test_office_reads_the_versions_and_one_in_full_others_may_not(app, staff):
    office = browser(app, "office")
    page = office.get("/admin/checklists")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "default-2026" in html and "2026-01" in html
    assert 'id="checklist-upload"' not in html  # the office reads; the admin uploads
    vid = first_version_id(app)
    full = office.get(f"/admin/checklists/{vid}").get_data(as_text=True)
    assert 'data-item="ENV-02"' in full and "third_party ×1.50" in full and "S2 3wd" in full
    assert 'id="schedule"' not in full
    community = browser(app, "c1")
    assert community.get("/admin/checklists").status_code == 403
    assert community.get(f"/admin/checklists/{vid}.xlsx").status_code == 403
    assert office.get("/admin/checklists/999999").status_code == 404


def test_admin_uploads_an_edited_export_and_sees_the_differences_and_the_audit_entry(app, staff):
    admin = browser(app, "admin")
    vid = first_version_id(app)
    exported = admin.get(f"/admin/checklists/{vid}.xlsx")
    assert exported.status_code == 200 and exported.data[:2] == b"PK"
    response = upload(admin, with_points(exported.data, "ENV-02", 1), "测评体系.xlsx", "2027-01")
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-what="item ENV-02" data-field="points"' in page
    assert "0.50" in page and "1.00" in page and "2027-01" in page
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "checklist.upload").order_by(AuditEntry.id.desc())
        )
        assert entry.actor == "admin"
        assert entry.changes["item ENV-02 points"] == ["0.50", "1.00"]
        assert entry.changes["effective_month"] == [None, "2027-01"]
        assert entry.changes["file"] == [None, "测评体系.xlsx"]
    assert "checklist.upload" in admin.get("/admin/audit").get_data(as_text=True)


def test_a_bad_file_is_refused_with_every_problem_and_its_line(app, staff):
    admin = browser(app, "admin")
    before = counts(app)
    vid = first_version_id(app)
    text = admin.get(f"/admin/checklists/{vid}.yaml").get_data(as_text=True)
    broken = text.replace("severity: S1", "severity: S9", 1).replace("cap: '4.00'", "cap: lots", 1)
    response = upload(admin, broken.encode(), "bad.yaml", "2027-01")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "unknown severity" in html and "cap must be a number" in html
    line = next(n for n, row in enumerate(broken.splitlines(), start=1) if "S9" in row)
    assert f'data-line="{line}"' in html
    assert counts(app) == before


def test_a_published_months_version_cannot_change_only_be_superseded(app, staff):
    admin = browser(app, "admin")
    vid = first_version_id(app)
    with app.app_context():
        snapshot = RankingSnapshot(
            month="2026-10",
            sequence=1,
            checklist_version_id=vid,
            created_by_id=1,
            document="{}",
            sha256="0" * 64,
        )
        db.session.add(snapshot)
        db.session.commit()
    page = admin.get(f"/admin/checklists/{vid}").get_data(as_text=True)
    assert "2026-10" in page and 'id="schedule"' not in page
    token = csrf_token_from(page)
    refused = admin.post(
        f"/admin/checklists/{vid}/schedule", data={"csrf_token": token, "effective_month": "2026-03"}
    )
    assert refused.status_code == 409
    exported = admin.get(f"/admin/checklists/{vid}.xlsx").data
    assert upload(admin, exported, "a.xlsx", "2026-10").status_code == 409  # would change October's version
    assert upload(admin, exported, "a.xlsx", "2026-11").status_code == 302
    with app.app_context():
        newest = db.session.scalar(select(func.max(ChecklistVersion.id)))
    token = csrf_token_from(admin.get(f"/admin/checklists/{newest}").get_data(as_text=True))
    moved = admin.post(
        f"/admin/checklists/{newest}/schedule", data={"csrf_token": token, "effective_month": "2026-12"}
    )
    assert moved.status_code == 302
    assert 'id="effective-month">2026-12<' in admin.get(f"/admin/checklists/{newest}").get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checklist.schedule"))
        assert entry.changes == {"effective_month": ["2026-11", "2026-12"]}


def test_admin_api_lists_and_uploads_checklists(app, client, staff):
    admin, office = bearer(client, "admin"), bearer(client, "office")
    assert client.get("/api/v1/admin/checklists", headers=office).status_code == 403
    listed = client.get("/api/v1/admin/checklists", headers=admin).get_json()["checklists"]
    assert [(v["label"], v["effective_month"], v["locked"]) for v in listed] == [
        ("default-2026", "2026-01", False)
    ]
    assert listed[0]["items"] > 40
    yaml_text = browser(app, "admin").get(f"/admin/checklists/{listed[0]['id']}.yaml").data
    changed = yaml_text.replace(b"weight: '25.00'", b"weight: '30.00'", 1)
    response = client.post(
        "/api/v1/admin/checklists",
        data={"file": (io.BytesIO(changed), "v2.yaml"), "effective_month": "2027-01"},
        headers=admin,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["checklist"]["effective_month"] == "2027-01" and body["previous"] == listed[0]["id"]
    assert {
        "kind": "changed",
        "what": "category ENV",
        "field": "weight",
        "before": "25.00",
        "after": "30.00",
    } in body["diff"]
    bad = client.post(
        "/api/v1/admin/checklists",
        data={
            "file": (io.BytesIO(b"label: x\neffective_month: '2027-02'\n"), "x.yaml"),
            "effective_month": "2027-02",
        },
        headers=admin,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    error = bad.get_json()["error"]
    assert error["code"] == "invalid"
    assert [p["message"] for p in error["problems"]] == [
        "missing scoring",
        "missing severity_deadlines",
        "missing categories",
    ]
    assert {p["line"] for p in error["problems"]} == {1}


def test_the_yaml_export_follows_the_stored_version_not_an_earlier_export(app, staff):
    """The export is written once per stored text: a version whose settings change (an unused one can
    be edited) exports its new settings, as PyYAML writes them."""
    import yaml

    from fieldcheck.checklist.services import parse_checklist_document
    from fieldcheck.checklist.spec import checklist_to_dict

    admin = browser(app, "admin")
    vid = first_version_id(app)
    first = admin.get(f"/admin/checklists/{vid}.yaml").get_data(as_text=True)
    assert admin.get(f"/admin/checklists/{vid}.yaml").get_data(as_text=True) == first
    with app.app_context():
        version = db.session.get(ChecklistVersion, vid)
        settings = dict(version.settings)
        settings["label"] = "edited label"
        version.settings = settings
        db.session.commit()
        expected = yaml.safe_dump(
            checklist_to_dict(parse_checklist_document(version)), allow_unicode=True, sort_keys=False
        )
    edited = admin.get(f"/admin/checklists/{vid}.yaml").get_data(as_text=True)
    assert edited == expected and edited != first and "edited label" in edited
