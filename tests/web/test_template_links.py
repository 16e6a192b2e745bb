"""The templates' remembered ``url_for`` (fieldcheck.web.remembered_url_for) builds what Flask's does."""

from __future__ import annotations

import pytest
from flask import url_for


@pytest.mark.parametrize("base_url", ["http://localhost/", "http://example.org/city"])
def test_remembered_links_are_the_links_flask_builds(app, base_url):
    remembered = app.jinja_env.globals["url_for"]
    calls = [
        ("static", {"filename": "css/app.css"}),
        ("home.index", {}),
        ("api.notifications", {"unread": 1, "limit": 0}),
        ("api.notifications", {"unread": True, "limit": 0}),  # not the same link as unread=1
        ("auth.set_language", {"code": "en", "next": "/a b"}),
        ("auth.set_language", {"code": "en", "next": "/" + "x" * 500}),
        ("home.index", {"_external": True}),
    ]
    for method in ("GET", "POST"):
        with app.test_request_context("/", base_url=base_url, method=method):
            for _round in range(2):  # built, then remembered
                for endpoint, values in calls:
                    assert remembered(endpoint, **values) == url_for(endpoint, **values)
    # Outside a request (no SERVER_NAME here): Flask's own answer, an error.
    with app.app_context(), pytest.raises(RuntimeError):
        remembered("home.index")
