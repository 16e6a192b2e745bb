"""The tests' Flask test client: Flask's own, with werkzeug's cookie bookkeeping made cheaper.

werkzeug's client picks the cookies to send, and files the ones the answer sets, by the request's host
and path, which it reads from the full current URL: ``get_current_url`` quotes and then unquotes the
whole query string too, twice per request. The hostile-input walk sends query strings of over 100,000
characters, and that quoting was about 5% of its time. This client reads the same URL without the query
string: the host and path are the same (werkzeug quotes ``?`` and ``#`` in the path, so the path ends
where the query begins either way), the cookies chosen and filed are the same, and the app sees the
same request (tests/test_fixtures.py checks both).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask.testing import FlaskClient
from werkzeug.test import run_wsgi_app
from werkzeug.wsgi import get_current_url


def cookie_url(environ) -> tuple[str, str]:
    """The host and path werkzeug's client matches cookies against, for this WSGI environ."""
    url = urlsplit(get_current_url(environ, strip_querystring=True))
    return url.hostname or "localhost", url.path


class CookieClient(FlaskClient):
    def _add_cookies_to_wsgi(self, environ) -> None:
        if self._cookies is None:
            return
        server_name, path = cookie_url(environ)
        value = "; ".join(
            c._to_request_header() for c in self._cookies.values() if c._matches_request(server_name, path)
        )
        if value:
            environ["HTTP_COOKIE"] = value
        else:
            environ.pop("HTTP_COOKIE", None)

    def run_wsgi_app(self, environ, buffered: bool = False):
        self._add_cookies_to_wsgi(environ)
        rv = run_wsgi_app(self.application, environ, buffered=buffered)
        self._update_cookies_from_response(*cookie_url(environ), rv[2].getlist("Set-Cookie"))
        return rv
