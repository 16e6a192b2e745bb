"""The home pages' score-by-month chart: SVG markup without inline styles, gaps for months without figures."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from fieldcheck.ranking.chart import line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def test_points_lines_and_labels_are_drawn_without_a_style_attribute():
    markup = line_chart([("2026-01", 80.5), ("2026-02", 90.0), ("2026-03", 85.25)], title="得分走势")
    root = _parse(markup)
    assert root.get("role") == "img" and root.get("aria-label") == "得分走势"
    circles = root.findall(f"{SVG}circle")
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "2026-01: 80.50",
        "2026-02: 90.00",
        "2026-03: 85.25",
    ]
    assert len(root.findall(f"{SVG}polyline")) == 1
    assert "style=" not in markup and "<script" not in markup
    # Higher scores sit higher (smaller y); the range is whole tens around the values.
    ys = [float(c.get("cy")) for c in circles]
    assert ys[1] < ys[2] < ys[0]
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert labels[:3] == ["80", "85", "90"] and labels[3:] == ["01", "02", "03"]


def test_a_month_without_a_value_breaks_the_line_and_no_values_draw_nothing():
    root = _parse(
        line_chart([("2026-01", 70), ("2026-02", None), ("2026-03", 75), ("2026-04", 76)], title="t")
    )
    lines = root.findall(f"{SVG}polyline")
    assert [len(p.get("points").split()) for p in lines] == [1, 2]
    assert len(root.findall(f"{SVG}circle")) == 3
    assert line_chart([("2026-01", None)], title="t") == ""
    assert line_chart([], title="t") == ""


def test_one_point_and_hostile_titles_stay_well_formed():
    markup = line_chart([("2026-05", 100.0)], title='<b>"x"</b>&', unit=" 分")
    root = _parse(markup)
    assert root.get("aria-label") == '<b>"x"</b>&'
    assert root.find(f"{SVG}circle").find(f"{SVG}title").text == "2026-05: 100.00 分"
    assert not re.search(r"nan|inf", markup)
