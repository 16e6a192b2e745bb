"""Community codes the app cannot serve are refused (or upper-cased) at import, naming the feature.

(issue #12, smaller holes.) A code goes into addresses (/ranking/2026-03/C001) and the capture form, which
upper-cases what is typed: a lower-case code could never be chosen by hand, a '/' or markup breaks the
address, and a code such as ``bulletin`` is shadowed by the bulletin's own page.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from fieldcheck.calendar import services as calendar_services
from fieldcheck.checklist import services as checklist_services
from fieldcheck.cli import main
from fieldcheck.extensions import db
from fieldcheck.geo import RESERVED_CODES
from fieldcheck.geography.models import BoundaryVersion, Community
from tests.conftest import feature, login, small_district, square


def test_every_fixed_word_beside_a_community_code_in_the_addresses_is_reserved(app):
    """The routes that take a community code, and the fixed words their siblings put in its place."""
    rules = [r.rule for r in app.url_map.iter_rules()]
    # Every <code> in an address is a community's but the language's (/lang/<code>) and a registered
    # spot's (/admin/spots/<code>, its API).
    code_routes = [
        r.rule
        for r in app.url_map.iter_rules()
        if "<code>" in r.rule and r.endpoint != "auth.set_language" and "/admin/spots/" not in r.rule
    ]
    assert sorted(code_routes) == ["/notices/<code>", "/ranking/<month>/<code>"]
    for route in code_routes:
        parent = route.removesuffix("<code>")
        siblings = {r.removeprefix(parent) for r in rules if r.startswith(parent) and r != route}
        words = {s.split("/")[0] for s in siblings if s and not s.startswith("<")}
        assert {w.upper() for w in words} <= RESERVED_CODES, (route, words)
        if route.startswith("/ranking/"):
            assert words, "the ranking's siblings (bulletin, export...) are the words this test is about"


def _import(app, tmp_path, *features):
    path = tmp_path / "district.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False),
        encoding="utf-8",
    )
    return app.test_cli_runner().invoke(main, ["import-boundaries", str(path)])


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("bulletin", "it is a word of the app's own addresses"),
        ("C/02", "no spaces, '/' or markup"),
        ("<img src=x>", "no spaces, '/' or markup"),
        ("C 02", "no spaces, '/' or markup"),
    ],
)
def test_a_code_the_app_cannot_serve_is_refused_naming_the_feature(app, tmp_path, code, fragment):
    result = _import(
        app,
        tmp_path,
        feature("C001", "王城社区", "SD01", "西工街道", square(112.40, 34.65)),
        feature(code, "东风社区", "SD01", "西工街道", square(112.41, 34.65)),
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f'feature 2 (community {code} "东风社区")' in result.output and fragment in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BoundaryVersion)) == 0
        assert db.session.scalar(select(func.count()).select_from(Community)) == 0


def test_lower_case_codes_are_upper_cased_and_their_pages_answer(app, tmp_path, make_user):
    doc = small_district()
    for f in doc["features"]:
        f["properties"]["community_code"] = f["properties"]["community_code"].lower()
    result = _import(app, tmp_path, *doc["features"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Community.code))) == ["C001", "C002", "C003", "C004"]
    make_user("office", username="office")
    client = app.test_client()
    assert login(client, "office").status_code == 302
    with app.app_context():
        checklist_services.import_checklist(checklist_services.default_checklist_text())
        calendar_services.import_calendar(calendar_services.default_calendar_text(), "calendar-2026.yaml")
        db.session.commit()
    page = client.get("/ranking/2026-11/C001")
    assert page.status_code == 200 and re.search(r"王城社区", page.get_data(as_text=True))
