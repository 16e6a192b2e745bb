"""A published month's GET compares the recomputation with the snapshot without building every breakdown;
``differs`` must still say exactly what equal digests would say (breakdowns included)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from fieldcheck.extensions import db
from fieldcheck.geography.models import Community
from fieldcheck.ranking import document as doc_module
from fieldcheck.ranking import services
from fieldcheck.ranking.models import RankingSnapshot
from fieldcheck.reports.models import Report
from tests.ranking_district import AFTER, MONTH, build
from tests.web.reporting import recorded_statements

TZ_NAME = "Asia/Shanghai"


def _r(ids, label):
    return update(Report).where(Report.id == ids[label])


def _c(code):
    return update(Community).where(Community.code == code)


CHANGES = {
    # Nothing changed.
    "nothing": (lambda ids: [], False),
    # C001's ENV-01 is capped at 3 (r1 2 + r2 4.5): one more instance changes the breakdown, not a score.
    "breakdown_only_instances": (lambda ids: [_r(ids, "r1").values(instances=3)], True),
    # city and third_party both weigh 1.5: the finder changes in the breakdown only.
    "breakdown_only_found_by": (lambda ids: [_r(ids, "r2").values(found_by="third_party")], True),
    # C001 gets a crossing instead of an alley: still no market, every category applies as before.
    "spot_types_same_categories": (lambda ids: [_c("C001").values(spot_types=["RES", "XING"])], False),
    # C001 gets a market: MKT applies to it now (breakdown and field score change).
    "spot_types_new_category": (lambda ids: [_c("C001").values(spot_types=["RES", "ALY", "MKT"])], True),
    # The late void of the published scenario: scores change.
    "void": (lambda ids: [_r(ids, "r3").values(status="voided")], True),
    # The February report at the same spot no longer closed: r3 is no longer a repeat.
    "repeat_source_reopened": (lambda ids: [_r(ids, "r0").values(status="rectified")], True),
    # The report outside every boundary is assigned late to C004.
    "late_assignment": (
        lambda ids: [
            _r(ids, "r10").values(
                community_id=select(Community.id).where(Community.code == "C004").scalar_subquery(),
                dispatched_at=None,
            )
        ],
        True,
    ),
}


@pytest.mark.parametrize("kept", ["summary", "document_only"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_differs_says_what_equal_digests_would_say(app, make_user, change, kept):
    """``kept``: what the snapshot holds: its summary and facts digest (what publishing keeps now), or
    the whole document only (a snapshot published before summaries were kept)."""
    inspector = make_user("inspector", username="insp", level="district")
    office = make_user("office", username="office")
    ids = build(app, inspector_id=inspector.id)
    statements, expected = CHANGES[change]
    with app.app_context():
        services.publish(MONTH, office.id, now=AFTER, tz_name=TZ_NAME)
        if kept == "document_only":
            db.session.execute(update(RankingSnapshot).values(summary=None, facts_sha256=None))
        db.session.commit()
        for statement in statements(ids):
            db.session.execute(statement)
        db.session.commit()
        snapshot = services.latest_snapshot(MONTH)
        digest_differs = snapshot.sha256 != services.compute(MONTH, now=AFTER, tz_name=TZ_NAME).sha256
        assert digest_differs is expected
        document = services.ranking(MONTH, now=AFTER, tz_name=TZ_NAME)
        assert document["published"]["differs"] is expected
        assert document["source"] == "published" and document["published"]["sha256"] == snapshot.sha256
        # Breakdown-only changes show no per-community difference; the office may still publish a correction.
        if change.startswith("breakdown_only"):
            assert document["published"]["differences"] == []
        if expected:
            again = services.publish(MONTH, office.id, now=AFTER, tz_name=TZ_NAME)
            db.session.commit()
            assert again.sequence == 2
            assert services.ranking(MONTH, now=AFTER, tz_name=TZ_NAME)["published"]["differs"] is False


def test_the_facts_digest_of_built_breakdowns_equals_the_one_read_from_the_result(app, make_user):
    """What publishing keeps (the digest of the built breakdowns' facts) is what a GET computes from the
    scoring result without building them, in the worked example's month (repeats, exclusions, a category
    that does not apply); and a change to a breakdown's facts changes it."""
    inspector = make_user("inspector", username="insp", level="district")
    office = make_user("office", username="office")
    ids = build(app, inspector_id=inspector.id)
    with app.app_context():
        computed = services.compute(MONTH, now=AFTER, tz_name=TZ_NAME)
        from_result = doc_module.result_facts_digest(computed.result)
        assert doc_module.facts_digest(computed.document["breakdowns"]) == from_result
        snapshot = services.publish(MONTH, office.id, now=AFTER, tz_name=TZ_NAME)
        db.session.commit()
        assert snapshot.facts_sha256 == from_result
        import json

        assert doc_module.facts_digest(json.loads(snapshot.document)["breakdowns"]) == from_result
        db.session.execute(_r(ids, "r1").values(instances=3))
        db.session.commit()
        assert (
            doc_module.result_facts_digest(services.compute(MONTH, now=AFTER, tz_name=TZ_NAME).result)
            != from_result
        )


def test_a_published_month_is_read_without_its_whole_document_until_a_breakdown_is(app, make_user):
    """A GET of a published month reads the snapshot's summary; the whole document (every breakdown: tens
    of megabytes on a large month) is read only when a breakdown is, and then gives the document exactly
    as published."""

    inspector = make_user("inspector", username="insp", level="district")
    office = make_user("office", username="office")
    build(app, inspector_id=inspector.id)
    with app.app_context():
        services.publish(MONTH, office.id, now=AFTER, tz_name=TZ_NAME)
        db.session.commit()
        stored = db.session.scalar(select(RankingSnapshot.document))
        db.session.remove()
        with recorded_statements(app) as seen:

            def reads():
                return [s for s in seen if "ranking_snapshot" in s and "ranking_snapshot.document" in s]

            document = services.ranking(MONTH, now=AFTER, tz_name=TZ_NAME)
            assert document["source"] == "published" and document["published"]["differs"] is False
            assert [c["code"] for c in document["communities"]] and reads() == []
            assert len(document["breakdowns"]) == len(document["communities"]) and reads() == []
            first = document["communities"][0]["code"]
            assert document["breakdowns"][first]["deductions"] is not None and len(reads()) == 1
            frozen = services.standing(MONTH, now=AFTER, tz_name=TZ_NAME)
            assert doc_module.canonical(frozen) == stored
