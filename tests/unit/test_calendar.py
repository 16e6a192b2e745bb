"""Working days across the 2026 holidays, deadlines, local months and calendar-file validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldcheck.calendar import WorkCalendar, due_at, end_of_local_day, local_month, month_bounds
from fieldcheck.calendar.files import CalendarError, bundled_calendar_paths, parse_calendar
from fieldcheck.checklist.spec import Deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR_2026_PATH = next(p for p in bundled_calendar_paths() if p.name == "calendar-2026.yaml")
FILE_2026 = parse_calendar(CALENDAR_2026_PATH.read_bytes())
CAL = WorkCalendar.from_files([FILE_2026])

S0, S1 = Deadline("hours", 2), Deadline("hours", 24)
S2, S3, S4 = Deadline("working_days", 3), Deadline("working_days", 7), Deadline("plan")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    """23:59:59.999999 local on that day, in UTC."""
    return datetime(year, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI).astimezone(UTC)


# -- the 2026 calendar file ----------------------------------------------------------------------------


def test_2026_file() -> None:
    assert FILE_2026.year == 2026
    assert "国务院办公厅关于2026年部分节假日安排的通知" in FILE_2026.source
    assert len(FILE_2026.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert dict(FILE_2026.holidays)[date(2026, 2, 17)] == "春节"
    assert FILE_2026.workdays == (
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    )
    assert CAL.loaded_years == frozenset({2026})
    assert CAL.is_loaded(2026) and not CAL.is_loaded(2027)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # 元旦, Thursday
        (date(2026, 1, 2), False),  # 元旦, Friday
        (date(2026, 1, 3), False),  # 元旦, Saturday
        (date(2026, 1, 4), True),  # make-up Sunday
        (date(2026, 1, 5), True),  # ordinary Monday
        (date(2026, 1, 10), False),  # ordinary Saturday
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # make-up Saturday
        (date(2026, 2, 16), False),  # 春节, Monday
        (date(2026, 2, 23), False),  # 春节, last day, Monday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # make-up Saturday
        (date(2026, 4, 6), False),  # 清明, Monday
        (date(2026, 5, 5), False),  # 劳动节, Tuesday
        (date(2026, 5, 9), True),  # make-up Saturday
        (date(2026, 6, 19), False),  # 端午, Friday
        (date(2026, 9, 20), True),  # make-up Sunday
        (date(2026, 9, 25), False),  # 中秋, Friday
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # make-up Saturday
        (date(2026, 10, 11), False),  # ordinary Sunday
    ],
)
def test_is_working_day_2026(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_unloaded_year_counts_weekends_only() -> None:
    assert CAL.is_working_day(date(2027, 1, 1))  # a Friday; 2027 is not loaded
    assert not CAL.is_working_day(date(2027, 1, 2))
    assert WorkCalendar().is_working_day(date(2026, 10, 1))


def test_holiday_and_workday_on_the_same_day_is_refused() -> None:
    with pytest.raises(ValueError, match="both a holiday and a make-up working day"):
        WorkCalendar(holidays=frozenset({date(2026, 1, 4)}), workdays=frozenset({date(2026, 1, 4)}))


def test_year_loaded_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="2026 is given twice"):
        WorkCalendar.from_files([FILE_2026, FILE_2026])


# -- working-day deadlines -----------------------------------------------------------------------------


def test_s2_across_national_day() -> None:
    # 10-01..10-07 holiday; 10-08 Thu (1), 10-09 Fri (2), 10-10 make-up Sat (3).
    for hour in (0, 9, 23):
        assert due_at(S2, local(2026, 9, 30, hour, 30), CAL, SHANGHAI) == end_of(2026, 10, 10)


def test_s2_dispatched_during_the_holiday_counts_from_the_next_day() -> None:
    assert due_at(S2, local(2026, 10, 3, 15), CAL, SHANGHAI) == end_of(2026, 10, 10)
    assert due_at(S2, local(2026, 10, 7, 23, 59), CAL, SHANGHAI) == end_of(2026, 10, 10)
    assert due_at(S2, local(2026, 10, 8, 0, 0), CAL, SHANGHAI) == end_of(2026, 10, 12)


def test_s2_across_the_make_up_saturday_and_spring_festival() -> None:
    # 02-13 Fri (1), 02-14 make-up Sat (2), 02-15..23 holiday, 02-24 Tue (3).
    assert due_at(S2, local(2026, 2, 12, 15), CAL, SHANGHAI) == end_of(2026, 2, 24)
    # Dispatched on the make-up Saturday itself: 02-24 (1), 02-25 (2), 02-26 (3).
    assert due_at(S2, local(2026, 2, 14, 10), CAL, SHANGHAI) == end_of(2026, 2, 26)


def test_s3_across_the_make_up_sunday_after_new_year() -> None:
    # Dispatched 2025-12-31: 01-01..03 holiday, 01-04 make-up Sun (1), 01-05..09 (2..6), 01-12 Mon (7).
    assert due_at(S3, local(2025, 12, 31, 16), CAL, SHANGHAI) == end_of(2026, 1, 12)


def test_the_local_day_of_dispatch_decides_not_the_utc_day() -> None:
    thursday_late = local(2026, 3, 5, 23, 30)  # 15:30 UTC, still Thursday in UTC too
    friday_early = local(2026, 3, 6, 0, 30)  # 16:30 UTC on Thursday
    assert friday_early.astimezone(UTC).day == 5
    assert due_at(S2, thursday_late, CAL, SHANGHAI) == end_of(2026, 3, 10)  # Fri, Mon, Tue
    assert due_at(S2, friday_early, CAL, SHANGHAI) == end_of(2026, 3, 11)  # Mon, Tue, Wed


def test_due_is_aware_utc_and_shows_as_the_local_date() -> None:
    due = due_at(S2, local(2026, 9, 30, 10), CAL, SHANGHAI)
    assert due.tzinfo is UTC
    assert due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == "2026-10-10 23:59"


def test_add_working_days_needs_at_least_one_day() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CAL.add_working_days(local(2026, 3, 5, 9), 0, SHANGHAI)


# -- clock-hour deadlines ------------------------------------------------------------------------------


def test_s0_two_hours_across_midnight_on_a_holiday() -> None:
    due = due_at(S0, local(2026, 1, 1, 23, 15), CAL, SHANGHAI)
    assert due == local(2026, 1, 2, 1, 15)
    assert due.tzinfo is UTC


def test_s1_twenty_four_clock_hours_ignore_holidays() -> None:
    assert due_at(S1, local(2026, 9, 30, 12), CAL, SHANGHAI) == local(2026, 10, 1, 12)
    assert due_at(S1, local(2026, 2, 14, 23, 30), CAL, SHANGHAI) == local(2026, 2, 15, 23, 30)


# -- planned deadlines ---------------------------------------------------------------------------------


def test_s4_plan_date() -> None:
    dispatched = local(2026, 3, 5, 9)
    assert due_at(S4, dispatched, CAL, SHANGHAI) is None
    assert due_at(S4, dispatched, CAL, SHANGHAI, plan_date=date(2026, 6, 30)) == end_of(2026, 6, 30)
    assert end_of_local_day(date(2026, 6, 30), SHANGHAI) == datetime(2026, 6, 30, 15, 59, 59, 999999, UTC)


def test_naive_dispatch_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(S2, datetime(2026, 3, 5, 9), CAL, SHANGHAI)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_month(datetime(2026, 3, 5, 9), SHANGHAI)


# -- months --------------------------------------------------------------------------------------------


def test_month_bounds_in_shanghai() -> None:
    start, end = month_bounds("2026-09", SHANGHAI)
    assert start == datetime(2026, 8, 31, 16, tzinfo=UTC)
    assert end == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert month_bounds("2026-12", SHANGHAI)[1] == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_late_and_early_reports_fall_in_the_local_month() -> None:
    late = local(2026, 9, 30, 23, 30)
    early = local(2026, 10, 1, 0, 30)
    assert early.astimezone(UTC).month == 9  # still September in UTC
    assert local_month(late, SHANGHAI) == "2026-09"
    assert local_month(early, SHANGHAI) == "2026-10"
    start, end = month_bounds("2026-09", SHANGHAI)
    assert start <= late < end
    assert not start <= early < end
    assert month_bounds("2026-10", SHANGHAI)[0] <= early


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "2026/09", "", None])
def test_month_bounds_rejects_bad_months(bad) -> None:
    with pytest.raises(ValueError, match="month must look like 2026-01"):
        month_bounds(bad, SHANGHAI)


# -- calendar-file validation --------------------------------------------------------------------------


def calendar_problems(text: str) -> list[str]:
    with pytest.raises(CalendarError) as info:
        parse_calendar(text)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return info.value.messages


def test_json_calendar_file() -> None:
    parsed = parse_calendar(
        '{"year": 2026, "source": "test", "holidays": [{"name": "元旦", "from": "2026-01-01"}],'
        ' "workdays": ["2026-01-04"]}'
    )
    assert parsed.holidays == ((date(2026, 1, 1), "元旦"),)
    assert parsed.workdays == (date(2026, 1, 4),)


def test_calendar_date_outside_the_year() -> None:
    assert calendar_problems(
        "year: 2026\nsource: x\nholidays: [{name: 元旦, from: 2025-12-31, to: 2026-01-01}]\n"
        "workdays: [2027-01-02]\n"
    ) == ["holiday 元旦: 2025-12-31 is outside 2026", "workdays: 2027-01-02 is outside 2026"]


def test_calendar_workday_that_is_not_a_weekend() -> None:
    assert calendar_problems("year: 2026\nsource: x\nworkdays: [2026-01-05]\n") == [
        "workday 2026-01-05: is a Monday, not a weekend day; make-up working days are Saturdays or Sundays"
    ]


def test_calendar_holiday_on_a_make_up_day() -> None:
    assert calendar_problems(
        "year: 2026\nsource: x\nholidays: [{name: 元旦, from: 2026-01-01, to: 2026-01-04}]\n"
        "workdays: [2026-01-04]\n"
    ) == ["workday 2026-01-04: is also a holiday (元旦)"]


def test_calendar_from_after_to() -> None:
    assert calendar_problems(
        "year: 2026\nsource: x\nholidays: [{name: 国庆节, from: 2026-10-07, to: 2026-10-01}]\n"
    ) == ["holiday 国庆节: from 2026-10-07 is after to 2026-10-01"]


def test_calendar_bad_dates() -> None:
    problems = calendar_problems(
        '{"year": 2026, "source": "x", "holidays": [{"name": "春节", "from": "2026-02-30", "to": "2026-02-23"},'
        ' {"name": "清明节", "from": "April 4"}], "workdays": ["2026-02-31", 14]}'
    )
    assert problems == [
        "holiday 春节: from must be a date like 2026-01-01, not '2026-02-30'",
        "holiday 清明节: from must be a date like 2026-01-01, not 'April 4'",
        "workday: not a date like 2026-01-04: '2026-02-31'",
        "workday: not a date like 2026-01-04: 14",
    ]


def test_calendar_impossible_yaml_date_names_the_line() -> None:
    assert calendar_problems("year: 2026\nsource: x\nworkdays: [2026-02-14, 2026-02-30]\n") == [
        'not valid YAML or JSON (line 3, column 24): "2026-02-30" is not a valid date '
        "(day is out of range for month)"
    ]


def test_calendar_overlapping_holidays_and_missing_fields() -> None:
    problems = calendar_problems(
        "holidays:\n"
        "  - {name: 中秋节, from: 2026-09-25, to: 2026-09-27}\n"
        "  - {name: 国庆节, from: 2026-09-27, to: 2026-10-07, days: 11}\n"
        "  - {from: 2026-12-31}\n"
    )
    assert problems == [
        "missing year",
        "missing source (the notice the dates come from)",
        # In file order: the holiday's own problem where it starts, then its unknown key further along.
        "holiday 国庆节: 2026-09-27 is already a holiday (中秋节)",
        'holiday 国庆节: unknown key "days" (allowed: name, from, to)',
        "holiday 3: missing name",
    ]


def test_calendar_problems_name_their_line() -> None:
    with pytest.raises(CalendarError) as info:
        parse_calendar(
            "year: 2026\nsource: x\nholidays:\n  - {name: 元旦, from: 2026-01-01}\n  - {from: 2026-02-15}\n"
        )
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (5, "holidays[1].name")
    assert str(problem) == "line 5: holiday 2: missing name"


def test_calendar_not_a_mapping() -> None:
    assert calendar_problems("[2026]") == [
        "the calendar must be a mapping with year, source, holidays and workdays"
    ]


# -- properties ----------------------------------------------------------------------------------------

START = datetime(2025, 12, 1, tzinfo=UTC)


@given(
    offset_minutes=st.integers(min_value=0, max_value=60 * 24 * 420),
    n=st.integers(min_value=1, max_value=25),
)
def test_add_working_days_lands_on_a_later_working_day(offset_minutes: int, n: int) -> None:
    start = START + timedelta(minutes=offset_minutes)
    due = CAL.add_working_days(start, n, SHANGHAI)
    assert due > start
    assert due.tzinfo is UTC
    due_day = due.astimezone(SHANGHAI).date()
    assert CAL.is_working_day(due_day)
    # Exactly n working days after the local day of dispatch, that day excluded.
    start_day = start.astimezone(SHANGHAI).date()
    counted = sum(
        CAL.is_working_day(start_day + timedelta(days=k)) for k in range(1, (due_day - start_day).days + 1)
    )
    assert counted == n
    assert due == end_of_local_day(due_day, SHANGHAI)


def test_local_text_is_the_one_format_of_times() -> None:
    from fieldcheck.calendar import local_text

    moment = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
    assert local_text(moment, SHANGHAI) == "2026-11-27 09:30"
    assert local_text(moment, SHANGHAI, year=False) == "11-27 09:30"
    assert local_text(moment.isoformat(), SHANGHAI) == "2026-11-27 09:30"
    assert local_text(None, SHANGHAI) == local_text("", SHANGHAI) == ""
    with pytest.raises(ValueError):
        local_text(datetime(2026, 11, 27, 1, 30), SHANGHAI)
