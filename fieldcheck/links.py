"""Absolute links for what is read away from the app: exports, the bulletin, CLI output, notifications.

A page the app serves links with plain ``url_for`` (relative to where the browser is). Anything read
elsewhere (an XLSX mailed round, a printed bulletin, a message in a work chat) needs the address the
city's users reach the app at, and that is rarely what the server sees behind a proxy:

- ``FIELDCHECK_PUBLIC_URL`` (e.g. ``https://wmb.example.gov.cn`` or ``https://example.gov.cn/wmb`` when
  the app is mounted under a path) is used whenever it is set, in a request or not;
- otherwise, in a request, the request's own address (scheme, host and SCRIPT_NAME prefix; with
  ``FIELDCHECK_PROXY_HOPS`` set those are the ones the proxy forwarded);
- otherwise (the CLI, a job) links are relative (``/reports/317``); ``RELATIVE_NOTE`` says why, and the
  app logs it once.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

RELATIVE_NOTE = (
    "note: links in this export are relative (such as /reports/317) because FIELDCHECK_PUBLIC_URL is not set; "
    "set it to the address users reach the app at, e.g. https://wmb.example.gov.cn"
)


def check_public_url(value: str | None) -> str | None:
    """The setting without a trailing slash; ValueError when it is not an http(s) address."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"FIELDCHECK_PUBLIC_URL must be an http(s) address such as https://wmb.example.gov.cn "
            f"(optionally with a path prefix), not {value!r}"
        )
    return value.rstrip("/")


def public_base() -> str:
    """Scheme, host and path prefix that links read outside the app begin with; '' when unknown."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured
    if has_request_context():
        return request.url_root.rstrip("/")  # host_url + script_root
    if not current_app.extensions.get("fieldcheck.relative_links_noted"):
        current_app.extensions["fieldcheck.relative_links_noted"] = True
        current_app.logger.warning(RELATIVE_NOTE)
    return ""


def is_configured() -> bool:
    return bool(current_app.config.get("PUBLIC_URL"))


def path_of(endpoint: str, **values) -> str:
    """The route's path from the app's root, without any mount prefix (``/reports/317``)."""
    adapter = current_app.url_map.bind("localhost", script_name="/", url_scheme="http")
    return adapter.build(endpoint, values)


def public_url(endpoint: str, **values) -> str:
    """An absolute link to a route (relative outside a request without FIELDCHECK_PUBLIC_URL)."""
    return public_base() + path_of(endpoint, **values)
