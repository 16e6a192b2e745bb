"""Formal documents in the browser: the 整改通知单 of a community.

GET /notices/CODE   the printable A4 notice (HTML with print CSS): office and admin, the community's own
                    staff, its sub-district's staff; inspectors 403; another community's notice 404.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale
from flask_login import login_required

from .. import permissions as perm
from ..types import utcnow
from ..web import current_principal, require
from . import formal, notices

bp = Blueprint("documents", __name__)


@bp.app_template_filter("doc_date")
def doc_date(day: date | None) -> str:
    """A document's date: 2026年4月1日 in Chinese, 2026-04-01 otherwise."""
    if day is None:
        return ""
    return formal.chinese_date(day) if str(get_locale() or "").startswith("zh") else day.isoformat()


@bp.get("/notices/<code>")
@login_required
def notice(code: str):
    p = current_principal()
    require(perm.can_view_notices(p))
    community = notices.community_by_code(code)
    require(community is not None, hide=True)
    require(perm.can_view_notice(p, community.id, community.subdistrict_id), hide=True)
    now = utcnow()
    return render_template(
        "documents/notice.html",
        notice=notices.build(community, p, now=now, tz_name=current_app.config["TIMEZONE"]),
        now=now,
    )
