"""Login, logout and password pages, the language switch and the session/token user loaders.

A browser session is valid while its server-side row (UserSession) exists: the cookie carries the row's
random key beside Flask-Login's user id. API requests authenticated by a bearer token are marked on
``g.api_token_id`` (the only requests the API exempts from CSRF).
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from datetime import timedelta

from babel import Locale
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..errors import DomainError
from ..extensions import db, login_manager
from ..permissions import home_endpoint, principal_of
from ..types import utcnow
from ..unit_of_work import writing
from ..web import error_response
from . import services, throttle
from .models import User
from .redirects import safe_next

bp = Blueprint("auth", __name__)

LANGUAGES = ("zh_CN", "en")
SESSION_KEY = "_fc_sid"  # beside Flask-Login's _user_id in the signed session cookie
SMALL_BODY_ENDPOINTS = {"auth.login", "auth.password", "auth.new_password"}
PENDING_KEY = "_fc_pwchange"  # the user whose reset password was just given, while they choose a new one
PENDING_SECONDS = 15 * 60


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


class NewPasswordForm(FlaskForm):
    new = PasswordField(validators=[DataRequired()])
    confirm = PasswordField(validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(validators=[DataRequired()])
    new = PasswordField(validators=[DataRequired()])
    confirm = PasswordField(validators=[DataRequired()])


def _session_max_age() -> timedelta:
    return timedelta(days=current_app.config["SESSION_MAX_DAYS"])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return services.session_user(int(user_id), session.get(SESSION_KEY), utcnow(), _session_max_age())


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    row = services.token_row(header[len("Bearer ") :].strip(), utcnow())
    if row is None:
        return None
    g.api_token_id = row.id
    return row.user


def _start_session(user: User) -> str:
    """Stage a new server-side session for the user (the caller has checked them) in the caller's unit
    of work; returns its key, for ``_begin_session`` once committed."""
    now = utcnow()
    services.prune_sessions(user, now, _session_max_age())
    return services.start_session(user, now)


def _begin_session(user: User, key: str) -> None:
    """Log the user in on this browser with the committed server-side session ``key``."""
    session.clear()
    login_user(user)
    session[SESSION_KEY] = key
    session.permanent = True


def _set_password_here(user, new: str) -> tuple[str | None, int]:
    """Set the user's password (ending every session and token) and keep this browser logged in with a new
    session; (None, 200), or the policy's message and status."""
    try:
        with writing():
            services.set_password(user, new, actor=user)
            key = _start_session(user)
    except DomainError as exc:
        return exc.translated(_), exc.status
    _begin_session(user, key)
    return None, 200


@bp.url_value_preprocessor
def small_bodies(endpoint, values) -> None:
    # Runs before every before_request hook (the CSRF check reads the form): bound the body first.
    if endpoint in SMALL_BODY_ENDPOINTS:
        throttle.bound_login_body()


@bp.route("/login", methods=["GET", "POST"])
@throttle.throttled
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(principal_of(current_user))))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data.strip(), form.password.data)
        except services.PasswordChangeRequired:
            return _ask_for_new_password(form.username.data.strip())
        if user is not None:
            with writing():
                key = _start_session(user)
            _begin_session(user, key)
            return redirect(safe_next(request.args.get("next")) or url_for(home_endpoint(principal_of(user))))
        error = _("Wrong username or password.")
        status = 401
    elif request.method == "POST":
        error = _("Enter your username and password.")
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


def _fingerprint(user: User) -> str:
    """Changes whenever the password does: a pending change ends when the password is reset again."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def _ask_for_new_password(username: str):
    """The temporary password was right: remember who (signed session cookie) and ask for a new one."""
    user = db.session.scalar(select(User).where(User.username == username))
    session.clear()
    session[PENDING_KEY] = {"user": user.id, "fp": _fingerprint(user), "at": int(time.time())}
    return redirect(url_for("auth.new_password", next=safe_next(request.args.get("next"))))


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending["user"])
    if (
        user is None
        or not user.active
        or not user.must_change_password
        or _fingerprint(user) != pending.get("fp")
    ):
        return None
    return user


@bp.route("/login/new-password", methods=["GET", "POST"])
def new_password():
    """After logging in with a password an administrator reset: choose one's own before going on."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Log in with your username and the temporary password first."))
        return redirect(url_for("auth.login"))
    form = NewPasswordForm()
    error = None
    status = 200
    if form.validate_on_submit():
        if form.new.data != form.confirm.data:
            error, status = _("The new passwords do not match."), 400
        else:
            error, status = _set_password_here(user, form.new.data)  # clears the pending change too
            if error is None:
                flash(_("Your password has been changed."))
                return redirect(
                    safe_next(request.args.get("next")) or url_for(home_endpoint(principal_of(user)))
                )
    elif request.method == "POST":
        error, status = _("Fill in every field."), 400
    return render_template("auth/new_password.html", form=form, error=error, user=user), status


@bp.app_errorhandler(RateLimitExceeded)
def too_many_attempts(exc: RateLimitExceeded):
    seconds = throttle.retry_after()
    message = _(
        "Too many failed attempts. Try again in %(minutes)s minutes.", minutes=math.ceil(seconds / 60)
    )
    if request.path.startswith("/api/"):
        response = make_response(error_response(429, "too_many_requests", message))
    else:
        form = LoginForm(formdata=None)
        response = make_response(render_template("auth/login.html", form=form, error=message), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


@bp.post("/logout")
@login_required
def logout():
    with writing():
        services.end_session(session.get(SESSION_KEY))
    logout_user()
    session.clear()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password: every other session and every API token of the user ends."""
    form = PasswordForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(current_user.username, form.current.data)
        if user is None:
            error, status = _("The current password is wrong."), 400
        elif form.new.data != form.confirm.data:
            error, status = _("The new passwords do not match."), 400
        else:
            error, status = _set_password_here(user, form.new.data)  # every other session has ended
            if error is None:
                flash(_("Your password has been changed. Other devices must log in again."))
                return redirect(url_for(home_endpoint(principal_of(user))))
    elif request.method == "POST":
        error, status = _("Fill in every field."), 400
    return render_template("auth/password.html", form=form, error=error), status


@bp.get("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next")) or url_for("home.index"))
    if code in LANGUAGES:
        response.set_cookie(
            "lang",
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def select_locale() -> Locale:
    """The cookie's language, else the default; as a parsed Locale, which Flask-Babel takes as it is
    (parsing the name anew on every request cost more than the rest of the choice)."""
    lang = request.cookies.get("lang")
    return _parsed_locale(lang if lang in LANGUAGES else current_app.config["DEFAULT_LOCALE"])


@functools.cache
def _parsed_locale(name: str) -> Locale:
    return Locale.parse(name)
