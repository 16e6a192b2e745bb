"""The `fieldcheck` commands through Flask's CLI runner, against the per-test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from fieldcheck.auth.models import User
from fieldcheck.calendar import services as calendar_services
from fieldcheck.calendar.models import CalendarDay, CalendarYear
from fieldcheck.checklist import services as checklist_services
from fieldcheck.checklist.models import ChecklistItem, ChecklistVersion
from fieldcheck.cli import main
from fieldcheck.extensions import db
from fieldcheck.geography import services as geo_services
from fieldcheck.geography.models import Community, Spot, Subdistrict
from tests.conftest import feature, login, small_district, square

DATA = Path(__file__).resolve().parents[2] / "fieldcheck" / "data"
GEO_TABLES = ("boundary_version", "community", "subdistrict", "community_boundary")


@pytest.fixture
def cli(app):
    """Run a `fieldcheck` command against the test app: cli("import-boundaries", path)."""
    runner = app.test_cli_runner()

    def run(*args, input=None):
        return runner.invoke(main, [str(arg) for arg in args], input=input)

    return run


def row_counts(app) -> dict[str, int]:
    """Rows in every table, so a failed command can be shown to have left nothing behind."""
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def write_geojson(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def located(app, lat: float, lon: float) -> str | None:
    """The code of the community the service puts the point in (None outside every community)."""
    with app.app_context():
        community, _version = geo_services.locate(lat, lon)
        return community.code if community is not None else None


def community_ids(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Community.code, Community.id)).all())


def assert_refused(result, *fragments: str) -> None:
    """A clean refusal: exit status 1, a click error message with every fragment, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Error:" in result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in {result.output!r}"


# ---------------------------------------------------------------------------------------------------
# import-boundaries


def test_import_boundaries_loads_a_good_file(app, cli, tmp_path):
    path = write_geojson(tmp_path / "small.geojson", small_district())
    result = cli("import-boundaries", path)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "boundary version 1: 4 communities from small.geojson"
    counts = row_counts(app)
    assert {name: counts[name] for name in GEO_TABLES} == {
        "boundary_version": 1,
        "community": 4,
        "subdistrict": 2,
        "community_boundary": 4,
    }
    with app.app_context():
        subdistricts = dict(db.session.execute(select(Subdistrict.code, Subdistrict.name)).all())
        assert subdistricts == {"SD01": "西工街道", "SD02": "涧西街道"}
        c001 = db.session.scalar(select(Community).where(Community.code == "C001"))
        assert (c001.name, c001.subdistrict.code, c001.spot_types) == ("王城社区", "SD01", ["RES", "ALY"])
        c004 = db.session.scalar(select(Community).where(Community.code == "C004"))
        assert c004.spot_types == ["RES"]  # no spot_types given: residences only
    assert located(app, 34.655, 112.405) == "C001"
    assert located(app, 34.655, 112.435) == "C004"
    assert located(app, 34.70, 112.405) is None


def multipolygon_district() -> dict:
    """M001: a square with a square hole plus a detached square; C002 a plain neighbour further east."""
    outer = [[112.40, 34.65], [112.42, 34.65], [112.42, 34.67], [112.40, 34.67], [112.40, 34.65]]
    hole = [[112.405, 34.655], [112.405, 34.665], [112.415, 34.665], [112.415, 34.655], [112.405, 34.655]]
    detached = square(112.45, 34.65)[0]
    return {
        "type": "FeatureCollection",
        "features": [
            feature("M001", "双片社区", "SD01", "西工街道", [[outer, hole], [detached]], kind="MultiPolygon"),
            feature("C002", "青年宫社区", "SD01", "西工街道", square(112.43, 34.65)),
        ],
    }


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        (34.660, 112.410, None),  # in the hole
        (34.652, 112.402, "M001"),  # in the ring around the hole
        (34.655, 112.455, "M001"),  # in the detached part
        (34.655, 112.410, "M001"),  # on the hole's edge: the community's closed polygon covers it
        (34.655, 112.435, "C002"),
        (34.655, 112.445, None),  # between the two parts of M001
    ],
)
def test_multipolygon_with_a_hole_locates_through_the_service(app, cli, tmp_path, lat, lon, code):
    result = cli("import-boundaries", write_geojson(tmp_path / "multi.geojson", multipolygon_district()))
    assert result.exit_code == 0, result.output
    assert located(app, lat, lon) == code


def test_multipolygon_with_a_hole_locates_through_the_api(app, cli, client, make_user, tmp_path):
    result = cli("import-boundaries", write_geojson(tmp_path / "multi.geojson", multipolygon_district()))
    assert result.exit_code == 0, result.output
    make_user("inspector", username="insp")
    token = client.post("/api/v1/auth/token", json={"username": "insp", "password": "pw-12345678"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}

    def locate(lat, lon):
        response = client.get(f"/api/v1/locate?lat={lat}&lon={lon}", headers=headers)
        assert response.status_code == 200
        return response.get_json()

    in_hole = locate(34.660, 112.410)
    assert in_hole == {"community": None, "boundary_version": 1}
    detached = locate(34.655, 112.455)["community"]
    assert detached["code"] == "M001"
    assert detached["subdistrict"] == {"code": "SD01", "name": "西工街道"}
    listed = client.get("/api/v1/communities?geometry=1", headers=headers).get_json()["communities"]
    boundary = {c["code"]: c["boundary"] for c in listed}["M001"]
    assert boundary["type"] == "MultiPolygon"
    assert [len(part) for part in boundary["coordinates"]] == [2, 1]  # shell and hole, then the detached part


def _doc(mutate) -> bytes:
    doc = small_district()
    mutate(doc)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _set(index: int, **changes):
    def mutate(doc):
        target = doc["features"][index]
        for key, value in changes.items():
            if key == "geometry":
                target["geometry"] = value
            elif value is None:
                del target["properties"][key]
            else:
                target["properties"][key] = value

    return mutate


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[112.42, 34.65], [112.43, 34.66], [112.43, 34.65], [112.42, 34.66], [112.42, 34.65]]],
}

BAD_BOUNDARY_FILES = {
    "not-json": (b'{"type": "FeatureCollection", "features": [', ["not a GeoJSON file"]),
    "not-a-feature-collection": (
        json.dumps(small_district()["features"][0]).encode(),
        ["not a GeoJSON FeatureCollection (found 'Feature')"],
    ),
    "missing-property": (
        _doc(_set(2, subdistrict_name=None)),
        ['feature 3 (community C003 "涧河社区"): missing or empty property subdistrict_name'],
    ),
    "unknown-spot-type": (
        _doc(_set(1, spot_types=["RES", "ZOO"])),
        ['feature 2 (community C002 "青年宫社区"): unknown spot type', "ZOO"],
    ),
    "point-geometry": (
        _doc(_set(3, geometry={"type": "Point", "coordinates": [112.435, 34.655]})),
        ['feature 4 (community C004 "周公社区"): geometry must be a Polygon or MultiPolygon', "Point"],
    ),
    "self-intersecting-polygon": (
        _doc(_set(2, geometry=BOW_TIE)),
        ['feature 3 (community C003 "涧河社区"): invalid geometry', "Self-intersection"],
    ),
    "overlap-beyond-sliver": (
        _doc(_set(2, geometry={"type": "Polygon", "coordinates": square(112.416, 34.65)})),
        ['feature 2 (community C002 "青年宫社区") overlaps feature 3 (community C003 "涧河社区") by', "m²"],
    ),
    "duplicate-community-code": (
        _doc(_set(3, community_code="C001")),
        ['feature 4 (community C001 "周公社区"): community code C001 is already used by feature 1'],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BOUNDARY_FILES))
def test_bad_boundary_file_is_refused_naming_the_fault_and_imports_nothing(app, cli, tmp_path, case):
    data, fragments = BAD_BOUNDARY_FILES[case]
    path = tmp_path / f"{case}.geojson"
    path.write_bytes(data)
    before = row_counts(app)
    assert_refused(cli("import-boundaries", path), *fragments)
    after = row_counts(app)
    assert after == before
    assert all(after[name] == 0 for name in GEO_TABLES)


@pytest.mark.parametrize("case", ["point-geometry", "overlap-beyond-sliver", "duplicate-community-code"])
def test_bad_boundary_file_leaves_the_version_in_force_untouched(app, cli, tmp_path, case):
    assert (
        cli("import-boundaries", write_geojson(tmp_path / "small.geojson", small_district())).exit_code == 0
    )
    ids = community_ids(app)
    before = row_counts(app)
    data, fragments = BAD_BOUNDARY_FILES[case]
    path = tmp_path / f"{case}.geojson"
    path.write_bytes(data)
    assert_refused(cli("import-boundaries", path), *fragments)
    assert row_counts(app) == before
    assert community_ids(app) == ids
    with app.app_context():
        assert geo_services.current_boundary_version().id == 1
        # The faulty file renamed nothing: the names are still the first file's.
        assert db.session.scalar(select(Community.name).where(Community.code == "C004")) == "周公社区"
    assert located(app, 34.655, 112.435) == "C004"


def test_missing_boundary_file_is_refused(app, cli, tmp_path):
    path = tmp_path / "nowhere.geojson"
    before = row_counts(app)
    assert_refused(cli("import-boundaries", path), "cannot read", str(path))
    assert row_counts(app) == before


def test_overlap_within_the_sliver_tolerance_is_accepted(app, cli, tmp_path):
    # C002 drawn 1e-6 degrees (about 0.1 m) into C001 along their 1.1 km edge: about 100 m², a digitising sliver.
    doc = small_district()
    doc["features"][1]["geometry"]["coordinates"] = square(112.41 - 1e-6, 34.65, 0.01 + 1e-6)
    result = cli("import-boundaries", write_geojson(tmp_path / "sliver.geojson", doc))
    assert result.exit_code == 0, result.output
    assert located(app, 34.655, 112.405) == "C001"
    assert located(app, 34.655, 112.415) == "C002"
    assert located(app, 34.655, 112.41 - 5e-7) == "C001"  # inside the sliver: the code that sorts first


def test_second_import_is_a_new_version_with_stable_community_ids(app, cli, tmp_path):
    assert cli("import-boundaries", write_geojson(tmp_path / "v1.geojson", small_district())).exit_code == 0
    ids_before = community_ids(app)
    assert located(app, 34.655, 112.435) == "C004"

    doc = small_district()
    doc["features"][0]["properties"]["community_name"] = "王城新社区"
    doc["features"][3]["geometry"]["coordinates"] = square(112.50, 34.65)  # C004 moves east
    doc["features"].append(feature("C005", "新区社区", "SD03", "新区街道", square(112.51, 34.65)))
    result = cli("import-boundaries", write_geojson(tmp_path / "v2.geojson", doc))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "boundary version 2: 5 communities from v2.geojson"

    counts = row_counts(app)
    assert {name: counts[name] for name in GEO_TABLES} == {
        "boundary_version": 2,
        "community": 5,
        "subdistrict": 3,
        "community_boundary": 9,  # version 1 keeps its four boundaries
    }
    ids_after = community_ids(app)
    assert {code: ids_after[code] for code in ids_before} == ids_before
    with app.app_context():
        assert geo_services.current_boundary_version().id == 2
        assert db.session.scalar(select(Community.name).where(Community.code == "C001")) == "王城新社区"
    # The locator answers with the new version: C004's old place is now outside every community.
    assert located(app, 34.655, 112.435) is None
    assert located(app, 34.655, 112.505) == "C004"
    assert located(app, 34.655, 112.515) == "C005"
    assert located(app, 34.655, 112.405) == "C001"


SHARED_EDGE_POINTS = [
    (34.655, 112.41, "C001"),  # on the C001 | C002 edge
    (34.655, 112.40 + 0.01, "C001"),  # the same edge as C001's square computes it (a hair to the east)
    (34.650, 112.41, "C001"),  # a corner shared by both
    (34.660, 112.41, "C001"),
    (34.655, 112.42, "C002"),  # C002 | C003
    (34.655, 112.43, "C003"),  # C003 | C004
]


@pytest.mark.parametrize(("lat", "lon", "code"), SHARED_EDGE_POINTS)
def test_point_on_a_shared_edge_goes_to_the_code_that_sorts_first(app, cli, tmp_path, lat, lon, code):
    assert (
        cli("import-boundaries", write_geojson(tmp_path / "small.geojson", small_district())).exit_code == 0
    )
    assert located(app, lat, lon) == code
    with app.app_context():
        locator = geo_services.locator_for(geo_services.current_boundary_version())
        assert len(locator.covering(lat, lon)) == 2  # two communities really do cover it


def test_shared_edge_rule_does_not_depend_on_file_order(app, cli, tmp_path):
    # README: "the community whose code sorts first" -- not the one that happened to be imported first.
    doc = small_district()
    doc["features"].reverse()
    assert cli("import-boundaries", write_geojson(tmp_path / "reversed.geojson", doc)).exit_code == 0
    answers = {(lat, lon): located(app, lat, lon) for lat, lon, _code in SHARED_EDGE_POINTS}
    assert answers == {(lat, lon): code for lat, lon, code in SHARED_EDGE_POINTS}


# ---------------------------------------------------------------------------------------------------
# import-checklist


def test_import_checklist_loads_the_default_file(app, cli):
    result = cli("import-checklist", DATA / "checklist-default.yaml")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(
        r"checklist default-2026 \(version 1\): (\d+) items, in force from 2026-01", result.output.strip()
    )
    assert match, result.output
    with app.app_context():
        version = db.session.scalar(select(ChecklistVersion))
        assert version.effective_month == "2026-01"
        assert db.session.scalar(select(func.count(ChecklistItem.id))) == int(match.group(1)) > 40
        assert checklist_services.version_in_force("2026-03").id == version.id


def test_import_checklist_month_option_overrides_the_file(app, cli):
    result = cli("import-checklist", DATA / "checklist-default.yaml", "--month", "2027-01")
    assert result.exit_code == 0, result.output
    assert "in force from 2027-01" in result.output
    with app.app_context():
        assert db.session.scalar(select(ChecklistVersion.effective_month)) == "2027-01"
        assert checklist_services.version_in_force("2026-12") is None


def test_import_checklist_refuses_a_malformed_month(app, cli):
    before = row_counts(app)
    assert_refused(cli("import-checklist", DATA / "checklist-default.yaml", "--month", "2027-13"), "2027-13")
    assert row_counts(app) == before


def bad_checklist(path: Path) -> Path:
    doc = yaml.safe_load((DATA / "checklist-default.yaml").read_text("utf-8"))
    items = doc["categories"][0]["items"]
    items[0]["spot_types"] = ["RES", "ZOO"]  # ENV-01
    items[1]["points"] = -0.5  # ENV-02
    items[3]["code"] = "ENV-03"  # ENV-04 renamed into a duplicate
    del items[4]["severity"]  # ENV-05
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_bad_checklist_lists_every_problem_and_stores_nothing(app, cli, tmp_path):
    before = row_counts(app)
    result = cli("import-checklist", bad_checklist(tmp_path / "bad.yaml"))
    assert_refused(
        result,
        'item ENV-01: unknown spot type "ZOO"',
        "item ENV-02: points must not be negative",
        "duplicate item code ENV-03",
        "item ENV-05: missing severity",
    )
    assert row_counts(app) == before
    assert before["checklist_version"] == 0


def test_bad_checklist_does_not_disturb_the_version_in_force(app, cli, tmp_path):
    assert cli("import-checklist", DATA / "checklist-default.yaml").exit_code == 0
    before = row_counts(app)
    assert_refused(cli("import-checklist", bad_checklist(tmp_path / "bad.yaml"), "--month", "2026-06"))
    assert row_counts(app) == before
    with app.app_context():
        assert checklist_services.version_in_force("2026-06").effective_month == "2026-01"


def test_missing_checklist_file_is_refused(app, cli, tmp_path):
    assert_refused(cli("import-checklist", tmp_path / "nowhere.yaml"), "cannot read")


def test_version_in_force_is_the_newest_effective_month_not_after_the_month(app, cli):
    default = DATA / "checklist-default.yaml"
    # Loaded out of order on purpose: the month decides, not the order of loading.
    for month in ("2027-01", "2026-01", "2026-07"):
        assert cli("import-checklist", default, "--month", month).exit_code == 0
    assert cli("import-checklist", default, "--month", "2026-07").exit_code == 0  # a correction of 2026-07
    with app.app_context():
        ids = {
            month: [
                v.id
                for v in db.session.scalars(select(ChecklistVersion).order_by(ChecklistVersion.id))
                if v.effective_month == month
            ]
            for month in ("2026-01", "2026-07", "2027-01")
        }

        def in_force(month):
            version = checklist_services.version_in_force(month)
            return version.id if version is not None else None

        assert in_force("2025-12") is None
        assert in_force("2026-01") == ids["2026-01"][0]
        assert in_force("2026-06") == ids["2026-01"][0]
        assert in_force("2026-07") == ids["2026-07"][-1]  # the later load of the same month wins
        assert in_force("2026-12") == ids["2026-07"][-1]
        assert in_force("2027-01") == ids["2027-01"][0]
        assert in_force("2031-05") == ids["2027-01"][0]


# ---------------------------------------------------------------------------------------------------
# import-calendar

# Holidays (元旦 3, 春节 9, 清明 3, 劳动节 5, 端午 3, 中秋 3, 国庆 7) and make-up working days.
CALENDAR_2026_DAYS = 33 + 6


def calendar_rows(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(CalendarYear)),
            db.session.scalar(select(func.count()).select_from(CalendarDay)),
        )


def test_import_calendar_loads_2026(app, cli):
    result = cli("import-calendar", DATA / "calendar-2026.yaml")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("calendar 2026 loaded from 国务院办公厅")
    assert calendar_rows(app) == (1, CALENDAR_2026_DAYS)
    with app.app_context():
        calendar = calendar_services.work_calendar()
        assert 2026 in calendar.loaded_years
        assert len(calendar.holidays) == 33
        assert len(calendar.workdays) == 6


def test_reloading_a_calendar_year_replaces_it(app, cli, tmp_path):
    path = DATA / "calendar-2026.yaml"
    assert cli("import-calendar", path).exit_code == 0
    assert cli("import-calendar", path).exit_code == 0
    assert calendar_rows(app) == (1, CALENDAR_2026_DAYS)  # no duplicates

    smaller = tmp_path / "calendar-2026-draft.yaml"
    smaller.write_text(
        "year: 2026\nsource: draft\nholidays:\n  - {name: 元旦, from: 2026-01-01, to: 2026-01-03}\n"
        "workdays: [2026-01-04]\n",
        encoding="utf-8",
    )
    result = cli("import-calendar", smaller)
    assert result.exit_code == 0, result.output
    assert calendar_rows(app) == (1, 4)
    with app.app_context():
        assert db.session.get(CalendarYear, 2026).source_name == "draft"


def test_bad_calendar_file_gives_a_clear_error_and_keeps_the_loaded_year(app, cli, tmp_path):
    assert cli("import-calendar", DATA / "calendar-2026.yaml").exit_code == 0
    before = row_counts(app)
    bad = tmp_path / "calendar-bad.yaml"
    bad.write_text(
        "year: 2026\nsource: test\nholidays:\n  - {name: 元旦, from: 2027-01-01, to: 2027-01-02}\n"
        "workdays: [2026-03-04]\n",
        encoding="utf-8",
    )
    assert_refused(
        cli("import-calendar", bad),
        "holiday 元旦: 2027-01-01 is outside 2026",
        "workday 2026-03-04: is a Wednesday, not a weekend day",
    )
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- just\n- a list\n", "mapping"),
        ("year: 2026\nholidays: []\n", "missing source"),
        ("year: [unclosed\n", "not valid YAML or JSON"),
    ],
)
def test_calendar_that_is_not_a_calendar_is_refused(app, cli, tmp_path, text, fragment):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    before = row_counts(app)
    assert_refused(cli("import-calendar", bad), fragment)
    assert row_counts(app) == before


# ---------------------------------------------------------------------------------------------------
# users add, users import


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_users_add_with_password_option_then_log_in(app, cli, client, district):
    result = cli(
        "users", "add", "alice", "--role", "office", "--name", "区文明办", "--password", "pw-alice-123"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "added alice (office)"
    response = login(client, "alice", "pw-alice-123")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/office")
    assert client.get("/office").status_code == 200


def test_users_add_asks_for_the_password(app, cli, client, district):
    result = cli(
        "users", "add", "staff", "--role", "community", "--community", "C002", input="pw-staff-999\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert "added staff (community)" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "staff"))
        assert (user.community.code, user.subdistrict.code) == ("C002", "SD01")
    assert login(client, "staff", "wrong-password").status_code == 401
    response = login(client, "staff", "pw-staff-999")
    assert response.headers["Location"].endswith("/community")
    assert client.get("/community").status_code == 200


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--role", "community", "--community", "C999"], "no community with code 'C999'"),
        (["--role", "subdistrict", "--subdistrict", "SD99"], "no sub-district with code 'SD99'"),
        (["--role", "community"], "community staff need a community code"),
        (["--role", "inspector"], "an inspector needs a level"),
    ],
)
def test_users_add_refuses_a_bad_user(app, cli, district, args, fragment):
    assert_refused(cli("users", "add", "bob", *args, "--password", "pw-12345678"), fragment)
    assert user_count(app) == 0


def test_users_add_refuses_a_short_password_and_a_taken_name(app, cli, district):
    assert_refused(
        cli("users", "add", "bob", "--role", "office", "--password", "short"), "at least 10 characters"
    )
    assert cli("users", "add", "bob", "--role", "office", "--password", "pw-12345678").exit_code == 0
    assert_refused(
        cli("users", "add", "bob", "--role", "admin", "--password", "pw-12345678"), "'bob' is already taken"
    )
    assert user_count(app) == 1


def test_users_add_refuses_an_unknown_role_before_touching_the_database(app, cli, district):
    result = cli("users", "add", "bob", "--role", "mayor", "--password", "pw-12345678")
    assert result.exit_code == 2
    assert "mayor" in result.output
    assert user_count(app) == 0


HEADER = "username,password,role,level,community,subdistrict,display_name\n"
GOOD_CSV = HEADER + (
    "insp1,pw-insp1-123,inspector,district,,,区督查员\n"
    "staff1,pw-staff1-12,community,,C001,,王城社区\n"
    "street1,pw-street1-1,subdistrict,,,SD02,涧西街道\n"
    "office1,pw-office1-1,office,,,,\n"
)


def test_users_import_loads_every_line(app, cli, client, district, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("\ufeff" + GOOD_CSV, encoding="utf-8")  # Excel writes a BOM
    result = cli("users", "import", path)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "imported 4 users"
    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        assert set(users) == {"insp1", "staff1", "street1", "office1"}
        assert users["insp1"].level == "district"
        assert users["staff1"].community.code == "C001"
        assert users["street1"].subdistrict.code == "SD02"
        assert users["office1"].display_name == "office1"
    response = login(client, "street1", "pw-street1-1")
    assert response.headers["Location"].endswith("/subdistrict")
    assert client.get("/subdistrict").status_code == 200


@pytest.mark.parametrize(
    ("bad_line", "fragment"),
    [
        ("bob,pw-12345678,mayor,,,,", "line 4: user bob: unknown role 'mayor'"),
        ("bob,pw-12345678,community,,C999,,", "line 4: user bob: no community with code 'C999'"),
        ("bob,short,office,,,,", "line 4: user bob: the password needs at least 10 characters"),
        ("bob,pw-123456,office,,,,", "line 4: user bob: the password needs at least 10 characters"),
        ("bob,password123,office,,,,", "line 4: user bob: this password is one of the most common passwords"),
        ("staff1,pw-12345678,office,,,,", "line 4: username 'staff1' is already taken"),
        ("admin,pw-12345678,office,,,,", "line 4: username 'admin' is already taken"),  # an existing user
    ],
)
def test_users_import_with_one_bad_line_imports_nobody(
    app, cli, client, district, make_user, tmp_path, bad_line, fragment
):
    make_user("admin", username="admin")
    lines = GOOD_CSV.splitlines(keepends=True)
    path = tmp_path / "users.csv"
    path.write_text("".join(lines[:3]) + bad_line + "\n" + "".join(lines[3:]), encoding="utf-8")
    before = row_counts(app)
    assert_refused(cli("users", "import", path), fragment)
    assert row_counts(app) == before
    assert login(client, "insp1", "pw-insp1-123").status_code == 401  # line 2 was not kept either


def test_users_import_refuses_a_file_without_the_columns(app, cli, district, tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("name,secret\nbob,pw-12345678\n", encoding="utf-8")
    assert_refused(cli("users", "import", path), "the CSV header lacks password, role, username")
    assert user_count(app) == 0


# ---------------------------------------------------------------------------------------------------
# seed-demo

DEMO_HOMES = {
    "admin": "/admin",
    "office": "/office",
    "inspector": "/inspector",
    "subdistrict": "/subdistrict",
    "community": "/community",
    "community2": "/community",
}


def test_seed_demo_fills_an_empty_database(app, cli):
    result = cli("seed-demo", "--no-activity")  # the history is tested in tests/test_demo_activity.py
    assert result.exit_code == 0, result.output
    assert "15 sub-districts" in result.output
    assert "demo-2026-wmb" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Subdistrict.id))) == 15
        assert db.session.scalar(select(func.count(Community.id))) >= 80
        spot_types = set(db.session.scalars(select(Spot.spot_type).distinct()))
        assert {"RES", "MKT"} <= spot_types and len(spot_types) >= 5
        assert db.session.scalar(select(func.count(ChecklistVersion.id))) == 1
        assert calendar_services.calendar_years() == [2026]
        assert db.session.scalar(select(func.count(CalendarDay.day))) == CALENDAR_2026_DAYS

        users = {u.username: u for u in db.session.scalars(select(User))}
        assert set(users) == set(DEMO_HOMES)
        first, second, street = users["community"], users["community2"], users["subdistrict"]
        assert first.community_id != second.community_id
        assert first.community.subdistrict_id == second.community.subdistrict_id == street.subdistrict_id
        assert users["inspector"].level == "city"
    # The demo district is a real boundary version: its communities are found by location.
    with app.app_context():
        version = geo_services.current_boundary_version()
        spot = db.session.scalar(select(Spot).where(Spot.lat.is_not(None)).order_by(Spot.code).limit(1))
        found, _ = geo_services.locate(spot.lat, spot.lon)
        assert version is not None and found is not None and found.id == spot.community_id


# With pytest-xdist, the tests that start from seed-demo's database run on one worker (--dist loadgroup).
SHARES_SEED_DEMO = pytest.mark.xdist_group("seed-demo")


@pytest.fixture
def seeded_demo(app, cli, db_snapshot):
    """`fieldcheck seed-demo` (with its history) on the empty database: it runs in the first test of each
    backend, and the other tests start from a copy of the database and photo files it left."""

    def seed():
        result = cli("seed-demo")
        assert result.exit_code == 0, result.output
        return result.output

    return db_snapshot("seed-demo", seed)


@SHARES_SEED_DEMO
@pytest.mark.parametrize("username", sorted(DEMO_HOMES))
def test_seed_demo_accounts_log_in_to_their_home_page(app, seeded_demo, username):
    client = app.test_client()
    response = login(client, username, "demo-2026-wmb")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(DEMO_HOMES[username])
    page = client.get(DEMO_HOMES[username])
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.get_data(as_text=True)


@SHARES_SEED_DEMO
def test_seed_demo_twice_fails_clearly_and_adds_nothing(app, cli, seeded_demo):
    before = row_counts(app)
    assert_refused(cli("seed-demo"), "already has users")
    assert row_counts(app) == before


def test_seed_demo_refuses_a_database_with_users(app, cli, make_user):
    make_user("admin", username="root")
    before = row_counts(app)
    assert_refused(cli("seed-demo"), "seed-demo only fills an empty database")
    assert row_counts(app) == before


def test_commands_are_listed_in_help(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("demo", "seed-demo", "import-boundaries", "import-checklist", "import-calendar", "users"):
        assert command in result.output
