"""Security headers on every response, and pages that satisfy the Content-Security-Policy (issue #12).

Each role's pages are crawled from its home page through every same-site link it shows: every HTML page
carries the policy and has no inline script (other than JSON data blocks), no on* handler attribute, no
style attribute or element, and no javascript: link, which the policy would block.
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from fieldcheck.web import CONTENT_SECURITY_POLICY
from tests.conftest import login

OUTSIDE = ("34.60", "112.30")


class _Audit(HTMLParser):
    """Collects the links of a page and whatever in it a strict Content-Security-Policy would block."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.faults: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.faults.append(f"<{tag} {name}=...>: an inline handler")
            if name == "style":
                self.faults.append(f"<{tag} style=...>: an inline style")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.faults.append(f"<{tag} {name}={value!r}>: a javascript: URL")
        if tag == "style":
            self.faults.append("<style>: an inline style sheet")
        if tag == "script":
            kind = (a.get("type") or "").lower()
            inline = "src" not in a
            if inline and kind != "application/json" and "nonce" not in a:
                self._in_script = True
                self.faults.append("<script> without src: inline script")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def audit(html: str) -> _Audit:
    parser = _Audit()
    parser.feed(html)
    return parser


# Addresses a crawl must not follow: they change state or leave the HTML pages.
SKIP = ("/logout", "/lang/", "/api/", "/static/", "/inspector/sw.js", "/inspector/manifest.webmanifest")


MONTH = re.compile(r"/ranking/(\d{4}-\d{2})")


def crawl(client, start: str = "/", limit: int = 150) -> dict[str, list[str]]:
    """Every same-site page reachable from ``start`` by GET: path -> faults (asserts each answers < 500).

    The ranking's months all look alike: two of them are enough (the month pickers link to every month)."""
    seen: dict[str, list[str]] = {}
    months: set[str] = set()
    queue = deque([start])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path, follow_redirects=True)
        assert response.status_code < 500, path
        assert response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, path
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("Referrer-Policy") == "same-origin", path
        if response.mimetype != "text/html":
            seen[path] = []
            continue
        found = audit(response.get_data(as_text=True))
        seen[path] = found.faults
        for link in found.links:
            target, _frag = urldefrag(link)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(SKIP):
                continue
            month = MONTH.match(target)
            if month and month.group(1) not in months:
                if len(months) >= 2:
                    continue
                months.add(month.group(1))
            if target not in seen:
                queue.append(target)
    return seen


@pytest.fixture
def activity(people, make_report):
    """Reports in several states: dispatched, rectified (with an after-photo), outside every community.
    Made by the report factory (the crawl is the subject, not filing; 6 tests x 2 backends set this up)."""
    return [
        make_report("dispatched", community="C001", inspector="insp"),
        make_report("rectified", community="C001", inspector="insp"),
        make_report("reported", inspector="insp", lat=float(OUTSIDE[0]), lon=float(OUTSIDE[1])),
    ]


@pytest.mark.parametrize("who", ["insp", "c1", "sd1", "office", "admin"])
def test_every_page_of_each_role_carries_the_policy_and_satisfies_it(app, activity, who):
    client = app.test_client()
    assert login(client, who).status_code == 302
    pages = crawl(client)
    html_pages = [p for p in pages if not p.startswith("/api/")]
    assert len(html_pages) >= 2, pages
    if who != "insp":
        assert any(p.startswith("/reports/") for p in pages), pages  # the report pages, with their forms
    if who in ("office", "admin", "c1", "sd1"):
        assert any(p.startswith("/ranking/") for p in pages), pages
    faults = {p: f for p, f in pages.items() if f}
    assert not faults, faults


def test_pages_without_login_and_error_pages_satisfy_it_too(app, client, activity):
    for path, status in (("/login", 200), ("/no/such/page", 404), ("/api/v1/me", 401)):
        response = client.get(path)
        assert response.status_code == status
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Frame-Options"] == "DENY"
        if response.mimetype == "text/html":
            assert audit(response.get_data(as_text=True)).faults == [], path
    browser = app.test_client()
    assert login(browser, "c1").status_code == 302
    pages = crawl(browser, "/ranking/2026-13")  # a bad month: a readable error page
    assert pages and all(not faults for faults in pages.values()), pages


def test_the_policy_forbids_inline_script_and_framing():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
