"""schemathesis against /api/v1/openapi.json, in process (the WSGI app, no server), as every role.

Each documented operation gets a small, derandomized set of generated requests (``MAX_EXAMPLES`` per
operation in the fuzzing phase, plus the examples and coverage cases schemathesis derives from the
schema, a few dozen per operation); the roles (anonymous, then the bearer token of each role) take
turns, so every operation is called as each of them. Checked: no 5xx, the status code is documented,
and the body and content type match the documented response.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select

from fieldcheck.extensions import db
from fieldcheck.reports.models import Photo
from tests.openapi_spec import api_spec

SPEC = api_spec()

MAX_EXAMPLES = 6
ROLES = {"anonymous": None, "inspector": "insp", "community": "c1", "office": "office", "admin": "admin"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(SPEC)
# How many requests were sent, per operation (the integrator's note reports the totals).
SENT: dict[str, int] = {}


@pytest.fixture
def api_world(app, people, make_report, monkeypatch):
    """The users of each role with their tokens (the `people` template) and report 1 with photo 1 (made by
    the report factory: filing is not the subject here, and this runs once per operation and backend)."""
    from werkzeug.security import generate_password_hash

    monkeypatch.setattr(
        "fieldcheck.auth.services._DUMMY_HASH",
        generate_password_hash("x", "pbkdf2:sha256:1000"),
        raising=False,
    )
    headers = {role: (dict(people[name]) if name else {}) for role, name in ROLES.items()}
    assert make_report("dispatched", community="C001", inspector="insp") == 1
    with app.app_context():
        assert db.session.scalar(select(func.min(Photo.id))) == 1  # report 1 and photo 1 exist
        db.session.remove()
    return app, headers


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_documented_promises(case, api_world):
    app, headers = api_world
    # The roles take turns, so every operation meets each of them across its cases.
    sent = SENT.get(case.operation.label, 0)
    SENT[case.operation.label] = sent + 1
    role = list(ROLES)[sent % len(ROLES)]
    case.call_and_validate(app=app, headers=headers[role], checks=CHECKS)


def test_every_documented_operation_was_run():
    """Run after the generated tests (same module): print the totals for the note."""
    if not SENT:
        pytest.skip("the schemathesis tests did not run in this session")
    print(f"schemathesis: {len(SENT)} operations, {sum(SENT.values())} requests")
