"""Shared view helpers: the current principal, permission enforcement and error answers."""

from __future__ import annotations

import math
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, has_request_context, jsonify, render_template, request, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from .auth.redirects import safe_next
from .calendar import local_text
from .errors import N_, DomainError, Forbidden, NotFound
from .formats import accuracy_pattern, accuracy_text, display_name
from .permissions import Principal, principal_of
from .scripts import trim


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
        body, status = error_response(exc.status, exc.code, exc.translated(_), exc.details)
        if status == 503:  # storage or another dependency away for a moment: tell clients when to retry
            return body, status, {"Retry-After": "10"}
        return body, status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return error_response(
            400,
            "csrf",
            _("The form has expired or was not sent from this site. Reload the page and try again."),
        )

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

    register_input_guard(app)


# ---------------------------------------------------------------------------------------------------
# Input no route can use, refused before any route runs

#: JSON integers beyond a signed 64-bit integer fit no column and no count.
MAX_JSON_INT = 2**63 - 1
#: Row ids are 32-bit integers; a path naming a larger one names nothing (404, not an overflow in SQL).
MAX_ROW_ID = 2**31 - 1


def _unusable_json(value) -> bool:
    """Whether a parsed JSON body holds a string with NUL, a non-finite number (``1e999``, ``NaN``,
    ``Infinity``) or an integer beyond 64 bits, anywhere in it (keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > MAX_JSON_INT:
                return True
        elif isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _has_nul(pairs) -> bool:
    # A multipart part may come without a name (key None).
    return any("\x00" in (key or "") or "\x00" in (value or "") for key, value in pairs)


def _query_may_hold_nul() -> bool:
    """Whether the raw query string can decode to a NUL: only a NUL byte or ``%00`` does. Without either,
    the arguments need not be parsed here (most routes read few or none; the hostile walk's 404s none)."""
    raw = request.query_string
    return b"%00" in raw or b"\x00" in raw


def unusable_input() -> bool:
    """Whether the request carries what no route can store or look up: a NUL character (PostgreSQL
    refuses it in text, which would answer 500) in the path, a query parameter, a form field or file
    name, a header or a cookie, or a JSON body with NUL, a non-finite number or a huge integer, or one
    nested too deeply to parse."""
    if "\x00" in request.path:
        return True
    if _query_may_hold_nul() and _has_nul(request.args.items(multi=True)):
        return True
    if _has_nul(request.headers.items()):
        return True
    if _has_nul(request.cookies.items(multi=True)):
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            try:
                body = request.get_json(silent=True)
            except RecursionError:
                return True
            if _unusable_json(body):
                return True
        elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            if _has_nul(request.form.items(multi=True)):
                return True
            if any(
                "\x00" in (f.filename or "") or "\x00" in (name or "")
                for name, f in request.files.items(multi=True)
            ):
                return True
    return False


def register_input_guard(app: Flask) -> None:
    """Answer 400 ``bad_input`` before any route (or the user loader) sees unusable input, and 404 for a
    path whose id no row can have."""

    @app.before_request
    def refuse_unusable_input():
        ids = (request.view_args or {}).values()
        if any(isinstance(v, int) and not 0 <= v <= MAX_ROW_ID for v in ids):  # names no row (int4 keys)
            return refusal(404, "not_found", _("Not found."))
        if request.is_json and request.method == "POST" and not wants_json():
            # Pages take forms; Flask-WTF would otherwise read a JSON body into a form's text fields.
            return refusal(415, "unsupported_media_type", _("Send the form, not JSON."))
        if unusable_input():
            return refusal(
                400,
                "bad_input",
                _("The request contains a NUL character or a number out of range; nothing was changed."),
            )
        return None


def refusal(status: int, code: str, message: str):
    """The input guard's answer. Its page is drawn as for a visitor: the request's session cookie or token
    is not looked up (the user loader never sees a request refused here, and a refusal costs no query;
    it was about a third of a refused page's time). The answer's status, code and message are the same
    for everyone."""
    if not wants_json() and "_login_user" not in g:
        g._login_user = current_app.login_manager.anonymous_user()
    return error_response(status, code, message)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale, get_translations

    @app.context_processor
    def inject():
        locale = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else "en",
            # The page's `_()` and `{% trans %}` (Jinja's i18n resolves "gettext" from the context first).
            "gettext": page_gettext(get_translations().ugettext),
            "language_link": language_link,
            "role_label": role_label,
            "status_label": status_label,
            "item_name": display_name,
            "accuracy_text": accuracy_text,
            "accuracy_pattern": accuracy_pattern,
            "local_time": lambda dt: local_text(dt, ZoneInfo(app.config["TIMEZONE"]), year=False),
            "uuid": lambda: str(uuid.uuid4()),
        }

    app.session_interface = StaticQuietSessions()
    app.jinja_env.globals["url_for"] = remembered_url_for(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.status_code == 304 or _plain_static(response):
            # The policy and framing rule govern documents (and workers): a 304 keeps the cached
            # answer's headers, and a script, stylesheet or bitmap is never a document. About 270
            # bytes less on each of the capture page's files (bench/pageweight.py).
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def page_gettext(ugettext):
    """Jinja's new-style ``gettext`` (as ``jinja2.ext`` makes it: the message marked safe when the page
    escapes, then its variables filled in) over one request's catalog. Flask-Babel's own looks the
    catalog up again for every message, about 20 times per page."""

    @pass_context
    def gettext(__context, __string, **variables):
        rv = ugettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext


#: Distinct URLs a process remembers for its templates (the pages' fixed links: some tens).
URL_MEMORY = 2048


def remembered_url_for(app: Flask):
    """The templates' ``url_for``: a link built once per process and then remembered, keyed by what the
    URL depends on (the endpoint and its values, the request's script root, host and method). Every page
    draws a dozen fixed links (styles, scripts, the header's); werkzeug built each anew (about 6 us).
    Not remembered: links outside a request, external or blueprint-relative ones, values that are not
    plain short strings or numbers (so one-off links, such as a ``next`` carrying a path, do not crowd
    out the fixed ones), and any once the memory holds ``URL_MEMORY``."""
    build = app.url_for
    memory: dict[tuple, str] = {}

    def url_for(endpoint: str, **values) -> str:
        if (
            not has_request_context()
            or endpoint.startswith(".")
            or "_external" in values
            or "_scheme" in values
            or any(app.url_default_functions.values())
        ):
            return build(endpoint, **values)
        items = []
        for name, value in values.items():
            if type(value) not in (str, int) or (type(value) is str and len(value) > 64):
                return build(endpoint, **values)
            items.append((name, type(value), value))
        key = (endpoint, request.script_root, request.host, request.method, *sorted(items))
        url = memory.get(key)
        if url is None:
            url = build(endpoint, **values)
            if len(memory) < URL_MEMORY:
                memory[key] = url
        return url

    return url_for


def language_link(code: str) -> str:
    """The link that switches to language ``code`` and comes back to this page: with ``next`` only when
    the switch will follow it (``safe_next``; e.g. not a path of thousands of characters, which would
    only make every page that long to quote and send)."""
    here = request.script_root + request.full_path.rstrip("?")
    if safe_next(here) is None:
        return url_for("auth.set_language", code=code)
    return url_for("auth.set_language", code=code, next=here)


def register_script_trimming(app: Flask) -> None:
    """The scripts under static/ go out without their comments and indentation (``fieldcheck.scripts``),
    trimmed once per file version; their ETag is the file's with "-t", so revalidation still answers 304."""
    serve = app.view_functions["static"]
    trimmed: dict[tuple[str, int], bytes] = {}

    def static(filename: str):
        response = serve(filename=filename)
        if response.status_code != 200 or not filename.endswith(".js"):
            return response
        path = Path(app.static_folder or "", filename)
        key = (str(path), path.stat().st_mtime_ns)
        if key not in trimmed:
            trimmed[key] = trim(path.read_text(encoding="utf-8")).encode()
        etag, weak = response.get_etag()
        response.direct_passthrough = False
        response.set_data(trimmed[key])
        if etag:
            response.set_etag(etag + "-t", weak=weak)
        return response.make_conditional(request)

    app.view_functions["static"] = static


#: A permanent session's cookie is signed and sent again when its signature is at least this old (seconds).
SESSION_REFRESH_AFTER = 60


class SignedSession(SecureCookieSession):
    #: When the cookie the session came in was signed (seconds since the epoch); None for a new session.
    signed_at: float | None = None


class StaticQuietSessions(SecureCookieSessionInterface):
    """Flask's cookie sessions, with three savings:

    - A static file does not refresh the (permanent) session cookie: the pages and API calls around it
      do. About 440 bytes less on each of the capture page's files and their revalidations
      (bench/pageweight.py).
    - An unchanged permanent session is signed and sent again only when its cookie was signed
      ``SESSION_REFRESH_AFTER`` seconds ago or more, not on every request: its lifetime
      (``PERMANENT_SESSION_LIFETIME`` since the last refresh, checked on the signature's time and set as
      the cookie's expiry alike) then ends at most that long before it would have. A browser making a
      page's dozen requests gets the cookie once, and the server signs it once.
    - The signing serializer is made once per secret key (and fallbacks), not twice per request.
    """

    session_class = SignedSession

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), self.salt)
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]

    def open_session(self, app, request) -> SignedSession | None:
        signer = self.get_signing_serializer(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed = signer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed.timestamp()
        return session

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if request.endpoint == "static" or not super().should_set_cookie(app, session):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or time.time() - signed_at >= SESSION_REFRESH_AFTER


#: Static files that are never a document or a worker (SVG can be opened as a document: not listed).
PLAIN_STATIC_TYPES = ("text/javascript", "application/javascript", "text/css", "image/png", "image/jpeg")


def _plain_static(response) -> bool:
    return request.endpoint == "static" and response.mimetype in PLAIN_STATIC_TYPES


# Every page's scripts and styles are files under static/ (no inline script, style or on* attribute; the
# pages' data travels in <script type="application/json"> blocks and data- attributes); photos previewed
# before upload are blob: URLs. HSTS is the proxy's to send (README, "Behind nginx").
CONTENT_SECURITY_POLICY = "; ".join(
    [
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
    ]
)


ROLE_NAMES = {
    "inspector": N_("Inspector"),
    "community": N_("Community staff"),
    "subdistrict": N_("Sub-district staff"),
    "office": N_("Civilization office"),
    "admin": N_("Administrator"),
}


def role_label(role: str) -> str:
    # Only the name shown is translated (every page's header asks for one).
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def status_label(status: str) -> str:
    from .workflow.rules import STATUS_NAMES

    return _(STATUS_NAMES[status]) if status in STATUS_NAMES else status
