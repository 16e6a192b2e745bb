"""A worked example: March 2026 in a small district, computed by hand, checked against the JSON API, the
XLSX and the CSV. The district, the checklist and the reports are built in tests/ranking_district.py.

The reports (local times, Asia/Shanghai; "district" = found by the district, multiplier 1):

    r0  C001 ORD-02 at spot 3号院, February, closed 25 Feb                   (only matters as a repeat source)
    r1  C001 ENV-01 ×2 district, due 6 Mar, rectified 5 Mar, closed 6 Mar   (on time)
    r2  C001 ENV-01 ×3 city,     due 12 Mar, rectified 14 Mar, closed 15 Mar (closed late)
    r3  C001 ORD-02 ×1 third party at 3号院, observed 10 Mar, due 20 Mar, never rectified (overdue)
    r4  C001 ENV-02 ×5, voided                                              (no points, not counted)
    r5  C002 MKT-01 ×2 district, returned once, new deadline 18 Mar, rectified 17 Mar, closed 18 Mar
    r6  C002 ORD-01 ×1 sub-district self-check, suspended (挂账) to 25 Mar
    r7  C002 ENV-02 ×1 district, observed 31 Mar 23:30 (March), due 1 Apr
    r8  C002 ENV-02 ×3, observed 1 Apr 00:30 (April: not this month)
    r9  C003 ORD-01, observed 26 Feb, due 2 Mar, rectified 1 Mar, closed 1 Mar
    r10 ENV-02 ×4 outside every boundary, awaiting assignment               (nobody's)
    A visit to C003 on 16 Mar that found nothing; nothing at all in C004.

Field score = 70 × Σ(weight − deducted) / Σ weight over the categories that apply.

C001 王城社区 (RES, ALY: no market, so MKT is left out and ENV + ORD = 80 are scaled to 70)
    r1 ENV-01: 2 × 1 × 1.0           = 2
    r2 ENV-01: 3 × 1 × 1.5           = 4.5   → ENV-01 6.5, capped at 3
    r3 ORD-02: 1 × 4 × 1.5 × 2       = 12    (repeat: r0 closed 25 Feb, 13 days before, same spot)
                                              → ORD-02 capped at 8
    ENV 3, ORD 8:  field = 70 × (37 + 32) / 80 = 60.375          deductions = 70 − 60.375 = 9.625
    Due in March: r1, r2, r3 → 3; closed by 31 Mar: r1, r2 → 2; on time: r1 → 1; overdue open: r3 → 1;
    reached verification: r1, r2 → 2, returned: none.
    rectification = 15 × 1/3 + 10 × 2/3 + 5 × (1 − 0/2) = 5 + 6.666667 + 5 = 16.666667
    score = 60.375 + 16.666667 = 77.041667 (exactly 1849/24)          reports 3, one repeat

C002 青年宫社区 (RES, MKT: every category applies, 100)
    r5 MKT-01: 2 × 2 × 1.0 = 4;  r6 ORD-01: 1 × 0.5 × 0.5 = 0.25;  r7 ENV-02: 1 × 2 × 1.0 = 2
    field = 70 × (100 − 6.25) / 100 = 65.625                     deductions = 4.375
    Due in March: r5 only (r6 is suspended, r7 is due in April): closed, on time, returned once.
    rectification = 15 × 1 + 10 × 1 + 5 × (1 − 1/1) = 25
    score = 90.625                                                reports 3

C003 涧河社区: no March report but a visit → inspected, field 70; r9 due 2 Mar, closed on time → 30;
    score 100.                                                    reports 0
C004 周公社区: no report, no visit → not inspected, no rank, no score (rectification 30, nothing due).

Ranking: 1 C003 (100), 2 C002 (90.625), 3 C001 (77.041667); C004 unranked. Coverage 3 of 4.
Red list (top 3 not below 85): C003, C002. Black list (below 85, or bottom 3 not on the red list): C001.
Sub-districts: SD02 涧西街道 = mean(100) = 100 (C004 not inspected does not count) → 1;
               SD01 西工街道 = (77.041667 + 90.625) / 2 = 83.833333 → 2.
District: reports 6, due 5, closed 4, on time 3, overdue open 1.
"""

from __future__ import annotations

import csv
import io
from unittest import mock

import pytest
from openpyxl import load_workbook

from tests.ranking_district import AFTER, build, token_for

EXPECTED = {
    # code: rank, score, field, rectification, deductions, reports, due, closed, on_time, overdue, rework, inspected
    "C003": (1, "100.00", "70.00", "30.00", "0.00", 0, 1, 1, 1, 0, 0, True),
    "C002": (2, "90.625", "65.625", "25.00", "4.375", 3, 1, 1, 1, 0, 1, True),
    "C001": (3, "77.041667", "60.375", "16.666667", "9.625", 3, 3, 2, 1, 1, 0, True),
    "C004": (None, None, None, "30.00", "0.00", 0, 0, 0, 0, 0, 0, False),
}
KEYS = (
    "rank",
    "score",
    "field_score",
    "rectification_score",
    "deductions",
    "reports",
    "due",
    "closed",
    "on_time",
    "overdue_open",
    "rework",
    "inspected",
)


@pytest.fixture
def office(app, client, make_user):
    inspector = make_user("inspector", username="insp", level="district")
    ids = build(app, inspector_id=inspector.id)
    make_user("office", username="office")
    return token_for(client, "office"), ids


def get(client, headers, path):
    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=AFTER):
        return client.get(path, headers=headers)


def test_the_json_ranking_matches_the_hand_computation(client, office):
    headers, ids = office
    body = get(client, headers, "/api/v1/rankings/2026-03?breakdowns=1").get_json()
    assert body["month"] == "2026-03" and body["checklist"]["label"] == "worked-2026"
    assert body["published"] is None and body["source"] == "live"
    assert [c["code"] for c in body["communities"]] == ["C003", "C002", "C001", "C004"]
    for row in body["communities"]:
        assert tuple(row[k] for k in KEYS) == EXPECTED[row["code"]], row["code"]
    c001 = body["communities"][2]
    assert c001["repeats"] == 1 and c001["on_time_rate"] == "0.333333" and c001["closure_rate"] == "0.666667"
    assert body["coverage"] == {"communities": 4, "inspected": 3, "rate": "0.75"}
    assert body["red_list"] == ["C003", "C002"] and body["black_list"] == ["C001"]
    assert [(s["code"], s["rank"], s["score"]) for s in body["subdistricts"]] == [
        ("SD02", 1, "100.00"),
        ("SD01", 2, "83.833333"),
    ]
    district = body["indicators"]
    assert (
        district["reports"],
        district["due"],
        district["closed"],
        district["on_time"],
        district["overdue_open"],
    ) == (6, 5, 4, 3, 1)

    # The breakdown down to the reports: caps, multipliers, the repeat, the category left out.
    breakdown = body["breakdowns"]["C001"]
    by_report = {d["report_id"]: d for d in breakdown["deductions"]}
    assert set(by_report) == {ids["r1"], ids["r2"], ids["r3"]}
    assert by_report[ids["r2"]]["amount"] == "4.50" and by_report[ids["r2"]]["found_by_multiplier"] == "1.50"
    r3 = by_report[ids["r3"]]
    assert (r3["repeat_of"], r3["repeat_multiplier"], r3["amount"]) == (ids["r0"], "2.00", "12.00")
    cats = {c["code"]: c for c in breakdown["categories"]}
    assert cats["ENV"]["items"][0] | {"report_ids": None} == {
        "code": "ENV-01",
        "name_zh": "暴露垃圾",
        "name_en": "Exposed rubbish",
        "raw": "6.50",
        "cap": "3.00",
        "deducted": "3.00",
        "report_ids": None,
    }
    assert cats["ORD"]["deducted"] == "8.00" and cats["MKT"]["applicable"] is False
    c002 = {d["report_id"] for d in body["breakdowns"]["C002"]["deductions"]}
    assert c002 == {ids["r5"], ids["r6"], ids["r7"]}


def test_the_xlsx_matches_the_hand_computation(client, office):
    headers, ids = office
    response = get(client, headers, "/api/v1/rankings/2026-03.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["社区排名", "街道排名", "扣分明细", "指标", "说明"]
    ws = wb["社区排名"]
    assert ws.freeze_panes == "A2"
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:8] == (
        "排名",
        "社区编码",
        "社区名称",
        "街道",
        "总分",
        "实地测评得分",
        "整改落实得分",
        "实地扣分",
    )
    table = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:5]}
    assert table["C001"]["排名"] == 3 and table["C001"]["总分"] == pytest.approx(77.041667, abs=1e-9)
    assert table["C001"]["实地测评得分"] == pytest.approx(60.375) and table["C001"][
        "整改落实得分"
    ] == pytest.approx(16.666667)
    assert table["C002"]["总分"] == pytest.approx(90.625) and table["C003"]["总分"] == 100
    assert (
        table["C004"]["排名"] is None and table["C004"]["总分"] is None and table["C004"]["是否测评"] == "否"
    )
    assert table["C001"]["超期未结数"] == 1 and table["C001"]["按期结案率"] == pytest.approx(0.333333)
    assert isinstance(table["C001"]["问题数"], int)
    notes = [r[0] for r in rows[5:] if r[0]]
    assert any("排名规则" in n and "超期未结数少者在前" in n and "按期结案率高者在前" in n for n in notes)
    assert ws.column_dimensions["C"].width >= 10  # fitted to 青年宫社区

    sub = list(wb["街道排名"].iter_rows(values_only=True))
    assert [(r[0], r[1], r[3]) for r in sub[1:3]] == [(1, "SD02", 100), (2, "SD01", pytest.approx(83.833333))]

    deductions = list(wb["扣分明细"].iter_rows(values_only=True))
    assert deductions[0][:3] == ("社区编码", "社区名称", "案件编号")
    by_id = {r[2]: r for r in deductions[1:]}
    assert set(by_id) == {ids[k] for k in ("r1", "r2", "r3", "r5", "r6", "r7")}
    r3 = by_id[ids["r3"]]
    assert r3[10] == ids["r0"] and r3[11] == 2 and r3[12] == 12
    assert (
        r3[14] == f"http://localhost/api/v1/reports/{ids['r3']}"
        and r3[15] == f"http://localhost/reports/{ids['r3']}"
    )

    indicators = {(r[0], r[1]): r for r in wb["指标"].iter_rows(values_only=True)}
    assert indicators[("全区", None)][3:7] == (6, 5, 4, 3)


def test_the_csv_matches_the_hand_computation(client, office):
    headers, _ids = office
    response = get(client, headers, "/api/v1/rankings/2026-03.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["社区编码"] for r in rows] == ["C003", "C002", "C001", "C004"]
    by_code = {r["社区编码"]: r for r in rows}
    for code, expected in EXPECTED.items():
        row = by_code[code]
        rank, score, field, rect, deductions, reports, due, closed, on_time, overdue, rework, inspected = (
            expected
        )
        assert row["排名"] == ("" if rank is None else str(rank))
        assert row["总分"] == (score or "") and row["实地测评得分"] == (field or "")
        assert row["整改落实得分"] == rect and row["实地扣分"] == deductions
        assert (
            row["问题数"],
            row["应结案数"],
            row["结案数"],
            row["按期结案数"],
            row["超期未结数"],
            row["返工数"],
        ) == tuple(str(v) for v in (reports, due, closed, on_time, overdue, rework))
        assert row["是否测评"] == ("是" if inspected else "否")
