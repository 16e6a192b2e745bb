"""The states of a report: the one list, used by the model's check constraint, the workflow rules, the
API's filter and its description (pure)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AWAITING_FIX", "FOUND_BY_VALUES", "STATUS_VALUES", "Status"]


class Status(StrEnum):
    """Where a report stands; see ``workflow.rules`` for the moves between them."""

    REPORTED = "reported"
    DISPATCHED = "dispatched"
    RECTIFIED = "rectified"
    CLOSED = "closed"
    VOIDED = "voided"
    APPEALED = "appealed"
    SUSPENDED = "suspended"


#: The values as plain text, in declaration order (for SQL, JSON and messages).
STATUS_VALUES: tuple[str, ...] = tuple(s.value for s in Status)

#: The states in which the community owes the fix: past its deadline, such a report is overdue.
AWAITING_FIX: tuple[str, ...] = (Status.DISPATCHED.value, Status.SUSPENDED.value)

#: Who found a problem (the found_by multipliers of DOMAIN.md), from the city's own checks to the district's.
FOUND_BY_VALUES: tuple[str, ...] = ("third_party", "city", "district", "subdistrict")
