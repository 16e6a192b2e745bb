"""The checklist file: the default parses, each kind of mistake gets a message naming its place."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
import yaml

from fieldcheck.checklist.files import ChecklistError, parse_checklist
from fieldcheck.checklist.spec import (
    DEFAULT_CHECKLIST_PATH,
    SPOT_TYPES,
    Checklist,
    Deadline,
    checklist_to_dict,
    find_category,
    find_item,
    parse_deadline,
)


@pytest.fixture(scope="module")
def default() -> Checklist:
    return parse_checklist(DEFAULT_CHECKLIST_PATH.read_bytes())


@pytest.fixture
def data(default: Checklist) -> dict:
    """A valid checklist as plain data, to break in one place per test."""
    return copy.deepcopy(checklist_to_dict(default))


def problems_of(data: dict, **kwargs) -> list[str]:
    with pytest.raises(ChecklistError) as info:
        parse_checklist(json.dumps(data, ensure_ascii=False), **kwargs)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return info.value.messages


def item(data: dict, code: str) -> dict:
    return next(i for c in data["categories"] for i in c["items"] if i["code"] == code)


def category(data: dict, code: str) -> dict:
    return next(c for c in data["categories"] if c["code"] == code)


# -- the default checklist -----------------------------------------------------------------------------


def test_default_checklist_parses(default: Checklist) -> None:
    assert default.label == "default-2026"
    assert default.effective_month == "2026-01"
    assert default.field_total == 70 and default.rectification_total == 30
    assert default.rectification.total == default.rectification_total
    assert default.found_by == {
        "third_party": Decimal("1.5"),
        "city": Decimal("1.5"),
        "district": Decimal("1"),
        "subdistrict": Decimal("0.5"),
    }
    assert (default.repeat.window_days, default.repeat.radius_m, default.repeat.multiplier) == (30, 50, 2)
    assert (default.red_list_size, default.black_list_size, default.black_list_below) == (3, 3, 85)
    assert default.severity_deadlines == {
        "S0": Deadline("hours", 2),
        "S1": Deadline("hours", 24),
        "S2": Deadline("working_days", 3),
        "S3": Deadline("working_days", 7),
        "S4": Deadline("plan", None),
    }


def test_default_checklist_has_every_category_and_about_45_items(default: Checklist) -> None:
    codes = [c.code for c in default.categories]
    assert codes == ["ENV", "ORD", "PRK", "TRF", "FAC", "PUB", "CIV", "MKT", "WC"]
    assert default.weight_total == 100
    assert 43 <= len(default.items) <= 55
    for cat in default.categories:
        for it in cat.items:
            assert it.code.startswith(cat.code + "-")
            assert it.name_zh and it.name_en
            assert set(it.spot_types) <= set(SPOT_TYPES)
    # The mission's four concerns: sanitation, parking, stairwell hygiene, traffic behaviour.
    assert {"ENV", "PRK", "TRF"} <= set(codes)
    stairwell = [it for it in default.items if "楼道" in it.name_zh and it.code.startswith("ENV")]
    assert stairwell and all("stairwell" in it.name_en.lower() for it in stairwell)
    assert find_item(default, "ENV-02").name_zh.startswith("楼道卫生")
    # Only categories limited to a spot type carry applies_only_to.
    assert category_of(default, "MKT").applies_only_to == ("MKT",)
    assert category_of(default, "WC").applies_only_to == ("WC",)
    assert category_of(default, "ENV").applies_only_to == ()
    # Every spot type has something to check.
    assert {spot for it in default.items for spot in it.spot_types} == set(SPOT_TYPES)


def category_of(checklist: Checklist, code: str):
    return next(c for c in checklist.categories if c.code == code)


def test_find_item_and_category(default: Checklist) -> None:
    assert find_item(default, "PRK-01").severity == "S1"
    assert find_item(default, "NOPE-01") is None
    assert find_category(default, "WC-04").code == "WC"
    assert find_category(default, "NOPE-01") is None


def test_category_spot_types(default: Checklist) -> None:
    assert category_of(default, "TRF").spot_types == ("ROAD", "XING")
    assert category_of(default, "MKT").spot_types == ("MKT",)


# -- round trip ----------------------------------------------------------------------------------------


def test_dict_round_trip_through_json_and_yaml(default: Checklist) -> None:
    as_dict = checklist_to_dict(default)
    text = json.dumps(as_dict, ensure_ascii=False)  # JSON-serialisable as is
    assert parse_checklist(text) == default
    assert parse_checklist(yaml.safe_dump(as_dict, allow_unicode=True)) == default
    assert checklist_to_dict(parse_checklist(text)) == as_dict
    assert as_dict["categories"][0]["items"][0]["points"] == "0.50"
    assert as_dict["severity_deadlines"]["S2"] == "3wd"


def test_text_and_bytes_are_both_accepted(default: Checklist) -> None:
    raw = DEFAULT_CHECKLIST_PATH.read_bytes()
    assert parse_checklist(raw.decode("utf-8")) == default
    assert parse_checklist(b"\xef\xbb\xbf" + raw) == default  # a BOM from Windows editors


def test_numbers_may_be_text_with_two_decimals(data: dict) -> None:
    item(data, "ENV-01")["points"] = "0.25"
    item(data, "ENV-01")["cap"] = 4
    parsed = parse_checklist(json.dumps(data))
    assert find_item(parsed, "ENV-01").points == Decimal("0.25")
    assert find_item(parsed, "ENV-01").cap == Decimal("4.00")


# -- the effective month -------------------------------------------------------------------------------


def test_effective_month_argument_takes_precedence(data: dict) -> None:
    assert parse_checklist(json.dumps(data), effective_month="2026-07").effective_month == "2026-07"
    del data["effective_month"]
    assert parse_checklist(json.dumps(data), effective_month="2027-01").effective_month == "2027-01"


def test_missing_effective_month(data: dict) -> None:
    del data["effective_month"]
    assert problems_of(data) == ["missing effective_month (give it in the file or when loading)"]


@pytest.mark.parametrize("month", ["2026-1", "2026-13", "2026/01", "26-01", "2026-01-01", 202601])
def test_bad_month(data: dict, month) -> None:
    data["effective_month"] = month
    (problem,) = problems_of(data)
    assert problem.startswith("effective_month must look like 2026-01")


def test_bad_month_argument(data: dict) -> None:
    (problem,) = problems_of(data, effective_month="January")
    assert problem.startswith("effective_month must look like 2026-01")


def test_yaml_date_is_not_a_month(default: Checklist) -> None:
    text = DEFAULT_CHECKLIST_PATH.read_text(encoding="utf-8").replace(
        'effective_month: "2026-01"', "effective_month: 2026-01-01"
    )
    with pytest.raises(ChecklistError, match="effective_month must look like 2026-01"):
        parse_checklist(text)


# -- each kind of mistake ------------------------------------------------------------------------------


def test_unknown_spot_type(data: dict) -> None:
    item(data, "ENV-02")["spot_types"] = ["RES", "XYZ"]
    (problem,) = problems_of(data)
    assert problem.startswith('item ENV-02: unknown spot type "XYZ"')


def test_unknown_spot_type_in_applies_only_to(data: dict) -> None:
    category(data, "MKT")["applies_only_to"] = ["MARKET"]
    assert any(p.startswith('category MKT: unknown spot type "MARKET"') for p in problems_of(data))


def test_item_spot_type_outside_category_applies_only_to(data: dict) -> None:
    item(data, "WC-01")["spot_types"] = ["WC", "MKT"]
    assert problems_of(data) == ["item WC-01: spot type MKT is outside its category's applies_only_to (WC)"]


def test_empty_spot_types(data: dict) -> None:
    item(data, "ENV-02")["spot_types"] = []
    assert problems_of(data) == ["item ENV-02: spot_types must list at least one spot type"]


def test_negative_points_and_cap(data: dict) -> None:
    item(data, "ENV-02")["points"] = -0.5
    item(data, "ENV-03")["cap"] = "-1"
    assert problems_of(data) == [
        "item ENV-02: points must not be negative",
        "item ENV-03: cap must not be negative",
    ]


def test_three_decimals(data: dict) -> None:
    item(data, "ENV-02")["points"] = 0.125
    assert problems_of(data) == ["item ENV-02: points must have at most two decimals (0.125)"]


def test_not_a_number(data: dict) -> None:
    item(data, "ENV-02")["points"] = "half"
    item(data, "ENV-03")["cap"] = True
    assert problems_of(data) == [
        "item ENV-02: points must be a number, not 'half'",
        "item ENV-03: cap must be a number, not True",
    ]


def test_duplicate_item_code(data: dict) -> None:
    item(data, "ENV-03")["code"] = "ENV-02"
    assert problems_of(data) == ["duplicate item code ENV-02"]


def test_duplicate_item_code_across_categories(data: dict) -> None:
    item(data, "WC-01")["code"] = "ENV-02"
    assert "duplicate item code ENV-02" in problems_of(data)


def test_duplicate_category_code(data: dict) -> None:
    category(data, "WC")["code"] = "MKT"
    assert "duplicate category code MKT" in problems_of(data)


def test_missing_severity(data: dict) -> None:
    del item(data, "ENV-07")["severity"]
    assert problems_of(data) == ["item ENV-07: missing severity"]


def test_unknown_severity(data: dict) -> None:
    item(data, "ENV-07")["severity"] = "S5"
    assert problems_of(data) == ['item ENV-07: unknown severity "S5" (use S0 to S4)']


def test_missing_names(data: dict) -> None:
    del item(data, "ENV-02")["name_zh"]
    item(data, "ENV-03")["name_en"] = "  "
    del category(data, "ORD")["name_en"]
    assert problems_of(data) == [
        "item ENV-02: missing name_zh",
        "item ENV-03: missing name_en",
        "category ORD: missing name_en",
    ]


def test_category_weight_missing_zero_or_negative(data: dict) -> None:
    del category(data, "ENV")["weight"]
    category(data, "ORD")["weight"] = 0
    category(data, "PRK")["weight"] = -3
    assert problems_of(data) == [
        "category ENV: missing weight",
        "category ORD: weight must be greater than 0",
        "category PRK: weight must not be negative",
    ]


def test_bad_codes(data: dict) -> None:
    item(data, "ENV-02")["code"] = "env2"
    category(data, "ORD")["code"] = "order!"
    del item(data, "PRK-01")["code"]
    problems = problems_of(data)
    assert (
        'category ENV, item 2: code "env2" must look like ENV-02 (capital letters, a hyphen, digits)'
        in problems
    )
    assert 'category 2: code "order!" must be capital letters and digits, like ENV' in problems
    assert "category PRK, item 1: missing code" in problems


def test_empty_category(data: dict) -> None:
    category(data, "WC")["items"] = []
    assert problems_of(data) == ["category WC: items must be a non-empty list"]


def test_unknown_key_catches_typos(data: dict) -> None:
    item(data, "ENV-02")["sev"] = "S1"
    data["scoring"]["fieldtotal"] = 70
    problems = problems_of(data)
    assert problems[0].startswith('scoring: unknown key "fieldtotal"')
    assert problems[1].startswith('item ENV-02: unknown key "sev"')


@pytest.mark.parametrize("bad", ["3d", "0h", "2 hours", "", 24, "wd"])
def test_bad_deadline(data: dict, bad) -> None:
    data["severity_deadlines"]["S2"] = bad
    (problem,) = problems_of(data)
    assert problem.startswith("severity_deadlines: S2: deadline must look like 2h, 3wd or plan")


def test_missing_deadline(data: dict) -> None:
    del data["severity_deadlines"]["S4"]
    assert problems_of(data) == ["severity_deadlines: missing S4"]


def test_parse_deadline() -> None:
    assert parse_deadline("2h") == Deadline("hours", 2)
    assert parse_deadline("7wd") == Deadline("working_days", 7)
    assert parse_deadline("plan") == Deadline("plan", None)
    assert str(parse_deadline("24h")) == "24h"
    with pytest.raises(ValueError, match="2h, 3wd or plan"):
        parse_deadline("tomorrow")


def test_scoring_rules(data: dict) -> None:
    data["scoring"]["rectification"]["rework"] = 4
    data["scoring"]["found_by"]["city"] = 0
    del data["scoring"]["found_by"]["district"]
    data["scoring"]["repeat"]["window_days"] = 0
    data["scoring"]["black_list_below"] = 101
    data["scoring"]["red_list_size"] = 2.5
    assert problems_of(data) == [
        "scoring.rectification: on_time + closure + rework is 29.00, but rectification_total is 30.00",
        "scoring.found_by: missing district",  # in file order: where found_by starts
        "scoring.found_by: city must be greater than 0",
        "scoring.repeat: window_days must be at least 1",
        "scoring: red_list_size must be a whole number, not 2.5",
        "scoring: black_list_below (101.00) is above the highest possible score (100.00)",
    ]


def test_missing_sections() -> None:
    with pytest.raises(ChecklistError) as info:
        parse_checklist("label: x\neffective_month: '2026-01'\n")
    assert info.value.messages == ["missing scoring", "missing severity_deadlines", "missing categories"]
    assert {p.line for p in info.value.problems} == {1}  # a missing key is reported where its mapping is


def test_all_problems_are_reported_at_once(data: dict) -> None:
    item(data, "ENV-02")["spot_types"] = ["XYZ"]
    item(data, "ORD-01")["points"] = -1
    item(data, "PRK-02")["code"] = "PRK-01"
    del item(data, "TRF-01")["severity"]
    item(data, "FAC-01")["cap"] = "1.005"
    data["effective_month"] = "2026-1"
    data["severity_deadlines"]["S3"] = "7days"
    del category(data, "PUB")["weight"]
    with pytest.raises(ChecklistError) as info:
        parse_checklist(json.dumps(data))
    problems = info.value.messages
    assert len(problems) == 8
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]
    assert set(problems) >= {
        'item ENV-02: unknown spot type "XYZ" (use RES, ALY, ROAD, MKT, XING, WC, CEN, PARK)',
        "item ORD-01: points must not be negative",
        "duplicate item code PRK-01",
        "item TRF-01: missing severity",
        "item FAC-01: cap must have at most two decimals (1.005)",
        "category PUB: missing weight",
    }
    assert isinstance(info.value, ValueError)


# -- where each problem is ----------------------------------------------------------------------------


def test_yaml_problems_name_their_line_and_json_path() -> None:
    text = DEFAULT_CHECKLIST_PATH.read_text(encoding="utf-8")
    lines = text.splitlines()
    env02 = next(n for n, line in enumerate(lines, start=1) if "code: ENV-02" in line)
    broken = text.replace("code: ENV-02, ", "code: ENV-02, sev: S1, ", 1)
    with pytest.raises(ChecklistError) as info:
        parse_checklist(broken)
    (problem,) = info.value.problems
    assert problem.line == env02
    assert problem.path == "categories[0].items[1].sev"
    assert str(problem) == f'line {env02}: item ENV-02: unknown key "sev" (allowed: ' + (
        "code, name_zh, name_en, spot_types, severity, points, cap, std)"
    )


def test_problems_come_in_file_order(data: dict) -> None:
    item(data, "WC-01")["points"] = -1
    item(data, "ENV-02")["cap"] = -1
    data["scoring"]["red_list_size"] = -1
    text = json.dumps(data, ensure_ascii=False, indent=2)
    with pytest.raises(ChecklistError) as info:
        parse_checklist(text)
    lines = [p.line for p in info.value.problems]
    assert lines == sorted(lines) and None not in lines
    assert [p.message for p in info.value.problems] == [
        "scoring: red_list_size must be at least 0",
        "item ENV-02: cap must not be negative",
        "item WC-01: points must not be negative",
    ]


def test_one_line_json_problems_name_their_json_path(data: dict) -> None:
    item(data, "ENV-02")["points"] = "half"
    with pytest.raises(ChecklistError) as info:
        parse_checklist(json.dumps(data))
    (problem,) = info.value.problems
    assert str(problem) == "categories[0].items[1].points: item ENV-02: points must be a number, not 'half'"
    assert problem.as_dict()["path"] == "categories[0].items[1].points"


# -- text that is not a checklist ----------------------------------------------------------------------


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ChecklistError, match=r"not valid YAML or JSON \(line 2, column 1\): .*'\\t'"):
        parse_checklist("label: x\n\tcategories: []\n")


def test_aliases_are_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nlabel: *b\n"
    with pytest.raises(
        ChecklistError, match=r"not valid YAML or JSON \(line 2, column 8\): an alias \(\*a\)"
    ):
        parse_checklist(bomb)


def test_key_given_twice_is_refused() -> None:
    with pytest.raises(ChecklistError, match='key "label" is given twice'):
        parse_checklist("label: a\nlabel: b\n")


def test_not_a_mapping() -> None:
    with pytest.raises(ChecklistError, match="must be a mapping"):
        parse_checklist("- just\n- a list\n")


def test_not_utf8() -> None:
    with pytest.raises(ChecklistError, match="not UTF-8"):
        parse_checklist("label: 环境".encode("gb18030"))
