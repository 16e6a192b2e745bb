"""The small maps' data on the report page and the unassigned queue (fieldcheck/map/minimaps.py): scoped as
the pages, the EXIF point only when it differs from the report's, the nearest communities as one-tap
assigns. Rows from the factory; no filing."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import update

from fieldcheck.earth import distance_m
from fieldcheck.extensions import db
from fieldcheck.map.minimaps import display
from fieldcheck.reports.models import Photo, Report

# 0.005 degrees south of C002 (the small district's squares run along 34.65-34.66 N from 112.40 E).
SOUTH_OF_C002 = (34.645, 112.415)


def minimap_of(html: str) -> dict | None:
    found = re.search(r'<script type="application/json" id="minimap-config">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def set_exif(app, report_id, lat, lon):
    with app.app_context():
        db.session.execute(
            update(Photo).where(Photo.report_id == report_id).values(exif_lat=lat, exif_lon=lon)
        )
        db.session.commit()


def test_report_page_map_has_the_polygon_the_point_and_a_distant_exif_point(
    app, people, browser_for, make_report
):
    far = make_report("dispatched", community="C001", lat=34.655, lon=112.405)
    set_exif(app, far, 34.6559, 112.405)  # 0.0009 degrees north: about 100 m
    same = make_report("dispatched", community="C001", lat=34.655, lon=112.405)
    set_exif(app, same, 34.655, 112.405)
    other = make_report("dispatched", community="C002")
    office, c1 = browser_for("office"), browser_for("c1")

    page = office.get(f"/reports/{far}").get_data(as_text=True)
    config = minimap_of(page)
    (m,) = config["maps"]
    assert list(config["polygons"]) == ["C001"] and m["communities"] == ["C001"]
    assert config["polygons"]["C001"]["geometry"]["type"] == "Polygon"
    assert m["point"] == [112.405, 34.655] and m["accuracy_m"] == 8.0
    assert m["exif"]["point"] == [112.405, 34.6559]
    assert m["exif"]["distance_m"] == round(distance_m(34.655, 112.405, 34.6559, 112.405)) == 100
    assert config["tiles"] is None  # no base tiles unless configured: no host but the app's own
    assert 'id="exif-distance"' in page and "js/minimap.js" in page and "vendor/leaflet/leaflet.js" in page

    same_map = minimap_of(office.get(f"/reports/{same}").get_data(as_text=True))["maps"][0]
    assert same_map["exif"] is None and same_map["point"] == [112.405, 34.655]

    # Community staff see the photo's GPS only where the office discloses photo metadata (default: not).
    theirs = minimap_of(c1.get(f"/reports/{far}").get_data(as_text=True))["maps"][0]
    assert theirs["exif"] is None and theirs["point"] == [112.405, 34.655]

    # Another community's report: 404, as the page always was; no map data leaks with it.
    refused = c1.get(f"/reports/{other}")
    assert refused.status_code == 404 and minimap_of(refused.get_data(as_text=True)) is None


def test_pages_without_a_map_load_no_leaflet(people, browser_for, make_report):
    unplaced = make_report("reported", lat=None, lon=None)
    page = browser_for("office").get(f"/reports/{unplaced}").get_data(as_text=True)
    assert "leaflet" not in page and minimap_of(page) is None
    assert "leaflet" not in browser_for("office").get("/office/queue/verify").get_data(as_text=True)


def test_unassigned_queue_offers_the_nearest_communities(app, people, browser_for, make_report):
    lat, lon = SOUTH_OF_C002
    placed = make_report("reported", lat=lat, lon=lon)
    unplaced = make_report("reported", lat=None, lon=None)
    page = browser_for("office").get("/office/queue/unassigned").get_data(as_text=True)
    config = minimap_of(page)
    (m,) = config["maps"]  # the report without a point has only the dropdown
    assert m["report"] == placed and m["point"] == [lon, lat]
    codes = [n["code"] for n in m["near"]]
    assert codes[0] == "C002" and set(codes[1:3]) == {"C001", "C003"} and codes[3] == "C004"
    assert m["near"][0]["distance_m"] == pytest.approx(distance_m(lat, lon, 34.65, lon), abs=1)
    assert m["near"][0]["name"] == "青年宫社区"
    assert set(config["polygons"]) == {"C001", "C002", "C003", "C004"}

    # One form per placed report, a submit button per nearby community; the dropdown stays for both.
    forms = re.findall(r'<form class="move move-assign-near"[^>]*action="/reports/(\d+)/assign"', page)
    assert forms == [str(placed)]
    assert re.findall(r'name="community" value="(C\d+)"', page) == codes
    assert page.count('class="move move-assign"') == 2 and f'data-id="{unplaced}"' in page


def test_one_tap_assigns_to_the_community_tapped(app, people, browser_for, make_report):
    placed = make_report("reported", lat=SOUTH_OF_C002[0], lon=SOUTH_OF_C002[1])
    office = browser_for("office")
    page = office.get("/office/queue/unassigned").get_data(as_text=True)
    form = re.search(r'<form class="move move-assign-near".*?</form>', page, re.S).group(0)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    response = office.post(f"/reports/{placed}/assign", data={**fields, "community": "C003"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/office/queue/unassigned")
    with app.app_context():
        report = db.session.get(Report, placed)
        assert (report.status, report.community.code) == ("dispatched", "C003")


def test_configured_tiles_are_allowed_on_the_small_maps_only_then(app, people, browser_for, make_report):
    placed = make_report("reported", lat=SOUTH_OF_C002[0], lon=SOUTH_OF_C002[1])
    office = browser_for("office")
    plain = office.get(f"/reports/{placed}")
    assert "img-src 'self' blob:;" in plain.headers["Content-Security-Policy"]
    app.config["MAP_TILES"] = "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    app.config["MAP_TILES_DATUM"] = "gcj02"
    for path in (f"/reports/{placed}", "/office/queue/unassigned"):
        page = office.get(path)
        assert "img-src 'self' blob: https://*.is.autonavi.com;" in page.headers["Content-Security-Policy"]
        config = minimap_of(page.get_data(as_text=True))
        assert config["tiles_datum"] == "gcj02" and config["tiles"].startswith("https://webrd0{s}.")


def test_polygons_are_drawn_light():
    # A GIS outline of 2,000 vertices: about 130 on the small map, within a metre and a half of the original.
    from shapely import Point
    from shapely.geometry import shape

    outline = Point(112.4, 34.65).buffer(0.01, quad_segs=500)
    drawn = display(outline)
    assert len(drawn["coordinates"][0]) < len(outline.exterior.coords) / 10
    assert shape(drawn).hausdorff_distance(outline) < 1.5e-5  # degrees: about 1.4 m of latitude
    assert all(round(x, 6) == x and round(y, 6) == y for x, y in drawn["coordinates"][0])


def test_an_unassigned_reports_page_offers_the_nearest_communities_too(app, people, browser_for, make_report):
    placed = make_report("reported", lat=SOUTH_OF_C002[0], lon=SOUTH_OF_C002[1])
    page = browser_for("office").get(f"/reports/{placed}").get_data(as_text=True)
    (m,) = minimap_of(page)["maps"]
    assert [n["code"] for n in m["near"]][0] == "C002" and m["point"] == [SOUTH_OF_C002[1], SOUTH_OF_C002[0]]
    assert page.count(f'id="report-map-{placed}"') == 1  # one map: the form's own is not drawn again
    form = re.search(r'<form class="move move-assign-near".*?</form>', page, re.S).group(0)
    assert 'name="next"' not in form and form.count('name="community"') == 4  # the small district's four
    # The sub-district's staff may see it only once assigned there, and never the assign move.
    assert browser_for("sd1").get(f"/reports/{placed}").status_code == 404
