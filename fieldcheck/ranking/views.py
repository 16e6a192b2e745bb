"""The ranking pages: the month's ranking, a community's breakdown, the printable bulletin, publishing.

GET  /ranking                          → the city's current month (or ?month=YYYY-MM from the picker)
GET  /ranking/YYYY-MM                  ranking, coverage, red and black lists, indicators, change from last month
GET  /ranking/YYYY-MM/CODE             a community's score down to the individual reports
GET  /ranking/YYYY-MM/bulletin         the printable monthly bulletin (A4)
POST /ranking/YYYY-MM/publish          office and admin: freeze the month (or publish a correction)

Everyone but inspectors may look (inspectors get 403); ``services.visible_to`` cuts the document to what
the reader may see: the office everything, sub-district staff their communities, community staff their
own row with its rank. A community the reader may not see answers 404. Publishing follows
Post/Redirect/Get with a flashed confirmation; a refusal (409) shows the page again with the message.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import links
from .. import permissions as perm
from ..calendar import local_text, month_bounds
from ..documents import services as documents
from ..errors import N_, DomainError, NotFound
from ..extensions import db
from ..formats import display_name
from ..months import BadMonth, Month, month_text
from ..types import utcnow
from ..web import current_principal, require
from . import document as rdoc
from . import pages, services

bp = Blueprint("ranking", __name__)

EXCLUDED = {
    "category_not_applicable": N_("category does not apply to this community"),
    "item_not_in_checklist": N_("item not in this checklist version"),
}
FOUND_BY = {
    "third_party": N_("third party"),
    "city": N_("city"),
    "district": N_("district"),
    "subdistrict": N_("sub-district self-check"),
}


@bp.app_template_filter("pts")
def points_filter(value):
    """A document number rounded to two places for display; a dash when there is none."""
    shown = rdoc.display(value)
    return "—" if shown is None else str(shown)


@bp.app_template_filter("pct")
def percent_filter(value):
    shown = pages.percent(value)
    return "—" if shown is None else f"{shown}%"


@bp.app_template_filter("local_iso")
def local_iso_filter(value: str | None) -> str:
    """An ISO timestamp from a document, in the city's time, to the minute."""
    return local_text(value, ZoneInfo(_tz_name()))


@bp.context_processor
def helpers():
    return {
        "excluded_label": lambda reason: _(EXCLUDED[reason]) if reason in EXCLUDED else reason,
        "found_by_label": lambda who: _(FOUND_BY[who]) if who in FOUND_BY else who,
        "tie_breaks_of": lambda doc: doc["tie_breaks_zh"] if _zh() else doc["tie_breaks"],
        "cat_name": display_name,
    }


def _zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale() or "").startswith("zh")


def _tz_name() -> str:
    return current_app.config["TIMEZONE"]


def _reader():
    p = current_principal()
    require(perm.can_view_ranking(p))
    return p


def _documents(month: str, p, now):
    """The month as shown to ``p``; the full document stays server-side (for rank counts)."""
    document = services.ranking(month, now=now, tz_name=_tz_name())
    return document, services.visible_to(document, p)


@bp.get("/ranking")
@login_required
def index():
    _reader()
    chosen = request.args.get("month")
    month = month_text(chosen) if chosen else pages.this_month(utcnow(), _tz_name())
    return redirect(url_for("ranking.month_page", month=month))


def _month_page(month: str, *, error: str | None = None, status: int = 200):
    p = _reader()
    month = month_text(month)
    now = utcnow()
    document, shown = _documents(month, p, now)
    office = perm.is_staff_of_office(p)
    context = {
        "month": month,
        "doc": shown,
        "office": office,
        "can_publish": perm.can_publish_ranking(p),
        "month_over": now >= _month_end(month),
        "ranked_total": sum(1 for c in document["communities"] if c["rank"] is not None),
        "not_inspected": [c for c in shown["communities"] if not c["inspected"]],
        "lists": pages.public_lists(document, p),
        "own_community": p.community_id,
        "changes": pages.changes_from_previous(month, shown, now=now, tz_name=_tz_name()),
        "previous": _step(month, Month.previous),
        "next": _step(month, Month.next),
        "this_month": pages.this_month(now, _tz_name()),
        "error": error,
        **_trend(p, document, month, now),
    }
    return render_template("ranking/month.html", **context), status


def _trend(p, document: dict, month: str, now) -> dict:
    """The chart of the reader's own community's or sub-district's score by month, or the district's
    reports by month for the office (``trends.page_points``)."""
    from . import chart, trends

    own = next((c for c in document["communities"] if c["id"] == p.community_id), None)
    if own is not None:
        scope, field, title = trends.Scope("community", own["code"]), "score", _("Score by month")
    else:
        sd = next((s for s in document["subdistricts"] if s["id"] == p.subdistrict_id), None)
        if sd is not None:
            scope, field, title = trends.Scope("subdistrict", sd["code"]), "score", _("Score by month")
        else:
            scope, field, title = trends.Scope("district"), "reports", _("Reports by month")
    points = trends.page_points(scope, document, month, now=now, tz_name=_tz_name(), field=field)
    return {"trend": chart.line_chart(points, title=title), "trend_title": title}


def _step(month: str, step) -> str:
    """The month before or after, or the month itself at the edge of the months the app accepts."""
    try:
        return str(step(Month.parse(month)))
    except BadMonth:
        return month


def _month_end(month: str) -> datetime:
    return month_bounds(month, ZoneInfo(_tz_name()))[1]


@bp.get("/ranking/<month>")
@login_required
def month_page(month: str):
    return _month_page(month)


@bp.post("/ranking/<month>/publish")
@login_required
def publish(month: str):
    p = _reader()
    require(perm.can_publish_ranking(p))
    month = month_text(month)
    if request.form.get("confirmed") != "1":
        return _confirm_publish(month, p)
    try:
        _snapshot, sequence = services.publish_and_commit(
            month, current_user.id, now=utcnow(), tz_name=_tz_name()
        )
    except NotFound:
        raise
    except DomainError as exc:
        db.session.rollback()
        return _month_page(month, error=exc.translated(_), status=exc.status)
    if sequence == 1:
        flash(_("%(month)s is published (publication %(sequence)s).", month=month, sequence=sequence))
    else:
        flash(
            _(
                "A correction of %(month)s is published (publication %(sequence)s).",
                month=month,
                sequence=sequence,
            )
        )
    return redirect(url_for("ranking.month_page", month=month))


def _confirm_publish(month: str, p):
    """Publishing freezes a month that officials are judged by: the form first asks to confirm."""
    document, shown = _documents(month, p, utcnow())
    return render_template(
        "ranking/publish_confirm.html",
        month=month,
        doc=shown,
        ranked_total=sum(1 for c in document["communities"] if c["rank"] is not None),
    )


@bp.get("/ranking/<month>/bulletin")
@login_required
def bulletin(month: str):
    p = _reader()
    month = month_text(month)
    now = utcnow()
    document, shown = _documents(month, p, now)
    main = pages.main_deductions(shown)
    return render_template(
        "ranking/bulletin.html",
        month=month,
        doc=shown,
        lists=pages.public_lists(document, p),
        formal=documents.of_ranking(document, now=now, tz_name=_tz_name()),
        names={c["code"]: c for c in shown["communities"]},
        main=main,
        photos=pages.photos_of(d["report_id"] for d in main["typical"]),
        items=pages.item_names(shown),
        ranked_total=sum(1 for c in document["communities"] if c["rank"] is not None),
        printed=now,
        online=links.public_url("ranking.month_page", month=month),  # printed: the address users reach
    )


@bp.get("/ranking/<month>/<code>")
@login_required
def community_page(month: str, code: str):
    p = _reader()
    month = month_text(month)
    now = utcnow()
    document, shown = _documents(month, p, now)
    row = next((c for c in shown["communities"] if c["code"] == code), None)
    require(row is not None, hide=True)  # unknown, or not the reader's to see
    breakdown = shown["breakdowns"].get(code) or {"categories": [], "deductions": []}
    change = pages.changes_from_previous(month, {"communities": [row]}, now=now, tz_name=_tz_name()).get(code)
    difference = None
    if shown.get("published"):
        difference = next((d for d in shown["published"]["differences"] if d["code"] == code), None)
    return render_template(
        "ranking/community.html",
        month=month,
        doc=shown,
        row=row,
        breakdown=breakdown,
        change=change,
        change_month=_step(month, Month.previous),
        difference=difference,
        photos=pages.photos_of(d["report_id"] for d in breakdown["deductions"]),
        items=pages.item_names(shown),
        ranked_total=sum(1 for c in document["communities"] if c["rank"] is not None),
        capped_items={
            i["code"] for cat in breakdown["categories"] for i in cat["items"] if i["raw"] != i["deducted"]
        },
    )
