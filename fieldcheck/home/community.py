"""The community's page (GET /community): its open items grouped by what each waits for (待整改, 挂账申请中,
申诉中, 待核查, 挂账 ...), and a history tab of its closed and voided items, newest first, a page at a time
by cursor (the search page's keyset paging), so the page never loads every closed item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..permissions import Principal
from ..reports import queries as report_queries
from ..reports.api import cursor_after, cursor_key
from ..reports.search import ReportFilter
from ..workflow import queries as workflow_queries
from ..workflow import rules

HISTORY_PER_PAGE = 30
#: The history tab's list: the community's items that are over, whichever way they ended.
HISTORY = ReportFilter(statuses=(rules.CLOSED, rules.VOIDED))


@dataclass(frozen=True)
class Group:
    key: str
    name: str  #: an untranslated message (rules.LIST_STATES)
    rows: list[workflow_queries.Row]


def grouped(rows: list[workflow_queries.Row]) -> list[Group]:
    """The open rows under their states in ``rules.LIST_STATES`` order, keeping each group's order
    (overdue first, then by deadline); empty groups left out."""
    by_key: dict[str, list[workflow_queries.Row]] = {key: [] for key, _name in rules.LIST_STATES}
    for row in rows:
        state = rules.list_state(row.report.status, row.report.suspension_requested)
        by_key.setdefault(state, []).append(row)
    names = dict(rules.LIST_STATES)
    return [Group(key, names.get(key, key), found) for key, found in by_key.items() if found]


@dataclass(frozen=True)
class HistoryPage:
    rows: list[workflow_queries.Row]
    next_cursor: str | None


def history(p: Principal, now: datetime, cursor: str | None) -> HistoryPage:
    """One page of the closed and voided items the principal may see (a community user: its own),
    after ``cursor``; ``Invalid`` (400) for a cursor this list did not give."""
    key = cursor_key(cursor) if cursor else None
    reports, more = report_queries.page_of_reports(
        p, HISTORY, now=now, key=key, per_page=HISTORY_PER_PAGE, loads=workflow_queries.LIST_LOADS
    )
    rows = [workflow_queries.Row(r, False) for r in reports]
    return HistoryPage(rows, cursor_after(reports[-1]) if more and reports else None)
