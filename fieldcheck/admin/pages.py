"""The administration pages the admin home (and the office's home) links to.

A module that adds an administration page registers it once, beside its routes:

    admin_page("admin.boundaries", N_("Boundaries"), order=20)

``office_reads``: the office sees the link too (the page is read-only for it). The homes list the
pages in ``order``, then by endpoint; nothing else needs editing when a page is added.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..permissions import Principal, can_administer, is_staff_of_office


@dataclass(frozen=True)
class AdminPage:
    endpoint: str
    label: str  # an English message marked with N_, translated where it is shown
    office_reads: bool = True
    order: int = 50
    anchor: str | None = None  # the link's id (default: admin- and the endpoint's last part)


PAGES: dict[str, AdminPage] = {}


def admin_page(
    endpoint: str, label: str, *, office_reads: bool = True, order: int = 50, anchor: str | None = None
) -> None:
    """Register a page for the admin home (registering the same endpoint again replaces it)."""
    PAGES[endpoint] = AdminPage(endpoint, label, office_reads, order, anchor)


def visible(p: Principal) -> list[AdminPage]:
    """The pages this user may open, in order."""
    pages = sorted(PAGES.values(), key=lambda page: (page.order, page.endpoint))
    if can_administer(p):
        return pages
    if is_staff_of_office(p):
        return [page for page in pages if page.office_reads]
    return []
