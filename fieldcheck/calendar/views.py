"""Calendar administration: a year's holidays and make-up working days as a month grid, edited in a form
or uploaded as a file.

GET  /admin/calendar          the years loaded; upload form                                 office, admin
POST /admin/calendar          upload a calendar file (YAML or JSON) for its year            admin
GET  /admin/calendar/YEAR     the year as twelve month grids, and the form                  office, admin
POST /admin/calendar/YEAR     save the form (name, from, to per holiday; make-up days)      admin
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import permissions as perm
from ..admin.pages import admin_page
from ..datafiles import Source
from ..errors import N_, DomainError, Invalid
from ..months import MAX_YEAR, MIN_YEAR
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal, require
from . import services
from .files import CalendarError, CalendarFile, calendar_from_source, holiday_ranges
from .rules import local_date, month_weeks, next_year_missing

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")
admin_page("calendar.years", N_("Holiday calendar"), order=40, anchor="admin-calendar")

MAX_FILE_BYTES = 200_000
#: Blank holiday rows the form offers beyond the year's holidays.
SPARE_ROWS = 3
MAX_ROWS = 60
_DAY_SPLIT = re.compile(r"[\s,，、;；]+")


def _require_reader() -> None:
    require(perm.is_staff_of_office(current_principal()))


def _require_admin() -> None:
    require(perm.can_administer(current_principal()))


def today() -> date:
    return local_date(utcnow(), ZoneInfo(current_app.config["TIMEZONE"]))


def missing_next_year() -> int | None:
    """The next year when its holidays should be loaded by now and are not (see the admin home)."""
    return next_year_missing(today(), services.calendar_years())


@bp.get("")
@login_required
def years():
    _require_reader()
    return _years_page()


def _years_page(status: int = 200, **context):
    loaded = services.calendar_years()
    this_year = today().year
    offered = sorted(set(loaded) | {this_year, this_year + 1})
    return render_template(
        "calendar/years.html",
        loaded=loaded,
        offered=offered,
        missing=next_year_missing(today(), loaded),
        can_edit=perm.can_administer(current_principal()),
        **context,
    ), status


@bp.post("")
@login_required
def upload():
    _require_admin()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid(_("Choose a calendar file (YAML or JSON)."))
        raw = upload.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise Invalid(_("The file is larger than %(n)s KB.", n=MAX_FILE_BYTES // 1000))
        with writing():
            year = services.import_calendar(raw, upload.filename[:200])
    except DomainError as exc:
        problems = exc.details.get("problems") or []
        message = (
            _("The calendar was not loaded: %(n)s problems.", n=len(problems))
            if problems
            else exc.translated(_)
        )
        return _years_page(exc.status, error=message, problems=problems)
    flash(_("Calendar %(year)s loaded.", year=year.year))
    return redirect(url_for("calendar.year", year=year.year))


def _year_or_404(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        abort(404)
    return year


def _form_rows(loaded: CalendarFile | None) -> list[dict]:
    rows = [
        {"name": name, "from": first.isoformat(), "to": last.isoformat() if last != first else ""}
        for name, first, last in (holiday_ranges(loaded) if loaded else [])
    ]
    return rows + [{"name": "", "from": "", "to": ""} for _ in range(SPARE_ROWS)]


def _year_page(year: int, loaded: CalendarFile | None, status: int = 200, **context):
    holidays = dict(loaded.holidays) if loaded else {}
    workdays = set(loaded.workdays) if loaded else set()
    months = [(month, month_weeks(year, month)) for month in range(1, 13)]
    context.setdefault("rows", _form_rows(loaded))
    context.setdefault("workdays_text", "\n".join(d.isoformat() for d in sorted(workdays)))
    context.setdefault("source", loaded.source if loaded else "")
    return render_template(
        "calendar/year.html",
        year=year,
        loaded=loaded,
        months=months,
        holidays=holidays,
        workdays=workdays,
        can_edit=perm.can_administer(current_principal()),
        **context,
    ), status


@bp.get("/<int:year>")
@login_required
def year(year: int):
    _require_reader()
    _year_or_404(year)
    return _year_page(year, services.year_file(year))


def _posted_rows() -> list[dict]:
    form = request.form
    rows = []
    for index in range(MAX_ROWS):
        name = (form.get(f"name_{index}") or "").strip()
        first = (form.get(f"from_{index}") or "").strip()
        last = (form.get(f"to_{index}") or "").strip()
        if name or first or last:
            rows.append({"name": name, "from": first, "to": last})
    return rows


@bp.post("/<int:year>")
@login_required
def save(year: int):
    _require_admin()
    _year_or_404(year)
    rows = _posted_rows()
    workdays_text = (request.form.get("workdays") or "")[:5000]
    source = (request.form.get("source") or "").strip()
    data = {
        "year": year,
        "source": source,
        "holidays": [{k: v for k, v in row.items() if v} for row in rows],
        "workdays": [part for part in _DAY_SPLIT.split(workdays_text) if part],
    }
    try:
        parsed = calendar_from_source(Source(data, one_line=True))
    except CalendarError as exc:
        return _year_page(
            year,
            services.year_file(year),
            400,
            problems=[p.as_dict() for p in exc.problems],
            error=_("The calendar was not saved: %(n)s problems.", n=len(exc.problems)),
            rows=rows + [{"name": "", "from": "", "to": ""}],
            workdays_text=workdays_text,
            source=source,
        )
    with writing():
        services.store_year(parsed, "form", action="calendar.update")
    flash(_("Calendar %(year)s saved.", year=year))
    return redirect(url_for("calendar.year", year=year))
