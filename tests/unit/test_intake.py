"""Validating what a phone sends, before anything is stored."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldcheck.errors import Invalid
from fieldcheck.geo import distance_m
from fieldcheck.reports.intake import parse_submission, review_flags

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CID = "3f2b8c1e-5d4a-4c1b-9e7f-0a1b2c3d4e5f"


def form(**overrides):
    base = {"client_id": CID, "item_code": "env-02", "lat": "34.655", "lon": "112.405", "accuracy_m": "12"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_good_submission():
    sub = parse_submission(form(), NOW)
    assert sub.item_code == "ENV-02"
    assert (sub.lat, sub.lon, sub.accuracy_m) == (34.655, 112.405, 12.0)
    assert sub.location_source == "device"
    assert sub.instances == 1
    assert sub.observed_at is None


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"client_id": "not-a-uuid"}, "invalid_client_id"),
        ({"client_id": ""}, "invalid_client_id"),
        ({"client_id": CID + "0"}, "invalid_client_id"),
        ({"item_code": ""}, "invalid_item_code"),
        ({"lat": "north"}, "invalid_lat"),
        ({"lat": "91"}, "invalid_lat"),
        ({"lon": "-180.5"}, "invalid_lon"),
        ({"lat": "nan"}, "invalid_lat"),
        ({"lon": "inf"}, "invalid_lon"),
        ({"lon": None}, "invalid_location"),
        ({"instances": "0"}, "invalid_instances"),
        ({"instances": "-1"}, "invalid_instances"),
        ({"instances": "2.5"}, "invalid_instances"),
        ({"instances": "1000"}, "invalid_instances"),
        ({"location_source": "gps"}, "invalid_location_source"),
        ({"observed_at": "yesterday"}, "invalid_observed_at"),
        ({"observed_at": "2026-11-27T09:00:00"}, "invalid_observed_at"),
        ({"observed_at": "2026-11-28T09:00:00+08:00"}, "invalid_observed_at"),
        ({"note": "x" * 2001}, "invalid_note"),
    ],
)
def test_bad_fields_are_refused_with_their_code(overrides, code):
    with pytest.raises(Invalid) as exc:
        parse_submission(form(**overrides), NOW)
    assert exc.value.code == code
    assert exc.value.message


def test_observed_at_is_kept_in_utc():
    sub = parse_submission(form(observed_at="2026-11-27T08:30:00+08:00"), NOW)
    assert sub.observed_at == datetime(2026, 11, 27, 0, 30, tzinfo=UTC)


def test_content_hash_changes_with_content_but_not_with_case_of_the_code():
    a = parse_submission(form(), NOW)
    assert a.content_hash() == parse_submission(form(item_code="ENV-02"), NOW).content_hash()
    assert a.content_hash() != parse_submission(form(instances="2"), NOW).content_hash()
    assert a.content_hash() != parse_submission(form(note="x"), NOW).content_hash()


def test_without_position_the_source_is_left_to_the_service():
    sub = parse_submission(form(lat=None, lon=None, community="c001"), NOW)
    assert sub.location_source is None
    assert sub.community_code == "C001"


def test_visit_needs_no_item():
    sub = parse_submission(form(item_code=None), NOW, with_item=False)
    assert sub.item_code is None


def flags(**kw):
    args = {
        "device": (34.655, 112.405),
        "exif": None,
        "taken_at": None,
        "observed_at": NOW,
        "manual": False,
        "assigned": True,
        "distance_m": distance_m,
    }
    args.update(kw)
    return review_flags(**args)


def test_exif_far_from_device_is_flagged_beyond_200_m():
    assert flags(exif=(34.655 + 0.0017, 112.405)) == []  # about 190 m
    assert flags(exif=(34.655 + 0.0019, 112.405)) == ["exif_far"]  # about 211 m


def test_photo_older_than_a_day_is_flagged():
    assert flags(taken_at=NOW - timedelta(hours=23)) == []
    assert flags(taken_at=NOW - timedelta(hours=25)) == ["photo_old"]


def test_manual_and_unassigned_are_flagged():
    assert flags(device=None, manual=True) == ["manual_location"]
    assert flags(assigned=False) == ["outside_boundaries"]


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "observed_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+00:00"]
)
def test_observed_at_at_the_edges_of_the_calendar_is_refused_not_a_crash(observed_at):
    with pytest.raises(Invalid) as exc:
        parse_submission(form(observed_at=observed_at), NOW, tz=SHANGHAI)
    assert exc.value.code == "invalid_observed_at"


def test_observed_at_may_lie_in_the_previous_local_month_but_no_earlier():
    # NOW is 2026-11-27 17:00 in Shanghai: October (local) is the earliest month a filing may name.
    sub = parse_submission(form(observed_at="2026-10-01T00:00:00+08:00"), NOW, tz=SHANGHAI)
    assert sub.observed_at == datetime(2026, 9, 30, 16, tzinfo=UTC)
    with pytest.raises(Invalid) as exc:
        parse_submission(form(observed_at="2026-09-30T23:59:59+08:00"), NOW, tz=SHANGHAI)
    assert exc.value.code == "invalid_observed_at"
    assert "2026-10-01" in exc.value.message and "previous one" in exc.value.message


def test_a_report_received_long_after_it_was_observed_is_flagged_late():
    observed = NOW - timedelta(hours=48)
    assert flags(observed_at=observed, received_at=NOW) == []
    assert flags(observed_at=observed - timedelta(seconds=1), received_at=NOW) == ["late_filing"]
    assert flags(observed_at=NOW - timedelta(hours=3), received_at=NOW, late_after=timedelta(hours=2)) == [
        "late_filing"
    ]
