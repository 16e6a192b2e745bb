"""Score by month: one community's, one sub-district's or the district's figures over a range of months.

A published month is read from its latest snapshot's summary (a few hundred kilobytes, no breakdown, no
recomputation), so its figures stay the published ones whatever changes later; another month is computed
now or read from the month cache (``services.cached``), or left out when the caller asks for published months only (the home pages'
charts, which add the current month they already have). A month before any checklist has no figures.

Plain values in, plain values out; the API and the home pages cut the scope (``permissions``) first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..errors import N_, Forbidden, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..months import BadMonth, Month
from ..permissions import Principal, can_view_community, can_view_ranking, can_view_subdistrict_scores
from . import services
from .models import RankingSnapshot

MAX_MONTHS = 24
DEFAULT_MONTHS = 12
_CENT = Decimal("0.01")
_RATE = Decimal("0.0001")


@dataclass(frozen=True)
class Scope:
    """Whose figures: a community (by code), a sub-district (by code), or the district (no code)."""

    kind: str  # "community", "subdistrict" or "district"
    code: str | None = None


def month_range(first: str | None, last: str | None, *, now: datetime, tz_name: str) -> list[str]:
    """The months from ``first`` to ``last`` inclusive ('YYYY-MM'); by default the twelve months up to the
    current one (``last`` defaults to the current month, ``first`` to eleven months before ``last``).
    BadMonth on a malformed month; Invalid (bad_range) when ``first`` is after ``last`` or the range holds
    more than 24 months."""
    end = Month.parse(last) if last else Month.of(now, ZoneInfo(tz_name))
    if first:
        start = Month.parse(first)
    else:
        start = end
        for _ in range(DEFAULT_MONTHS - 1):
            try:
                start = start.previous()
            except BadMonth:  # the first month the app knows
                break
    if start > end:
        raise Invalid(N_("The first month comes after the last one."), code="bad_range")
    months = [start]
    while months[-1] < end:
        months.append(months[-1].next())
        if len(months) > MAX_MONTHS:
            raise Invalid(N_("At most %(count)s months at a time."), code="bad_range", count=MAX_MONTHS)
    return [str(m) for m in months]


def authorized_scope(p: Principal, community: str | None, subdistrict: str | None) -> Scope:
    """The scope asked for, checked as the ranking checks it: community staff their own community (and its
    sub-district's aggregate), sub-district staff theirs and its communities, the office and admin all;
    the district's figures (no code) to everyone who may see the ranking. Forbidden for inspectors and
    for another's scope; NotFound for an unknown code; Invalid when both codes are given."""
    _require(can_view_ranking(p))
    if community and subdistrict:
        raise Invalid(N_("Give a community or a sub-district, not both."), code="bad_scope")
    if community:
        row = db.session.execute(
            select(Community.id, Community.subdistrict_id).where(Community.code == community)
        ).first()
        if row is None:
            raise NotFound(
                N_("No community has the code %(community)s."), code="unknown_community", community=community
            )
        _require(can_view_community(p, row.id, row.subdistrict_id))
        return Scope("community", community)
    if subdistrict:
        sd_id = db.session.scalar(select(Subdistrict.id).where(Subdistrict.code == subdistrict))
        if sd_id is None:
            raise NotFound(
                N_("No sub-district has the code %(subdistrict)s."),
                code="unknown_subdistrict",
                subdistrict=subdistrict,
            )
        own = None
        if p.community_id is not None:
            own = db.session.scalar(select(Community.subdistrict_id).where(Community.id == p.community_id))
        _require(can_view_subdistrict_scores(p, sd_id, own))
        return Scope("subdistrict", subdistrict)
    return Scope("district")


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(N_("You are not allowed to do this."))


def month_summary(
    month: str,
    snapshot: RankingSnapshot | None,
    *,
    now: datetime,
    tz_name: str,
    computed: bool = True,
) -> tuple[dict, str] | None:
    """The month's document without breakdowns and where it comes from ("published" or "computed"), given
    its latest publication (None: never published; ``services.latest_snapshots``); None without a
    checklist in force, or for an unpublished month when ``computed`` is False."""
    if snapshot is not None:
        if snapshot.summary is not None:
            return json.loads(snapshot.summary), "published"
        return services.standing(month, now=now, tz_name=tz_name), "published"
    if not computed:
        return None
    try:
        return services.cached(month, now=now, tz_name=tz_name).document, "computed"
    except NotFound:  # no checklist in force that month
        return None


def point(month: str, document: dict | None, source: str | None, scope: Scope) -> dict:
    """One month's figures for the scope: score (2 decimals) and rank, or None for the district or a
    month without figures; reports, overdue (open past the deadline) and on_time_rate (0..1)."""
    row = None
    if document is not None:
        if scope.kind == "community":
            row = next((c for c in document["communities"] if c["code"] == scope.code), None)
        elif scope.kind == "subdistrict":
            row = next((s for s in document["subdistricts"] if s["code"] == scope.code), None)
        else:
            row = {**document["indicators"], "score": None, "rank": None}
    if row is None:
        return _empty(month)
    return {
        "month": month,
        "score": _number(row.get("score"), _CENT),
        "rank": row.get("rank"),
        "reports": row["reports"],
        "overdue": row["overdue_open"],
        "on_time_rate": _number(row.get("on_time_rate"), _RATE),
        "source": source,
    }


def _empty(month: str) -> dict:
    keys = ("score", "rank", "reports", "overdue", "on_time_rate", "source")
    return {"month": month, **dict.fromkeys(keys)}


def _number(text: str | None, places: Decimal) -> float | None:
    return None if text is None else float(Decimal(text).quantize(places, ROUND_HALF_UP))


def series(
    scope: Scope, months: list[str], *, now: datetime, tz_name: str, computed: bool = True
) -> list[dict]:
    """The scope's figures for each month, in order; see ``month_summary`` for where each comes from."""
    snapshots = services.latest_snapshots(months)  # one query for every month's publication
    out = []
    for month in months:
        found = month_summary(month, snapshots.get(month), now=now, tz_name=tz_name, computed=computed)
        out.append(point(month, *(found or (None, None)), scope))
    return out


def home_points(
    scope: Scope, current: dict | None, *, now: datetime, tz_name: str
) -> list[tuple[str, float | None]]:
    """The home page's chart: the scope's score in each published month of the last twelve, and this
    month's from ``current`` (the landing card's row, already computed), without computing another month."""
    months = month_range(None, None, now=now, tz_name=tz_name)
    past = series(scope, months[:-1], now=now, tz_name=tz_name, computed=False)
    points = [(m["month"], m["score"]) for m in past]
    score = None if current is None else _number(current.get("score"), _CENT)
    return [*points, (months[-1], score)]


def page_points(
    scope: Scope, document: dict, month: str, *, now: datetime, tz_name: str, field: str = "score"
) -> list[tuple[str, float | None]]:
    """The ranking page's chart: the scope's ``field`` ("score", or "reports" for the district, which has
    no score) in each published month of the twelve up to ``month``, and ``month``'s from ``document`` (the
    page's own, already computed or read): no other month is computed."""
    months = month_range(None, month, now=now, tz_name=tz_name)
    past = series(scope, months[:-1], now=now, tz_name=tz_name, computed=False)
    shown = point(month, document, document.get("source"), scope)
    return [(m["month"], m[field]) for m in (*past, shown)]
