"""Ranking routes on the API blueprint: the month as JSON, XLSX or CSV, and publishing.

GET  /api/v1/rankings/YYYY-MM[.json|.xlsx|.csv]   ?live=1  ?breakdowns=1  ?community=CODE
POST /api/v1/rankings/YYYY-MM/publish              office and admin
GET  /api/v1/trends?community=|subdistrict=CODE&from=YYYY-MM&to=YYYY-MM   score by month
"""

from __future__ import annotations

from flask import Response, current_app, jsonify
from flask_login import current_user

from .. import links
from .. import permissions as perm
from ..api import parse
from ..api.describe import ERROR, Answer, documented
from ..api.views import bp
from ..documents import services as documents
from ..errors import N_, Invalid
from ..months import month_text
from ..types import utcnow
from ..web import current_principal, require
from . import exports, files, services, trends
from . import schemas as s

FORMATS = ("json", "xlsx", "csv")
_TRUE = ("1", "true", "yes")


def _split(month_and_format: str) -> tuple[str, str]:
    month, dot, fmt = month_and_format.partition(".")
    if dot and fmt not in FORMATS:
        raise Invalid(
            N_("Unknown format %(format)s: use .json, .xlsx or .csv."), code="bad_format", format=fmt
        )
    return month_text(month), fmt or "json"


@bp.get("/rankings/<month>")
@documented(
    "A month's ranking (the published snapshot if published, else computed now), cut to what the user may "
    "see. The path may end in .json, .xlsx or .csv for those formats. Points and rates are exact decimal "
    "strings; ties go to fewer overdue items, then the higher on-time rate, then fewer reports, then the "
    "community code",
    path=s.RankingPath,
    query=s.RankingQuery,
    errors=(400, 403, 404),
)
def get_ranking(month: str):
    """The month's ranking (published if it is, else live), cut down to what the user may see."""
    p = current_principal()
    require(perm.can_view_ranking(p))
    month, fmt = _split(month)  # "2026-03", "2026-03.xlsx", ...
    sent = parse.query(s.RankingQuery)
    live = (sent.live or "").lower() in _TRUE
    document = services.ranking(month, now=utcnow(), tz_name=current_app.config["TIMEZONE"], live=live)
    if fmt == "json":
        community = sent.community or None
        with_breakdowns = community is not None or (sent.breakdowns or "").lower() in _TRUE
        shown = services.visible_to(document, p, breakdowns=with_breakdowns, community=community)
        return jsonify({**shown, "links": exports.links_of(shown, links.public_base())})
    shown = services.visible_to(document, p)
    base = links.public_base()

    def write() -> bytes:
        if fmt == "xlsx":
            formal = documents.of_ranking(document, now=utcnow(), tz_name=current_app.config["TIMEZONE"])
            return exports.to_xlsx(shown, base_url=base, formal=formal)
        return exports.to_csv(shown, base_url=base)

    key = files.key_of(document, shown, fmt, base)  # a published month's file: written once, then kept
    body = files.published_file(current_app.extensions["fieldcheck.storage"], key, write)
    mime = exports.XLSX_MIME if fmt == "xlsx" else exports.CSV_MIME
    name = f"ranking-{month}.{fmt}"
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/rankings/<month>/publish")
@documented(
    "Publish the month (office and admin; after the month ends): a new snapshot, or a correction of the "
    "last one; 409 when nothing changed",
    path=s.PublishPath,
    responses={201: s.Published, 404: Answer("no checklist in force", ERROR.model)},
    errors=(400, 401, 403, 409),
)
def publish_ranking(month: str):
    """Freeze the month as it computes now (first publication or a correction): 201 with the snapshot."""
    p = current_principal()
    require(perm.can_publish_ranking(p))
    now = utcnow()
    snapshot, sequence = services.publish_and_commit(
        month, current_user.id, now=now, tz_name=current_app.config["TIMEZONE"]
    )
    sha = snapshot.sha256
    return jsonify(
        month=snapshot.month,
        sequence=sequence,
        sha256=sha,
        created_at=now.isoformat(),
        created_by=current_user.username,
        checklist_version_id=snapshot.checklist_version_id,
        correction=sequence > 1,
    ), 201


@bp.get("/trends")
@documented(
    "Score by month of a community, a sub-district or the district (neither code): the published figures "
    "of a published month, else computed now; scope as the ranking's (inspectors 403)",
    query=s.TrendsQuery,
    responses={200: s.Trends},
    errors=(403, 404),
)
def get_trends():
    """A series of months for one scope; months are checked before anything is computed."""
    p = current_principal()
    sent = parse.query(s.TrendsQuery)
    tz_name = current_app.config["TIMEZONE"]
    now = utcnow()
    scope = trends.authorized_scope(p, sent.community or None, sent.subdistrict or None)
    months = trends.month_range(sent.from_ or None, sent.to or None, now=now, tz_name=tz_name)
    return jsonify(
        scope=scope.kind, code=scope.code, months=trends.series(scope, months, now=now, tz_name=tz_name)
    )
