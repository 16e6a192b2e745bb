"""The one month type: what it accepts, its neighbours and its bounds in the city's time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fieldcheck.errors import Invalid
from fieldcheck.months import MAX_YEAR, MIN_YEAR, BadMonth, Month, month_text

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "bad",
    [
        "9999-12",
        "0000-01",
        "1999-12",
        "2101-01",  # years outside the app's range
        "2026-0²",
        "٢٠٢٦-١١",
        "２０２６-11",
        "2026-１1",  # digits that are not ASCII
        "2026-13",
        "2026-00",
        "2026-1",
        "26-01",
        "2026/01",
        "2026-01-01",
        " 2026-01",
        "2026-01\n",
        "+026-01",
        "",
        None,
        202601,
        ["2026-01"],
    ],
)
def test_only_ascii_months_in_the_years_the_app_serves_are_months(bad) -> None:
    with pytest.raises(BadMonth) as exc:
        Month.parse(bad)
    # One error for both worlds: a ValueError for pure callers, a 400 for the web layer.
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, Invalid)
    assert exc.value.status == 400 and exc.value.code == "bad_month"
    assert "2026-03" in exc.value.message


@pytest.mark.parametrize("text", ["2026-03", f"{MIN_YEAR}-01", f"{MAX_YEAR}-12"])
def test_a_month_reads_back_as_the_same_text(text) -> None:
    assert str(Month.parse(text)) == month_text(text) == text


def test_neighbours_cross_the_year() -> None:
    assert Month.parse("2026-01").previous() == Month(2025, 12)
    assert Month.parse("2026-12").next() == Month(2027, 1)
    assert Month(2026, 3) < Month(2026, 4) < Month(2027, 1)


def test_neighbours_beyond_the_range_are_bad_months() -> None:
    with pytest.raises(BadMonth):
        Month(MIN_YEAR, 1).previous()
    with pytest.raises(BadMonth):
        Month(MAX_YEAR, 12).next()


def test_bounds_are_local_midnights_in_utc() -> None:
    start, end = Month(2026, 12).bounds(SHANGHAI)
    assert start == datetime(2026, 11, 30, 16, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_the_month_of_a_moment_is_the_local_one() -> None:
    assert Month.of(datetime(2026, 10, 31, 16, 30, tzinfo=UTC), SHANGHAI) == Month(2026, 11)
    with pytest.raises(ValueError):
        Month.of(datetime(2026, 10, 31, 16, 30), SHANGHAI)
