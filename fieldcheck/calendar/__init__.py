"""The working-day calendar: its pure rules (``rules``: working days, deadlines, local months), its file
(``files``: one year's holidays and make-up working days, read with pydantic), its tables (``models``),
loading and editing years (``services``) and its administration pages (``views``).

The pure rules are re-exported here, so ``from fieldcheck.calendar import due_at`` reads as before; the
models, services and views are imported from their modules (they need the database or Flask).
"""

from .rules import (
    END_OF_DAY,
    WorkCalendar,
    due_at,
    end_of_local_day,
    local_date,
    local_month,
    local_text,
    month_bounds,
)

__all__ = [
    "END_OF_DAY",
    "WorkCalendar",
    "due_at",
    "end_of_local_day",
    "local_date",
    "local_month",
    "local_text",
    "month_bounds",
]
