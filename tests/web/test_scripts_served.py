"""Scripts go out trimmed (fieldcheck/scripts.py) and still revalidate with a 304."""

from __future__ import annotations

from pathlib import Path

from fieldcheck.scripts import trim

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_a_static_script_is_served_trimmed_and_revalidates(client):
    first = client.get("/static/js/queue.js")
    assert first.status_code == 200
    assert first.get_data(as_text=True) == trim((STATIC / "js" / "queue.js").read_text(encoding="utf-8"))
    assert first.headers["Content-Length"] == str(len(first.get_data()))
    etag = first.headers["ETag"]
    assert etag.endswith('-t"')
    again = client.get("/static/js/queue.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.get_data()
    css = client.get("/static/css/app.css")  # other files are sent as they are
    assert css.get_data() == (STATIC / "css" / "app.css").read_bytes()
