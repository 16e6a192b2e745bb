"""Login and logout pages, the language switch and the session/token user loaders."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from ..extensions import db, login_manager
from ..permissions import home_endpoint
from ..types import utcnow
from ..web import principal_of
from . import services
from .models import User

bp = Blueprint("auth", __name__)

LANGUAGES = ("zh_CN", "en")


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@login_manager.request_loader
def load_user_from_token(req) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    return services.user_for_token(header[len("Bearer ") :].strip(), utcnow())


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(principal_of(current_user))))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.username.data.strip(), form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(principal_of(user))))
        error = _("Wrong username or password.")
        status = 401
    elif request.method == "POST":
        error = _("Enter your username and password.")
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    response = redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    if code in LANGUAGES:
        response.set_cookie(
            "lang", code, max_age=365 * 24 * 3600, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"]
        )
    return response


def select_locale() -> str:
    lang = request.cookies.get("lang")
    return lang if lang in LANGUAGES else current_app.config["DEFAULT_LOCALE"]
