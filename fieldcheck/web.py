"""Shared view helpers: the current principal, permission enforcement and error answers."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .errors import DomainError, Forbidden, NotFound
from .permissions import Principal


def principal_of(user) -> Principal:
    return Principal(
        user_id=user.id,
        role=user.role,
        level=user.level,
        community_id=user.community_id,
        subdistrict_id=user.subdistrict_id,
    )


def current_principal() -> Principal:
    return principal_of(current_user)


def require(allowed: bool, *, hide: bool = False) -> None:
    """Refuse with 403, or with 404 when the user must not learn that the target exists."""
    if not allowed:
        if hide:
            raise NotFound(_("Not found."))
        raise Forbidden(_("You are not allowed to do this."))


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if details:
            body["error"].update(details)
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        return error_response(exc.status, exc.code, exc.translated(_), exc.details)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(400, "csrf", _("The form has expired or was not sent from this site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 413:
            message = _("The upload is too large.")
        elif status == 404:
            message = _("Not found.")
        elif status == 405:
            message = _("This method is not allowed here.")
        elif status == 401:
            message = _("Please log in.")
        else:
            message = exc.description or exc.name
        return error_response(status, HTTP_CODES.get(status, "error"), message)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    @app.context_processor
    def inject():
        locale = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else "en",
            "role_label": role_label,
            "status_label": status_label,
            "item_name": lambda obj: obj.name_zh if locale.startswith("zh") else obj.name_en,
            "local_time": lambda dt: dt.astimezone(ZoneInfo(app.config["TIMEZONE"])).strftime("%m-%d %H:%M") if dt else "",
            "uuid": lambda: str(uuid.uuid4()),
        }

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


# Every page's scripts and styles are files under static/ (no inline script, style or on* attribute; the
# pages' data travels in <script type="application/json"> blocks and data- attributes); photos previewed
# before upload are blob: URLs. HSTS is the proxy's to send (README, "Behind nginx").
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def role_label(role: str) -> str:
    return {
        "inspector": _("Inspector"),
        "community": _("Community staff"),
        "subdistrict": _("Sub-district staff"),
        "office": _("Civilization office"),
        "admin": _("Administrator"),
    }.get(role, role)


def status_label(status: str) -> str:
    from .workflow.rules import STATUS_NAMES

    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status
