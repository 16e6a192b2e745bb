"""Issue 15 in Chromium: the city run from the browser by its administrator.

The admin adds a user, resets its password; the user logs in and must choose a new one; the admin
deactivates the user and the user's open session ends. The admin uploads a boundary file with one bad
feature (refused, the feature named), then a good one (preview with its differences, activate); a report
filed afterwards carries the new version; the audit log shows all of it. (The checklist XLSX upload has a
walkthrough of its own.)
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from shapely.geometry import shape

from tests.e2e.conftest import login_form as login  # logins with reset and temporary passwords
from tests.photo_factory import jpeg

DESKTOP = {
    "viewport": {"width": 1280, "height": 900},
    "screen": {"width": 1280, "height": 900},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}
NEW_USER = "wang.xiaoming"
FIRST_PASSWORD = "Qingtian-2026-first"
OWN_PASSWORD = "Luoyang-2026-own-pw"


def boundary_files(app) -> tuple[bytes, bytes, dict]:
    """(a file with one bad feature, a good file, what the good one changes) from the version in force."""
    from fieldcheck.extensions import db
    from fieldcheck.geo import to_feature_collection
    from fieldcheck.geography import services as geo

    with app.app_context():
        try:
            doc = to_feature_collection(geo.version_features(geo.current_boundary_version()))
        finally:
            db.session.remove()
    features = doc["features"]
    renamed = features[0]["properties"]
    renamed["community_name"] += "（新）"
    bounds = [shape(f["geometry"]).bounds for f in features]  # (min lon, min lat, max lon, max lat)
    east = max(b[2] for b in bounds) + 0.02
    south = min(b[1] for b in bounds)
    ring = [
        [east, south],
        [east + 0.01, south],
        [east + 0.01, south + 0.01],
        [east, south + 0.01],
        [east, south],
    ]
    props = dict(features[-1]["properties"], community_code="XQ901", community_name="新区试点社区")
    features.append(
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    )
    good = json.dumps(doc, ensure_ascii=False).encode()
    bad_doc = json.loads(good)
    bad_number = 3
    x0, y0, x1, y1 = bounds[bad_number - 1]
    bow_tie = [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]  # a ring that crosses itself
    bad_doc["features"][bad_number - 1]["geometry"] = {"type": "Polygon", "coordinates": [bow_tie]}
    expected = {
        "bad_number": bad_number,
        "bad_code": bad_doc["features"][bad_number - 1]["properties"]["community_code"],
        "renamed": renamed["community_code"],
        "added": "XQ901",
        "inside_added": (south + 0.005, east + 0.005),
        "count": len(features),
    }
    return json.dumps(bad_doc, ensure_ascii=False).encode(), good, expected


def geojson(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/geo+json", "buffer": data}


def submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").click()


def test_the_admin_runs_users_and_boundaries_from_the_browser(live_server, phone_factory):
    base = live_server.url
    admin = phone_factory(**DESKTOP)
    login(admin, base, "admin")
    expect(admin).to_have_url(f"{base}/admin")

    # --- a user: added, password reset, must change it at login, then deactivated ---------------------
    with admin.expect_navigation():
        admin.locator("#admin-users").click()
    with admin.expect_navigation():
        admin.locator("a[href$='/admin/users/new']").click()
    form = admin.locator("form.user-form")
    form.locator("input[name=username]").fill(NEW_USER)
    form.locator("input[name=display_name]").fill("王小明")
    form.locator("select[name=role]").select_option("inspector")
    form.locator("select[name=level]").select_option("district")
    form.locator("input[name=password]").fill(FIRST_PASSWORD)
    form.locator("input[name=confirm]").fill(FIRST_PASSWORD)
    submit(admin, "form.user-form")
    with admin.expect_navigation():
        admin.locator(f"a[href$='/admin/users/{NEW_USER}']").click()
    submit(admin, f"form[action$='/admin/users/{NEW_USER}/password']")
    temporary = admin.locator("code.temporary-password").inner_text().strip()
    assert len(temporary) >= 10

    user = phone_factory()
    login(user, base, NEW_USER, FIRST_PASSWORD)  # the first password ended with the reset
    expect(user.locator("main .error")).to_be_visible()
    login(user, base, NEW_USER, temporary)
    expect(user).to_have_url(f"{base}/login/new-password")
    user.locator("input[name=new]").fill(OWN_PASSWORD)
    user.locator("input[name=confirm]").fill(OWN_PASSWORD)
    submit(user, "main form")
    expect(user).to_have_url(f"{base}/inspector")

    admin.goto(f"{base}/admin/users/{NEW_USER}")
    submit(admin, f"form[action$='/admin/users/{NEW_USER}/active']")
    expect(admin.locator("button.ok")).to_be_visible()  # the form now offers to reactivate
    # (The capture page itself opens from the phone's offline cache; any page from the server asks to log in.)
    user.goto(f"{base}/account/password")
    expect(user).to_have_url(re.compile(re.escape(f"{base}/login")))
    assert user.context.request.get(f"{base}/api/v1/me").status == 401

    # --- boundaries: a bad file refused with the feature named, a good one previewed and activated ----
    bad, good, expected = boundary_files(live_server.app)
    admin.goto(f"{base}/admin")
    with admin.expect_navigation():
        admin.locator("#admin-boundaries").click()
    admin.locator("#boundary-upload input[name=file]").set_input_files(geojson("bad.geojson", bad))
    submit(admin, "#boundary-upload")
    problem = admin.locator(f"#boundary-problems tr[data-feature='{expected['bad_number']}']")
    expect(problem).to_contain_text(expected["bad_code"])
    expect(problem).to_contain_text("Self-intersection")
    expect(admin.locator("#boundary-problems tbody tr")).to_have_count(1)

    admin.locator("#boundary-upload input[name=file]").set_input_files(geojson("good.geojson", good))
    submit(admin, "#boundary-upload")
    expect(admin).to_have_url(f"{base}/admin/boundaries/2")
    expect(admin.locator(f"ul.diff-renamed li[data-code='{expected['renamed']}']")).to_be_visible()
    expect(admin.locator(f"ul.diff-added li[data-code='{expected['added']}']")).to_be_visible()
    expect(admin.locator("ul.diff")).to_have_count(2)  # nothing removed, moved or resized
    expect(admin.locator("#map")).to_have_attribute("data-features", str(expected["count"]))
    expect(admin.locator("#map path[data-kind='added']")).to_have_count(1)
    expect(admin.locator("#map path[data-kind='renamed']")).to_have_count(1)
    submit(admin, "#boundary-activate")
    expect(admin.locator("#boundary-activate")).to_have_count(0)
    expect(admin.locator("#no-differences")).to_be_visible()

    # --- a report filed afterwards is located with the new version -----------------------------------
    inspector = phone_factory()
    login(inspector, base, "inspector")
    lat, lon = expected["inside_added"]
    response = inspector.request.post(
        f"{base}/api/v1/reports",
        multipart={
            "csrf_token": inspector.locator("input[name=csrf_token]").first.get_attribute("value"),
            "client_id": "6f1d2c3b-0000-4000-8000-0000000000b1",
            "item_code": "ENV-02",
            "lat": str(lat),
            "lon": str(lon),
            "accuracy_m": "6",
            "location_source": "device",
            "note": "新区路口垃圾堆放",
            "photos": {"name": "image.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=7)},
        },
    )
    assert response.status == 201, response.text()
    report = response.json()
    assert (report["boundary_version"], report["community"]["code"]) == (2, expected["added"])

    # --- the audit log shows all of it -------------------------------------------------------------
    admin.goto(f"{base}/admin/audit")
    log = admin.locator("table.audit tbody")
    for action, target in (
        ("user.create", f"user:{NEW_USER}"),
        ("user.password_reset", f"user:{NEW_USER}"),
        ("user.password_change", f"user:{NEW_USER}"),
        ("user.deactivate", f"user:{NEW_USER}"),
        ("boundaries.upload", "boundaries:2"),
        ("boundaries.activate", "boundaries:2"),
    ):
        expect(log.locator(f"tr[data-action='{action}']", has_text=target)).to_have_count(1)
