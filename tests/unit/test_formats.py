"""One formatter per thing the pages say (fieldcheck/formats.py): checklist names, accuracy, time left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from fieldcheck import create_app
from fieldcheck.formats import accuracy_pattern, accuracy_text, display_name, time_left

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    return create_app(
        {"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{folder}/x.db", "BLOB_DIR": str(folder)}
    )


def said(app, locale: str, fn, *args, **kwargs):
    with app.test_request_context(), force_locale(locale):
        return fn(*args, **kwargs)


def test_item_names_come_from_the_checklist_in_the_current_language(app):
    row = SimpleNamespace(name_zh="楼道堆物", name_en="Stairwell clutter")
    deduction = {"item_code": "ENV-02", "item_name_zh": "楼道堆物"}  # a published document: Chinese only
    assert said(app, "zh_CN", display_name, row) == "楼道堆物"
    assert said(app, "en", display_name, row) == "Stairwell clutter"
    assert said(app, "en", display_name, {"name_zh": "环境卫生", "name_en": "Sanitation"}) == "Sanitation"
    assert said(app, "en", display_name, deduction) == "楼道堆物"  # no English name kept: the Chinese one
    assert said(app, "en", display_name, None) == ""


def test_accuracy_reads_like_the_capture_page_in_both_languages(app):
    assert said(app, "zh_CN", accuracy_text, 8.4) == "±8 米"
    assert said(app, "en", accuracy_text, 12.6) == "±13 m"
    # The capture page's script fills the same pattern.
    assert said(app, "zh_CN", accuracy_pattern) == "±{m} 米"


def test_time_left_and_overdue_read_the_same_everywhere(app):
    def report(due, status="dispatched"):
        return SimpleNamespace(due_at=due, status=status)

    assert said(app, "en", time_left, report(NOW + timedelta(days=2, hours=3)), NOW) == "2 d 3 h left"
    assert (
        said(app, "zh_CN", time_left, report(NOW + timedelta(hours=5, minutes=7)), NOW) == "还剩 5小时7分钟"
    )
    assert said(app, "en", time_left, report(NOW - timedelta(minutes=40)), NOW) == "overdue by 40 min"
    assert said(app, "en", time_left, report(NOW + timedelta(days=1), status="closed"), NOW) == ""
    assert said(app, "en", time_left, report(None), NOW) == ""
