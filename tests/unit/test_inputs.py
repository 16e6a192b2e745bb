"""Reading numbers and positions from forms and JSON: finite, in range, ASCII, never a boolean."""

from __future__ import annotations

import pytest

from fieldcheck.errors import Invalid
from fieldcheck.inputs import parse_number, parse_position, parse_whole_number


@pytest.mark.parametrize(
    "raw",
    [
        "1e999",
        "-1e999",
        "nan",
        "NaN",
        "inf",
        "１２",
        "٣٤",
        "12abc",
        "0x1A",
        True,
        float("inf"),
        float("nan"),
        10**400,
        [],
        {},
        "1_000",
    ],
)
def test_numbers_that_are_not_finite_ascii_numbers_are_refused(raw) -> None:
    with pytest.raises(Invalid) as exc:
        parse_number(raw, "accuracy_m", 0, 1e300)
    assert exc.value.code == "invalid_accuracy_m"


@pytest.mark.parametrize(
    ("raw", "value"),
    [("12", 12.0), (" 1.5 ", 1.5), ("1e2", 100.0), (7, 7.0), (2.5, 2.5), ("", None), (None, None)],
)
def test_numbers_within_range_are_read(raw, value) -> None:
    assert parse_number(raw, "accuracy_m", 0, 1000) == value


@pytest.mark.parametrize("raw", ["1e999", "1.5", "9" * 400, "-1", "٣", "²", True, 1.0, 2**31, [1]])
def test_whole_numbers_are_ascii_integers_in_range(raw) -> None:
    with pytest.raises(Invalid) as exc:
        parse_whole_number(raw, "version", 0, 2**31 - 1)
    assert exc.value.code == "invalid_version"


def test_a_whole_number_is_read_from_text_or_json() -> None:
    assert parse_whole_number(" 42 ", "page", 1, 100) == parse_whole_number(42, "page", 1, 100) == 42
    assert parse_whole_number("", "page", 1, 100) is None


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        ("91", "112", "invalid_lat"),
        ("34", "-180.5", "invalid_lon"),
        ("nan", "1", "invalid_lat"),
        ("34", None, "invalid_location"),
        (None, "112", "invalid_location"),
        ("1e999", "1", "invalid_lat"),
    ],
)
def test_one_position_rule_with_the_documented_codes(lat, lon, code) -> None:
    with pytest.raises(Invalid) as exc:
        parse_position(lat, lon)
    assert exc.value.code == code
    with pytest.raises(Invalid) as exc:
        parse_position(lat, lon, code="invalid_location")
    assert exc.value.code == "invalid_location"


def test_a_position_or_none() -> None:
    assert parse_position("34.655", 112.405) == (34.655, 112.405)
    assert parse_position("", None) is None
    with pytest.raises(Invalid):
        parse_position(None, None, required=True)
