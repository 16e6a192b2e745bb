"""Page weight: the bytes a phone downloads to open the inspector's capture page, first and repeat visit.

It serves fieldcheck (the seeded demo district, in a temporary folder) on 127.0.0.1 behind a WSGI
middleware that records every response the server sends, logs in as the demo inspector, and loads
/inspector in Debian's Chromium (Playwright) shaped like a phone:

* first visit -- an empty browser profile: the HTML, CSS, scripts, icons and manifest the page asks
  for, and what the service worker fetches to keep the page for offline use;
* repeat visit -- the inspector opens the page again: the service worker serves the page and its files
  from its cache and revalidates the page with If-None-Match, so only small answers (304) go over the
  network.

Every response body is counted gzip-compressed (level 6, as a server or proxy would send it), and the
response headers as sent. The baseline is the issue's goal, checked in the same run: first visit under
60 KB compressed, repeat visit under 5 KB from the network. (The capture pages of the best-known field
tools load several hundred KB of script.)

Run from the project root:  python bench/pageweight.py [--check]
The last line of output is one JSON object (first_bytes, repeat_bytes, goals_met, ...). --check exits 1
when a goal is missed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

FIRST_GOAL = 60_000
REPEAT_GOAL = 5_000
QUIET_S = 1.5
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


class Recorder:
    """WSGI middleware: one row per response (phase, method, path, status, header bytes, body bytes)."""

    def __init__(self, app):
        self.app = app
        self.rows: list[dict] = []
        self.phase = "setup"
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, start))
        status, headers = seen["status"], seen["headers"]
        # Status line, the app's headers, werkzeug's Server and Date headers, the blank line.
        head = len(f"HTTP/1.1 {status}\r\n") + sum(len(k) + len(v) + 4 for k, v in headers) + 70 + 2
        path = environ.get("PATH_INFO", "") + (
            "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else ""
        )
        with self.lock:
            self.rows.append(
                {
                    "phase": self.phase,
                    "method": environ["REQUEST_METHOD"],
                    "path": path,
                    "status": int(status.split()[0]),
                    "type": dict(headers).get("Content-Type", "").split(";")[0],
                    "headers": head,
                    "raw": len(body),
                    "gzip": len(gzip.compress(body, 6)) if body else 0,
                }
            )
            self.last = time.monotonic()
        return [body]

    def wait_quiet(self, seconds: float = QUIET_S, limit: float = 20) -> None:
        """Until no request has arrived for `seconds` (the service worker works after the load event)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.monotonic() - self.last
            if idle >= seconds:
                return
            time.sleep(0.1)

    def of(self, phase: str) -> list[dict]:
        with self.lock:
            return [r for r in self.rows if r["phase"] == phase]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def find_chromium() -> str:
    for path in (os.environ.get("FIELDCHECK_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if path and os.access(path, os.X_OK):
            return path
    sys.exit("No Chromium found: install it (apt-get install chromium) or set FIELDCHECK_CHROMIUM.")


def seeded_app(folder: Path):
    from flask_migrate import upgrade

    from fieldcheck import create_app
    from fieldcheck.demo import seed_demo
    from fieldcheck.extensions import db

    config = {
        "DATABASE_URL": f"sqlite:///{folder / 'fieldcheck.db'}",
        "BLOB_DIR": str(folder / "blobs"),
        "SECRET_KEY": "pageweight",
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        db.session.remove()
    return app


def table(rows: list[dict], title: str) -> int:
    total = sum(r["gzip"] + r["headers"] for r in rows)
    print(
        f"\n{title}: {len(rows)} responses, {total:,} bytes "
        f"({sum(r['gzip'] for r in rows):,} compressed body + {sum(r['headers'] for r in rows):,} headers)"
    )
    print(f"  {'status':>6} {'raw':>8} {'gzip':>7} {'headers':>7}  resource")
    for r in rows:
        print(
            f"  {r['status']:>6} {r['raw']:>8,} {r['gzip']:>7,} {r['headers']:>7,}  {r['method']} {r['path']}  {r['type']}"
        )
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="pageweight-"))
    try:
        app = seeded_app(folder)
        recorder = Recorder(app.wsgi_app)
        app.wsgi_app = recorder
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=find_chromium(),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            context = browser.new_context(**PHONE)
            # Log in without loading any page, so the first visit starts with an empty cache.
            login = context.request.get(f"{base}/login").text()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
            context.request.post(
                f"{base}/login",
                form={"csrf_token": token, "username": "inspector", "password": "demo-2026-wmb"},
                max_redirects=0,
            )
            page = context.new_page()
            served_by_worker = []
            page.on("response", lambda r: served_by_worker.append(r.url) if r.from_service_worker else None)

            recorder.phase = "first"
            page.goto(f"{base}/inspector")
            page.wait_for_selector("html[data-offline=ready]", state="attached", timeout=20_000)
            recorder.wait_quiet()

            recorder.phase = "repeat"
            served_by_worker.clear()
            page.goto(f"{base}/inspector")
            page.wait_for_selector("#report-form")
            recorder.wait_quiet()
            recorder.phase = "done"
            browser.close()
        server.shutdown()

        first = table(recorder.of("first"), "First visit (empty browser)")
        repeat = table(recorder.of("repeat"), "Repeat visit (from the network)")
        local = sorted({u.removeprefix(base) for u in served_by_worker})
        print(f"  served by the service worker without the network: {', '.join(local) or 'nothing'}")
        goals = first <= FIRST_GOAL and repeat <= REPEAT_GOAL
        print(
            f"\nfirst visit {first:,} B (goal < {FIRST_GOAL:,}: {first / FIRST_GOAL:.0%} of it); "
            f"repeat visit {repeat:,} B (goal < {REPEAT_GOAL:,}: {repeat / REPEAT_GOAL:.0%} of it)"
        )
        scripts = sum(r["gzip"] for r in recorder.of("first") if r["type"].endswith("javascript"))
        print(
            json.dumps(
                {
                    "first_bytes": first,
                    "first_requests": len(recorder.of("first")),
                    "first_script_bytes": scripts,
                    "repeat_bytes": repeat,
                    "repeat_requests": len(recorder.of("repeat")),
                    "repeat_from_worker": len(local),
                    "first_goal": FIRST_GOAL,
                    "repeat_goal": REPEAT_GOAL,
                    "goals_met": goals,
                }
            )
        )
        return 1 if args.check and not goals else 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
