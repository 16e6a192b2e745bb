"""Fixtures for the web and API tests."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.web.reporting import token_for


@pytest.fixture
def people(client, district, make_user):
    make_user("inspector", username="insp", level="city")
    make_user("inspector", username="insp2", level="subdistrict")
    make_user("community", username="c1", community="C001")
    make_user("community", username="c2", community="C002")
    make_user("subdistrict", username="sd1", subdistrict="SD01")
    make_user("subdistrict", username="sd2", subdistrict="SD02")
    make_user("office", username="office")
    make_user("admin", username="admin")
    names = ("insp", "insp2", "c1", "c2", "sd1", "sd2", "office", "admin")
    return {name: token_for(client, name) for name in names}


@pytest.fixture
def browser_for(app, people):
    """browser_for("c1") -> a test client logged in through the login form (one per user).

    It logs in the users of the module's own `people` fixture where a module defines one."""
    clients = {}

    def get(username):
        if username not in clients:
            c = app.test_client()
            assert login(c, username).status_code == 302
            clients[username] = c
        return clients[username]

    return get
