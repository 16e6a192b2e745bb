"""Fixtures for the web and API tests."""

from __future__ import annotations

import pytest

from tests.conftest import WEB_PEOPLE, login
from tests.s3server import new_bucket, s3_config, s3_env  # noqa: F401  (s3_env: a fixture)
from tests.web.reporting import token_for


@pytest.fixture
def people(client, district, make_user):
    """Users of every role and scope (tests.conftest.WEB_PEOPLE) and their API tokens, by username.

    A test that uses this fixture usually starts from a database that already has them (the
    "web_people" template of tests/conftest.py); otherwise they are made here."""
    seeded = client.application.extensions.get("tests.seeded", {})
    if "people" in seeded:
        return {name: dict(headers) for name, headers in seeded["people"].items()}
    for username, role, options in WEB_PEOPLE:
        make_user(role, username=username, **options)
    return {name: token_for(client, name) for name, _role, _options in WEB_PEOPLE}


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


@pytest.fixture(params=["folder", "s3"])
def photo_store(request, app):
    """The app's photo store, once the folder (as for every test) and once object storage: a fresh bucket
    on the session's S3-protocol server (tests/s3server.py). A test that asks for it runs on both."""
    if request.param == "folder":
        return app.extensions["fieldcheck.storage"]
    from fieldcheck.storage import store_from_config

    request.getfixturevalue("s3_env")
    store = store_from_config({"BLOB_DIR": "/nonexistent", **s3_config(new_bucket())})
    app.extensions["fieldcheck.storage"] = store
    return store
