"""The month cache (fieldcheck/ranking/monthcache.py): a computed month is read from the database until
something it is computed from changes, whichever way the change is written (invalidation.py)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select, update

from fieldcheck.calendar.models import CalendarDay
from fieldcheck.checklist.models import ChecklistVersion
from fieldcheck.extensions import db
from fieldcheck.geography.models import Community
from fieldcheck.ranking import document as doc_module
from fieldcheck.ranking import monthcache, services
from fieldcheck.ranking.models import MonthCache
from fieldcheck.reports.models import Event, Report, Visit
from tests.ranking_district import AFTER, MONTH, build, local, token_for

TZ_NAME = "Asia/Shanghai"


@pytest.fixture
def march(app, client, make_user, db_snapshot):
    """The worked-example March (tests/ranking_district.py), its inspector and an office token."""

    def setup():
        inspector = make_user("inspector", username="insp", level="district")
        ids = build(app, inspector_id=inspector.id)
        make_user("office", username="office")
        return {**ids, "insp": inspector.id}, token_for(client, "office")

    ids, office = db_snapshot("month-cache-march", setup)
    return dict(ids), dict(office)


@pytest.fixture
def computes(monkeypatch):
    """The months scored from the data (``services.compute`` calls), by month."""
    calls: list[str] = []
    real = services.compute
    monkeypatch.setattr(services, "compute", lambda month, **k: calls.append(month) or real(month, **k))
    return calls


def read(app, now=AFTER, month=MONTH) -> dict:
    with app.app_context():
        return services.cached(month, now=now, tz_name=TZ_NAME).document


def _report(ids, observed, community="C003", **columns):
    client_id = str(uuid.uuid4())
    return Report(
        client_id=client_id,
        content_hash=hashlib.sha256(client_id.encode()).hexdigest(),
        inspector_id=ids["insp"],
        item_id=db.session.get(Report, ids["r1"]).item_id,
        community_id=db.session.scalar(select(Community.id).where(Community.code == community)),
        location_source="device",
        observed_at=observed,
        found_by="district",
        status="dispatched",
        dispatched_at=observed,
        **columns,
    )


def test_a_month_is_read_from_the_cache_until_it_changes(app, march, computes):
    first = read(app)
    assert computes == [MONTH]
    again = read(app)
    assert computes == [MONTH]  # read from the database, not scored again
    with app.app_context():
        fresh = services.compute(MONTH, now=AFTER, tz_name=TZ_NAME)
        assert doc_module.summary(again) == doc_module.summary(fresh.document) == doc_module.summary(first)
        # A breakdown is computed when first read, equal to the live one.
        assert again["breakdowns"]["C001"] == fresh.document["breakdowns"]["C001"]
        assert db.session.scalar(select(func.count()).select_from(MonthCache)) == 1


def _filed_late(app, ids, client, office):  # filed in April, observed in March
    db.session.add(_report(ids, local(3, 20)))


def _moved(app, ids, client, office):  # observed in February after all
    db.session.get(Report, ids["r1"]).observed_at = local(2, 27)


def _voided(app, ids, client, office):  # through the API: the workflow's guarded UPDATE and its event
    response = client.post(f"/api/v1/reports/{ids['r3']}/void", json={"reason": "重复"}, headers=office)
    assert response.status_code == 200, response.get_json()


def _event(app, ids, client, office):  # an event alone (its report's months count it)
    db.session.add(
        Event(
            report_id=ids["r3"], seq=9, actor_id=ids["insp"], at=AFTER, action="urge", to_status="dispatched"
        )
    )


def _appeal_granted(app, ids, client, office):  # a statement, as the services write moves
    db.session.execute(update(Report).where(Report.id == ids["r2"]).values(status="voided"))


def _suspended(app, ids, client, office):
    db.session.execute(update(Report).where(Report.id == ids["r3"]).values(status="suspended"))


def _boundary(app, ids, client, office):  # C001 has a market now
    db.session.execute(update(Community).where(Community.code == "C001").values(spot_types=["RES", "MKT"]))


def _calendar(app, ids, client, office):
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == 2026))


def _checklist(app, ids, client, office):
    version = db.session.scalar(select(ChecklistVersion).where(ChecklistVersion.label == "worked-2026"))
    version.settings = {**version.settings, "scoring": {**version.settings["scoring"], "field_total": 60}}


def _closing_before(app, ids, client, office):  # February's closing that makes r3 a repeat, undone
    r0 = db.session.get(Report, ids["r0"])
    r0.status, r0.closed_at = "rectified", None


def _visit(app, ids, client, office):
    client_id = str(uuid.uuid4())
    db.session.add(
        Visit(
            client_id=client_id,
            content_hash=client_id,
            inspector_id=ids["insp"],
            community_id=db.session.scalar(select(Community.id).where(Community.code == "C004")),
            location_source="device",
            observed_at=local(3, 17),
        )
    )


CHANGES = {
    f.__name__.strip("_"): f
    for f in (
        _filed_late,
        _moved,
        _voided,
        _event,
        _appeal_granted,
        _suspended,
        _boundary,
        _calendar,
        _checklist,
        _closing_before,
        _visit,
    )
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_kind_of_change_is_seen_on_the_next_read(app, client, march, computes, clock, change):
    ids, office = march
    clock.set(AFTER)
    read(app)
    with app.app_context():
        CHANGES[change](app, ids, client, office)
        db.session.commit()
    after = read(app)
    assert computes == [MONTH, MONTH]
    with app.app_context():
        assert doc_module.summary(after) == doc_module.summary(
            services.compute(MONTH, now=AFTER, tz_name=TZ_NAME).document
        )


def test_a_change_to_another_month_keeps_the_cache(app, march, computes):
    ids, _office = march
    read(app)
    with app.app_context():
        db.session.add(_report(ids, datetime(2026, 6, 10, tzinfo=UTC)))
        db.session.commit()
    read(app)
    assert computes == [MONTH]


def test_the_current_month_is_computed_again_once_a_deadline_passes(app, march, computes):
    """r6's deadline is the end of 25 March (the next moment of March's reports after the 21st): read on
    the 21st, still valid on the 24th, not on the 26th."""
    read(app, now=local(3, 21))
    kept = read(app, now=local(3, 24))
    assert computes == [MONTH]
    assert kept["reference"] == local(3, 24).isoformat()
    read(app, now=local(3, 26))
    assert computes == [MONTH, MONTH]


def test_two_computations_of_a_month_leave_one_row(app, march):
    with app.app_context():
        version = services.checklist_services.version_in_force(MONTH)
        for changes in (7, 8, 6):  # the last one computed from older data: it does not replace the row
            monthcache._store(MONTH, version.id, TZ_NAME, changes, AFTER, None, AFTER, "{}", "0" * 64, {})
        db.session.rollback()  # written apart: seen by the session's next transaction
        rows = db.session.execute(select(MonthCache.month, MonthCache.changes)).all()
        assert rows == [(MONTH, 8)]


def test_the_office_home_shows_the_top_problem_items_from_the_cache(app, client, march, computes, clock):
    """March and April (the worked checklist is in force from March): ENV-01 twice in March, ENV-02 once
    in March and once in April, the others once; the voided and the unassigned report count for nothing."""
    from tests.conftest import login

    clock.set(AFTER)
    assert login(client, "office").status_code == 302
    html = client.get("/office").get_data(as_text=True)
    assert sorted(computes) == ["2026-03", "2026-04"]
    rows = re.findall(r'<tr data-item="([^"]+)">(.*?)</tr>', html, re.S)
    counts = {code: re.findall(r'<td class="num">(?:<strong>)?(\d+)', cells) for code, cells in rows}
    assert list(counts) == ["ENV-01", "ENV-02", "MKT-01", "ORD-01", "ORD-02"]
    assert counts["ENV-02"] == ["0", "0", "0", "0", "1", "1", "2"]  # Nov ... Apr, then the total
    assert counts["ENV-01"][-3:] == ["2", "0", "2"]
    client.get("/office")
    assert sorted(computes) == ["2026-03", "2026-04"]  # read from the cache


def test_the_ranking_page_charts_the_district_by_month(app, client, march, clock):
    from tests.conftest import login

    clock.set(AFTER)
    assert login(client, "office").status_code == 302
    html = client.get(f"/ranking/{MONTH}").get_data(as_text=True)
    chart = html[html.index('id="trend"') :]
    assert "<svg" in chart and "2026-03: 6.00" in chart  # March's six field reports (the tooltip)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_published_months_files_are_written_once_and_kept_as_blobs(app, client, march, monkeypatch, fmt):
    from fieldcheck.ranking import exports

    ids, office = march
    writer = {"xlsx": "to_xlsx", "csv": "to_csv"}[fmt]
    written = []
    real = getattr(exports, writer)
    monkeypatch.setattr(exports, writer, lambda *a, **k: written.append(1) or real(*a, **k))
    store = app.extensions["fieldcheck.storage"]
    url = f"/api/v1/rankings/{MONTH}.{fmt}"

    def publish():
        with app.app_context():
            services.publish(MONTH, ids["insp"], now=AFTER, tz_name=TZ_NAME)
            db.session.commit()

    def download() -> bytes:
        response = client.get(url, headers=office)
        assert response.status_code == 200
        return response.data

    first_unpublished, again_unpublished = download(), download()
    assert len(written) == 2 and not list(store.keys("exports/"))  # an unpublished month: each time
    publish()
    first = download()
    assert download() == first and len(written) == 3  # the second from the blob
    kept = list(store.keys("exports/"))
    assert len(kept) == 1 and store.get(kept[0]) == first and kept[0].endswith(f".{fmt}")
    with app.app_context():  # a correction: a new publication, a new file
        db.session.execute(update(Report).where(Report.id == ids["r3"]).values(status="voided"))
        db.session.commit()
    publish()
    assert download() != first and len(written) == 4 and len(list(store.keys("exports/"))) == 2
    assert first_unpublished and again_unpublished


def test_the_versions_of_several_months_are_each_months_own(app, district):
    """``versions_in_force`` and ``versions_for`` (the office's top items over six months) give, from one
    query each, what ``version_in_force`` and ``_version_for`` give month by month: the newest version
    whose first month is on or before the month (the later of two with the same first month), None
    before any."""
    from fieldcheck.checklist import services as checklist_services

    text = checklist_services.default_checklist_text()
    months = ["2025-06", "2026-01", "2026-02", "2026-05", "2026-06", "2027-01"]
    with app.app_context():
        for effective in ("2026-05", "2026-05", "2026-06"):  # two versions share a first month
            checklist_services.import_checklist(text, effective_month=effective)
        db.session.commit()
        batched = checklist_services.versions_in_force(months)
        one_by_one = {m: checklist_services.version_in_force(m) for m in months}
        assert batched == one_by_one and batched["2025-06"] is None
        assert len({v.id for v in batched.values() if v is not None}) == 3
        expected = {}
        for month in months:
            try:
                expected[month] = services._version_for(month)
            except services.NotFound:
                expected[month] = None
        assert services.versions_for(months) == expected
        assert checklist_services.versions_in_force([]) == {}
