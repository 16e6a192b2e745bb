"""Document numbers and dates (fieldcheck.documents.formal): the pattern has {n} exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from fieldcheck.documents import formal


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("涧文明办〔{year}〕{n}号", "涧文明办〔2026〕3号"),
        ("涧文明办〔2026〕{n}号", "涧文明办〔2026〕3号"),
        ("  {n}  ", "3"),
        ("{year}-{n}-{year}", "2026-3-2026"),
    ],
)
def test_a_pattern_numbers_with_the_serial_and_the_year(pattern, expected):
    assert formal.number(pattern, 3, 2026) == expected


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("涧文明办〔2026〕号", formal.ONE_N),
        ("{n}{n}", formal.ONE_N),
        ("{N}", formal.ONE_N),
        ("{n}{month}", formal.UNKNOWN),
        ("{n}}", formal.UNKNOWN),
        ("{{n}", formal.UNKNOWN),
        ("", formal.TOO_LONG),
        ("a\tb{n}", formal.TOO_LONG),
        ("x" * 60 + "{n}", formal.TOO_LONG),
    ],
)
def test_a_pattern_without_exactly_one_n_or_with_another_placeholder_is_refused(pattern, problem):
    with pytest.raises(formal.PatternError) as caught:
        formal.check_pattern(pattern)
    assert str(caught.value) == problem


def test_the_issuing_body_is_one_line_of_at_most_100_characters():
    assert formal.check_issuer(" 涧西区文明办 ") == "涧西区文明办" and formal.check_issuer("") == ""
    for bad in ("办" * 101, "一\n二"):
        with pytest.raises(formal.PatternError):
            formal.check_issuer(bad)


def test_dates_are_the_citys_local_day_written_as_documents_write_them():
    moment = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    day = formal.local_day(moment, ZoneInfo("Asia/Shanghai"))
    assert day == date(2027, 1, 1) and formal.chinese_date(day) == "2027年1月1日"
    with pytest.raises(ValueError):
        formal.local_day(datetime(2026, 1, 1), ZoneInfo("Asia/Shanghai"))
