"""Brute-force throttling of the two places that check a password: /login and POST /api/v1/auth/token.

Flask-Limiter counts *failed* attempts (answers 401), per account and per client address, in one
storage shared by both routes: memory by default (one process), Redis when
FIELDCHECK_RATELIMIT_STORAGE_URL is set (shared by every process of a city). Successful logins cost
nothing, so a busy office behind one address is never throttled for logging in right. Past a limit
every attempt answers 429 with Retry-After until the oldest failure in the window ages out, whatever
the password: a correct guess after the limit is not revealed.

The login body is small (LOGIN_MAX_BODY bytes, 413 above); the limit is set before anything reads the
body (CSRF checks included), so the key functions below read a bounded, already parsed body.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time

from flask import current_app, request
from flask_limiter import RequestLimit

from ..extensions import limiter

ACCOUNT_SCOPE = "login-account"
ADDRESS_SCOPE = "login-address"


def bound_login_body() -> None:
    """Cap the body of a login request and parse it now (call before anything reads it): a body over
    the cap answers 413 here, never inside Flask-Limiter, which takes any error in a key function for
    an unreachable storage."""
    if request.method == "POST":
        request.max_content_length = current_app.config["LOGIN_MAX_BODY"]
        request.form  # noqa: B018  (parsed under the cap; a JSON body is left for get_json)
        request.get_json(silent=True)


def login_username() -> str:
    """The username a login or token request names (form or JSON), stripped; '' when none."""
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get("username") if isinstance(body, dict) else request.form.get("username")
    return value.strip() if isinstance(value, str) else ""


def account_key() -> str:
    """The attempted account, hashed (any text may arrive; keys stay short and plain)."""
    try:
        username = login_username()
    except Exception:  # never let the key fail (see bound_login_body); count such requests together
        return "account:unreadable"
    if not username:
        return ""  # Flask-Limiter skips a limit with an empty key; such a request fails before any check
    return "account:" + hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def address_key() -> str:
    """The client address; an IPv6 client counts by its /64 (one subscriber holds a whole /64)."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "address:" + raw[:64] if raw else "address:unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "address:" + str(address.ipv4_mapped)
        return "address:" + str(ipaddress.ip_network(f"{address}/64", strict=False))
    return "address:" + str(address)


def _failed(response) -> bool:
    return response.status_code == 401


def _limit(name: str):
    return lambda: current_app.config[name]


def throttled(view):
    """Decorate a view that checks a password: failures are counted per account and per address."""
    view = limiter.shared_limit(
        _limit("LOGIN_FAILURES_PER_ADDRESS"),
        scope=ADDRESS_SCOPE,
        key_func=address_key,
        methods=["POST"],
        deduct_when=_failed,
    )(view)
    return limiter.shared_limit(
        _limit("LOGIN_FAILURES_PER_ACCOUNT"),
        scope=ACCOUNT_SCOPE,
        key_func=account_key,
        methods=["POST"],
        deduct_when=_failed,
    )(view)


def retry_after() -> int:
    """Seconds until the breached limit of this request lets an attempt through again (at least 1)."""
    current: RequestLimit | None = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()) + 1)
