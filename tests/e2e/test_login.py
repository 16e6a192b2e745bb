"""Logging in and out on a phone: Chinese by default, English one tap away, each role on its own page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_horizontal_scroll
from tests.e2e.conftest import login_form as login  # the login itself is the subject

DEMO_HOMES = [
    ("admin", "/admin"),
    ("office", "/office"),
    ("inspector", "/inspector"),
    ("subdistrict", "/subdistrict"),
    ("community", "/community"),
    ("community2", "/community"),
]


def test_login_page_speaks_chinese_and_fits_a_phone(live_server, phone):
    response = phone.goto(f"{live_server.url}/login")
    assert response.status == 200
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(phone.get_by_role("heading", name="登录")).to_be_visible()
    expect(phone.get_by_role("button", name="登录")).to_be_visible()
    expect(phone.get_by_label("用户名")).to_be_visible()
    expect(phone.get_by_label("密码")).to_be_visible()
    assert_no_horizontal_scroll(phone)


def test_the_root_sends_visitors_to_the_login_page(live_server, phone):
    phone.goto(f"{live_server.url}/")
    expect(phone).to_have_url(f"{live_server.url}/login")


@pytest.mark.parametrize(("username", "home"), DEMO_HOMES)
def test_each_demo_account_lands_on_its_page(live_server, phone, username, home):
    response = login(phone, live_server.url, username)
    assert response.status == 200
    expect(phone).to_have_url(f"{live_server.url}{home}")
    expect(phone.locator("header").get_by_role("button", name="退出")).to_be_visible()
    expect(phone.locator("main h1")).to_be_visible()
    assert_no_horizontal_scroll(phone)


def test_inspector_page_renders_on_a_phone(live_server, phone, tmp_path):
    login(phone, live_server.url, "inspector")
    expect(phone).to_have_url(f"{live_server.url}/inspector")
    expect(phone.locator("main h1")).to_be_visible()
    assert_no_horizontal_scroll(phone)
    shot = tmp_path / "inspector.png"
    phone.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0


def test_wrong_password_shows_a_chinese_error_and_stays(live_server, phone):
    response = login(phone, live_server.url, "inspector", "not-the-password")
    assert response.status == 401
    expect(phone).to_have_url(f"{live_server.url}/login")
    expect(phone.get_by_role("alert")).to_contain_text("用户名或密码错误")
    expect(phone.locator("input[name=username]")).to_have_value("inspector")
    expect(phone.locator("input[name=password]")).to_have_value("")
    assert_no_horizontal_scroll(phone)
    # The right password still works afterwards.
    login(phone, live_server.url, "inspector")
    expect(phone).to_have_url(f"{live_server.url}/inspector")


def test_switch_to_english_and_back(live_server, phone):
    phone.goto(f"{live_server.url}/login")
    phone.locator("header").get_by_role("link", name="English").click()
    expect(phone).to_have_url(f"{live_server.url}/login")
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    # The choice is remembered (a cookie), not only for one page.
    phone.reload()
    expect(phone.get_by_role("button", name="Log in")).to_be_visible()
    phone.locator("header").get_by_role("link", name="中文").click()
    expect(phone.get_by_role("heading", name="登录")).to_be_visible()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-CN")


def test_logout_returns_to_login_and_closes_the_session(live_server, phone):
    login(phone, live_server.url, "office")
    expect(phone).to_have_url(f"{live_server.url}/office")
    phone.locator("header").get_by_role("button", name="退出").click()
    expect(phone).to_have_url(f"{live_server.url}/login")
    expect(phone.get_by_text("您已退出登录")).to_be_visible()
    expect(phone.get_by_role("heading", name="登录")).to_be_visible()
    phone.goto(f"{live_server.url}/office")
    expect(phone).to_have_url(re.compile(re.escape(f"{live_server.url}/login") + r"(\?.*)?$"))
    expect(phone.get_by_role("heading", name="登录")).to_be_visible()
