"""JSON API v1: tokens, the user, communities, locating a point and the checklist in force.

Token clients send ``Authorization: Bearer``; the web pages call the same routes with their session
cookie and an ``X-CSRFToken`` header. Errors are ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import services as auth_services
from ..auth import throttle
from ..calendar import local_month
from ..checklist import services as checklist_services
from ..errors import DomainError, Invalid, NotFound
from ..extensions import csrf, db
from ..geography import services as geo_services
from ..geography.models import Community
from ..months import month_text
from ..types import utcnow
from ..unit_of_work import writing
from . import parse, serializers
from . import schemas as s
from .describe import JSON_OR_FORM, Answer, Error, documented
from .spec import spec_for

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {"api.token", "api.openapi"}


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if not current_user.is_authenticated:
        raise Unauthorized(_("Log in or send a valid API token (Authorization: Bearer ...)."))
    # Writes need the CSRF token unless a valid bearer token authenticated this very request (set by the
    # request loader); a session cookie with any Authorization header beside it still needs the token.
    if request.method not in ("GET", "HEAD", "OPTIONS") and g.get("api_token_id") is None:
        csrf.protect()


@bp.url_value_preprocessor
def small_login_body(endpoint, values) -> None:
    if endpoint == "api.token":
        throttle.bound_login_body()


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid(_("Send a JSON object."))
    return body


TOO_MANY = Answer(
    "Too many failed attempts: wait Retry-After seconds (code too_many_requests)",
    Error,
    headers={"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
)
PASSWORD_RESET = Answer(
    "password_change_required: the password was reset by an administrator; choose a new one on the login "
    "page first",
    Error,
)


@bp.post("/auth/token")
@documented(
    "Exchange a username and password for a bearer token",
    description="Failed attempts are counted per account and per client address, together with the login "
    "page's; past the limit (by default 10 per account and 50 per address in 15 minutes) every attempt "
    "answers 429 with Retry-After, whatever the password. Bodies over 4 KB: 413.",
    body=s.Credentials,
    media=JSON_OR_FORM,
    responses={201: s.IssuedToken, 403: PASSWORD_RESET, 429: TOO_MANY},
    errors=(400, 401, 413),
    public=True,
)
@throttle.throttled
def token():
    sent = parse.body(s.Credentials, form=True)
    user = auth_services.authenticate(sent.username, sent.password)
    if user is None:
        raise Unauthorized(_("Wrong username or password."))
    with writing():
        token, row = auth_services.issue_token(user, utcnow(), current_app.config["API_TOKEN_DAYS"])
    return jsonify(token=token, expires_at=row.expires_at.isoformat(), user=serializers.user(user)), 201


def _token_entry(row) -> dict:
    return {
        "id": row.id,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "current": row.id == g.get("api_token_id"),
    }


@bp.get("/auth/tokens")
@documented(
    "The caller's own API tokens (the secrets are never kept, only their hashes)", responses={200: s.Tokens}
)
def tokens():
    """The caller's own API tokens (never the secrets: only their hashes are kept)."""
    return jsonify(tokens=[_token_entry(row) for row in auth_services.tokens_of(current_user)])


@bp.delete("/auth/tokens/<int:token_id>")
@documented(
    "Revoke one of the caller's own tokens; another user's token is not found (404)",
    responses={204: "Revoked"},
    errors=(404,),
)
def revoke_token(token_id: int):
    with writing():
        auth_services.revoke_token(current_user, token_id)
    return "", 204


@bp.delete("/auth/token")
@documented(
    "Revoke the bearer token that authenticated this request (a client's logout)", responses={204: "Revoked"}
)
def revoke_current_token():
    """Revoke the bearer token that authenticated this request (a client's logout)."""
    token_id = g.get("api_token_id")
    if token_id is None:
        raise Invalid(_("Send the token to revoke as Authorization: Bearer."))
    with writing():
        auth_services.revoke_token(current_user, token_id)
    return "", 204


@bp.get("/me")
@documented("The authenticated user: username, role, level, scope", responses={200: s.User})
def me():
    return jsonify(serializers.user(current_user))


@bp.get("/communities")
@documented(
    "Communities with code, name, sub-district, spot types and centroid",
    query=s.CommunitiesQuery,
    responses={200: s.Communities},
)
def communities():
    version = geo_services.current_boundary_version()
    with_geometry = parse.query(s.CommunitiesQuery).geometry in ("1", "true", "yes")
    rows = db.session.scalars(db.select(Community).order_by(Community.code)).all()
    centroids = geo_services.centroids(version.id) if version else {}
    geometries = geo_services.boundary_geometries(version.id) if version and with_geometry else {}
    return jsonify(
        boundary_version=version.id if version else None,
        communities=[
            serializers.community(c, centroids.get(c.id), geometries.get(c.id) if with_geometry else None)
            for c in rows
        ],
    )


@bp.get("/locate")
@documented("The community a WGS-84 point lies in, or null", query=s.LocateQuery, responses={200: s.Located})
def locate():
    sent = parse.query(s.LocateQuery)
    community, version = geo_services.locate(sent.lat, sent.lon)
    return jsonify(
        community=serializers.community(community) if community else None,
        boundary_version=version.id if version else None,
    )


@bp.get("/checklist")
@documented(
    "The checklist version in force in the month; 404 when none is",
    query=s.ChecklistQuery,
    responses={200: s.Checklist},
    errors=(404,),
)
def checklist():
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    month = parse.query(s.ChecklistQuery).month or month_text(local_month(utcnow(), tz))
    version = checklist_services.version_in_force(month)
    if version is None:
        raise NotFound(_("No checklist is in force for %(month)s.", month=month))
    return jsonify(serializers.checklist(version, month))


@bp.get("/openapi.json")
@documented("This description", public=True)
def openapi():
    # The API's address under any path prefix the app is mounted at (SCRIPT_NAME).
    return jsonify({**spec_for(current_app), "servers": [{"url": request.script_root + bp.url_prefix}]})
