"""tests/web's `people` fixture: every user of tests.conftest.WEB_PEOPLE, each with a token that works,
whether the test's database came from the template or the fixture made them."""

from __future__ import annotations

from tests.conftest import WEB_PEOPLE


def check(client, people):
    assert set(people) == {name for name, _role, _options in WEB_PEOPLE}
    for name, role, _options in WEB_PEOPLE:
        me = client.get("/api/v1/me", headers=people[name])
        assert me.status_code == 200, me.get_data(as_text=True)
        assert (me.get_json()["username"], me.get_json()["role"]) == (name, role)


def test_people_from_the_template(app, client, people):
    assert "people" in app.extensions["tests.seeded"]
    check(client, people)


def test_people_made_by_the_fixture(app, client, request):
    assert app.extensions["tests.seeded"] == {}  # `people` is not among this test's fixtures
    people = request.getfixturevalue("people")
    check(client, people)
