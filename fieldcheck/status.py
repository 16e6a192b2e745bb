"""The states of a report: the one list, used by the model's check constraint, the workflow rules, the
API's filter and its description (pure)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STATUS_VALUES", "Status"]


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
