"""The tests' Flask test client: Flask's own, with werkzeug's cookie bookkeeping and form encoding
made cheaper. The app sees the same request (tests/test_fixtures.py compares the environs).

werkzeug's client picks the cookies to send, and files the ones the answer sets, by the request's host
and path, which it reads from the full current URL: ``get_current_url`` quotes and then unquotes the
whole query string too, twice per request. The hostile-input walk sends query strings of over 100,000
characters, and that quoting was about 5% of its time. This client reads the same URL without the query
string: the host and path are the same (werkzeug quotes ``?`` and ``#`` in the path, so the path ends
where the query begins either way), the cookies chosen and filed are the same, and the app sees the
same request.

A query or form given as a dict of strings is URL-encoded once per distinct dict and process, as werkzeug
encodes it (``_urlencode``), and handed to werkzeug already encoded: the walk sends the same few hundred
dicts of 26 fields again and again, to every route (the encoding was about 5% of its time).
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict
from werkzeug.test import run_wsgi_app
from werkzeug.urls import _urlencode
from werkzeug.wsgi import get_current_url

FORM = "application/x-www-form-urlencoded"


def cookie_url(environ) -> tuple[str, str]:
    """The host and path werkzeug's client matches cookies against, for this WSGI environ."""
    url = urlsplit(get_current_url(environ, strip_querystring=True))
    return url.hostname or "localhost", url.path


def _plain(fields) -> bool:
    """A non-empty dict of strings (what werkzeug would encode as it is, with no file in it)."""
    return (
        type(fields) is dict
        and bool(fields)
        and all(type(k) is str and type(v) is str for k, v in fields.items())
    )


@lru_cache(maxsize=4096)
def _encoded(items: tuple[tuple[str, str], ...]) -> str:
    return _urlencode(MultiDict(list(items)))


def pre_encoded(kwargs: dict) -> dict:
    """``open``'s keyword arguments with a dict query string, and a dict form body sent without a content
    type of its own, replaced by their encoding (werkzeug's ``EnvironBuilder`` then builds the same
    environ from them)."""
    if _plain(kwargs.get("query_string")):
        kwargs["query_string"] = _encoded(tuple(kwargs["query_string"].items()))
    headers = kwargs.get("headers") or {}
    typed = any(name in kwargs for name in ("content_type", "mimetype", "json", "input_stream")) or any(
        str(name).lower() == "content-type" for name in dict(headers)
    )
    if _plain(kwargs.get("data")) and not typed:
        kwargs["data"] = _encoded(tuple(kwargs["data"].items())).encode("ascii")
        kwargs["content_type"] = FORM
    return kwargs


class CookieClient(FlaskClient):
    def open(self, *args, **kwargs):
        if len(args) <= 1 and all(isinstance(a, str) for a in args):
            kwargs = pre_encoded(kwargs)
        return super().open(*args, **kwargs)

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
