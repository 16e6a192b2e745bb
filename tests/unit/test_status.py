"""One list of report states behind the model, the rules and the API description."""

from fieldcheck.reports.models import STATUSES
from fieldcheck.status import STATUS_VALUES, Status
from fieldcheck.workflow import rules
from tests.openapi_spec import api_spec

SPEC = api_spec()


def test_every_list_of_states_is_the_enum() -> None:
    assert STATUSES == STATUS_VALUES == tuple(Status)
    assert set(rules.STATUS_NAMES) == set(Status)
    assert set(rules.OPEN) | set(rules.FINAL) == set(Status)
    assert SPEC["components"]["schemas"]["Report"]["properties"]["status"]["enum"] == list(STATUS_VALUES)
