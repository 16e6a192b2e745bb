"""GET /api/v1/reports: every filter, the cursor under concurrent filing, scope; and /reports.csv."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from fieldcheck.reports import export

NOV = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # 10:00 in the city


def ids(client, headers, query=""):
    response = client.get(f"/api/v1/reports?per_page=200&{query}", headers=headers)
    assert response.status_code == 200, (query, response.get_json())
    return {r["id"] for r in response.get_json()["reports"]}


@pytest.fixture
def spread(clock, make_report):
    """Reports across communities, items, states and days; returns their ids by name."""
    clock.set(NOV + timedelta(days=20))
    later = NOV + timedelta(days=40)  # open reports' deadlines, but one's
    return {
        "c1_open": make_report("dispatched", community="C001", at=NOV, note="单元门口堆放纸箱", due_at=later),
        "c1_closed": make_report("closed", community="C001", item="ENV-01", at=NOV + timedelta(days=1)),
        "c2_rectified": make_report("rectified", community="C002", at=NOV + timedelta(days=2)),
        "c3_open": make_report(
            "dispatched", community="C003", item="PRK-01", at=NOV + timedelta(days=3), due_at=later
        ),
        "c4_overdue": make_report(
            "dispatched", community="C004", at=NOV + timedelta(days=4), due_at=NOV + timedelta(days=5)
        ),
        "unassigned": make_report("reported", at=NOV + timedelta(days=5), found_by="district"),
        "c1_october": make_report(
            "dispatched", community="C001", at=datetime(2026, 10, 20, 2, tzinfo=UTC), due_at=later
        ),
    }


def test_each_filter_narrows_the_office_list(client, people, spread):
    office = people["office"]
    s = spread
    assert ids(client, office) == set(s.values())
    assert ids(client, office, f"q={s['c3_open']}") == {s["c3_open"]}
    assert ids(client, office, f"q=%23{s['c3_open']}") == {s["c3_open"]}
    assert ids(client, office, "q=纸箱") == {s["c1_open"]}  # the note
    assert ids(client, office, "q=周公") == {s["c4_overdue"]}  # the community's name
    assert ids(client, office, "q=暴露垃圾") == {s["c1_closed"]}  # the item's name
    assert ids(client, office, "q=exposed+RUBBISH") == {s["c1_closed"]}  # English name, any case
    assert ids(client, office, "q=纸箱+周公") == set()  # every word must be found
    assert ids(client, office, "q=100%25") == set()  # LIKE's wildcards are literal
    assert ids(client, office, "status=closed,rectified") == {s["c1_closed"], s["c2_rectified"]}
    assert ids(client, office, "overdue=1") == {s["c4_overdue"]}
    assert ids(client, office, "subdistrict=SD02") == {s["c3_open"], s["c4_overdue"]}
    assert ids(client, office, "subdistrict=sd02") == {s["c3_open"], s["c4_overdue"]}
    assert ids(client, office, "community=C001") == {s["c1_open"], s["c1_closed"], s["c1_october"]}
    assert ids(client, office, "item=PRK-01") == {s["c3_open"]}
    assert ids(client, office, "category=PRK") == {s["c3_open"]}
    assert ids(client, office, "found_by=district") == {s["unassigned"]}
    assert ids(client, office, "from=2026-11-11&to=2026-11-12") == {s["c1_closed"], s["c2_rectified"]}
    assert ids(client, office, "month=2026-10") == {s["c1_october"]}
    assert ids(client, office, "month=2026-11&community=C001&status=dispatched") == {s["c1_open"]}
    assert ids(client, office, "community=C999") == set()


def test_the_local_day_bounds_the_dates(client, people, clock, make_report):
    clock.set(datetime(2026, 11, 20, tzinfo=UTC))
    late = make_report(at=datetime(2026, 11, 10, 15, 59, tzinfo=UTC))  # 23:59 on the 10th in the city
    early = make_report(at=datetime(2026, 11, 10, 16, 0, tzinfo=UTC))  # 00:00 on the 11th
    assert ids(client, people["office"], "to=2026-11-10") == {late}
    assert ids(client, people["office"], "from=2026-11-11") == {early}


def test_filters_never_widen_scope(client, people, spread):
    s = spread
    assert ids(client, people["c1"], "community=C002") == set()
    assert ids(client, people["c1"], f"q={s['c2_rectified']}") == set()
    assert ids(client, people["c1"]) == {s["c1_open"], s["c1_closed"], s["c1_october"]}
    assert ids(client, people["sd1"], "subdistrict=SD02") == set()
    assert ids(client, people["sd2"], "overdue=1") == {s["c4_overdue"]}


@pytest.mark.parametrize(
    "query, code",
    [
        ("cursor=nope", "invalid_cursor"),
        ("cursor=WzEsMl0&page=2", "invalid"),
        ("cursor=WyJhIiwyXQ", "invalid_cursor"),  # ["a",2]
        ("cursor=W3RydWUsMl0", "invalid_cursor"),  # [true,2]
        ("cursor=Wzk5OTk5OTk5OTk5OTk5OTk5OTk5LDJd", "invalid_cursor"),  # beyond any date
        ("status=closed,nope", "invalid"),
        ("overdue=yes", "invalid"),
        ("found_by=mayor", "invalid"),
        ("from=2026-02-30", "invalid"),
        ("from=２０２６-01-01", "invalid"),
        ("from=2026-11-12&to=2026-11-11", "invalid"),
        ("q=a+b+c+d+e+f", "invalid"),
        ("community=C001%27--", "invalid"),
        ("month=2026-13", "bad_month"),
    ],
)
def test_bad_filters_answer_400_with_a_message(client, people, district, query, code):
    response = client.get(f"/api/v1/reports?{query}", headers=people["office"])
    assert response.status_code == 400, query
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


def walk(client, headers, query="", per_page=2, between=None):
    """Every page by cursor; ``between(n)`` runs after the n-th page."""
    seen, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/reports?per_page={per_page}&{query}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        assert ("total" in body) == (cursor is None)
        seen += [r["id"] for r in body["reports"]]
        pages += 1
        cursor = body["next_cursor"]
        if between:
            between(pages)
        if cursor is None:
            return seen


def test_the_cursor_neither_repeats_nor_skips_while_reports_are_filed(client, people, clock, make_report):
    clock.set(NOV + timedelta(days=10))
    same_moment = NOV + timedelta(days=2)
    before = [make_report(at=NOV + timedelta(hours=h)) for h in range(0, 60, 7)]
    before += [make_report(at=same_moment) for _ in range(3)]  # ties are broken by id
    filed_meanwhile = []

    def file_some(page):
        if page <= 3:  # newer and older than the page just read, and at the tie moment
            filed_meanwhile.append(make_report(at=NOV + timedelta(days=3, hours=page)))
            filed_meanwhile.append(make_report(at=NOV - timedelta(hours=page)))
            filed_meanwhile.append(make_report(at=same_moment))

    seen = walk(client, people["office"], between=file_some)
    assert len(seen) == len(set(seen)), "a report was listed twice"
    assert set(before) <= set(seen), "a report that existed before the walk was skipped"
    assert set(seen) <= set(before) | set(filed_meanwhile)


def test_cursor_pages_follow_filters_and_the_order(client, people, spread):
    s = spread
    seen = walk(client, people["office"], "community=C001", per_page=1)
    assert seen == [s["c1_closed"], s["c1_open"], s["c1_october"]]  # newest observed first


def test_pages_by_number_still_work_for_older_clients(client, people, spread):
    body = client.get("/api/v1/reports?per_page=3&page=3", headers=people["office"]).get_json()
    assert body["page"] == 3 and body["total"] == 7 and len(body["reports"]) == 1
    assert body["next_cursor"] is None


def test_the_total_is_counted_up_to_a_cap_and_not_for_words(client, people, spread, monkeypatch):
    from fieldcheck.reports import queries

    office = people["office"]
    body = client.get("/api/v1/reports?per_page=2", headers=office).get_json()
    assert body["total"] == 7 and body["total_capped"] is False
    monkeypatch.setattr(queries, "TOTAL_CAP", 5)
    body = client.get("/api/v1/reports?per_page=2&page=2", headers=office).get_json()
    assert body["total"] == 5 and body["total_capped"] is True and len(body["reports"]) == 2
    # Words of three characters or more go through the note's trigram index on PostgreSQL, shorter ones
    # by a scan; either way a word search answers without a total (counting it reads every match).
    for word in ("纸箱", "堆放纸箱", "门口"):
        body = client.get(f"/api/v1/reports?q={word}", headers=office).get_json()
        assert [r["id"] for r in body["reports"]] == [spread["c1_open"]] and "total" not in body


def read_csv(response):
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_csv_has_every_matching_row_in_batches(client, people, spread, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)  # four batches for seven rows
    rows = read_csv(client.get("/api/v1/reports.csv", headers=people["office"]))
    assert [int(r["id"]) for r in rows] == walk(client, people["office"])
    assert len(rows) == 7
    overdue = read_csv(client.get("/api/v1/reports.csv?overdue=1", headers=people["office"]))
    assert [(r["id"], r["community_code"], r["overdue"]) for r in overdue] == [
        (str(spread["c4_overdue"]), "C004", "1")
    ]
    assert overdue[0]["observed_at"] == "2026-11-14 10:00"  # the city's time
    assert overdue[0]["link"].endswith(f"/reports/{spread['c4_overdue']}")


def test_the_csv_keeps_scope_and_guards_formulas(client, people, clock, make_report):
    clock.set(NOV + timedelta(days=1))
    mine = make_report(community="C001", at=NOV, note='=HYPERLINK("http://x")')
    make_report(community="C002", at=NOV)
    rows = read_csv(client.get("/api/v1/reports.csv", headers=people["c1"]))
    assert [int(r["id"]) for r in rows] == [mine]
    assert rows[0]["note"].startswith("'=")
    assert rows[0]["inspector"] == ""  # unannounced inspections stay unannounced to the community
    assert read_csv(client.get("/api/v1/reports.csv", headers=people["office"]))[0]["inspector"]
    bad = client.get("/api/v1/reports.csv?status=nope", headers=people["office"])
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid"
    assert client.get("/api/v1/reports.csv").status_code == 401


# --- The search page (GET /search) ---------------------------------------------------------------------


def page_ids(html: str) -> list[int]:
    import re

    return [int(i) for i in re.findall(r'<li class="report[^"]*" data-id="(\d+)"', html)]


def test_the_search_page_filters_and_pages(app, client, people, spread, monkeypatch):
    from fieldcheck.workflow import search_page
    from tests.conftest import login

    monkeypatch.setattr(search_page, "PER_PAGE", 2)
    login(client, "office")
    first = client.get("/search?community=C001")
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert page_ids(html) == [spread["c1_closed"], spread["c1_open"]]
    assert "(3)" in html  # the total, on the first page
    import html as htmllib
    import re

    next_url = htmllib.unescape(re.search(r'id="next-page" href="([^"]+)"', html).group(1))
    assert "community=C001" in next_url and "cursor=" in next_url
    second = client.get(next_url).get_data(as_text=True)
    assert page_ids(second) == [spread["c1_october"]]
    assert 'id="next-page"' not in second
    both = client.get("/search?status=closed&status=rectified").get_data(as_text=True)
    assert set(page_ids(both)) == {spread["c1_closed"], spread["c2_rectified"]}
    assert "status=closed,rectified" in both  # the CSV link carries the same filters


def test_the_search_page_explains_bad_filters_and_keeps_to_staff(app, client, people, district):
    from tests.conftest import login

    login(client, "c1")
    bad = client.get("/search?from=2026-02-30")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.get_data(as_text=True)
    inspector = app.test_client()
    login(inspector, "insp")
    assert inspector.get("/search").status_code == 403
