"""The inbox page: newest first, links to the reports, mark read, mark all read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..types import utcnow
from . import inbox, messages

bp = Blueprint("notify", __name__)

PAGE = 50


def unread_count() -> int:
    """For the bell in the page header (0 for visitors and when the database is unreachable)."""
    if not current_user.is_authenticated:
        return 0
    try:
        return inbox.unread(current_user.id)
    except Exception:  # the header must render on a page that shows a database error
        db.session.rollback()
        return 0


@bp.get("/notifications")
@login_required
def index():
    cursor = request.args.get("cursor", type=int)
    unread_only = request.args.get("unread") == "1"
    rows, next_cursor = inbox.page(current_user.id, unread=unread_only, cursor=cursor, limit=PAGE)
    return render_template(
        "notify/inbox.html",
        rows=rows,
        next_cursor=next_cursor,
        unread_only=unread_only,
        messages=messages,
        unread=inbox.unread(current_user.id),
    )


@bp.post("/notifications/read")
@login_required
def read():
    if request.form.get("all") == "1":
        inbox.mark_read(current_user.id, None, utcnow())
    else:
        ids = [int(v) for v in request.form.getlist("id") if v.isdigit()][:1000]
        inbox.mark_read(current_user.id, ids, utcnow())
    return redirect(url_for("notify.index", unread=request.form.get("unread") or None))
