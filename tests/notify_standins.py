"""Real local servers standing in for the 企业微信/钉钉 robots and an SMTP server (127.0.0.1, any free port).

The robot stand-in checks what the real services require (the JSON shapes; 钉钉's timestamp and sign)
and, like a receiver that honours idempotency keys, keeps each key once: ``received`` is every request
that arrived, ``accepted`` the de-duplicated messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

KEY_LINE = re.compile(r"消息编号：(\S+)\s*$")


class RobotStandIn:
    def __init__(self, secret: str = "SECtest", delay: float = 0.0):
        self.secret = secret
        self.delay = delay
        self.fail = False
        self.received: list[dict] = []
        self.accepted: dict[str, dict] = {}
        self.errors: list[str] = []
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                answer = stand_in.handle(self.path, dict(self.headers), raw)
                data = json.dumps(answer[1]).encode()
                self.send_response(answer[0])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wecom_url(self, name="w") -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={name}"

    def dingtalk_url(self, name="d") -> str:
        return f"{self.base}/robot/send?access_token={name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            return 503, {"errcode": -1, "errmsg": "down"}
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        try:
            body = json.loads(raw)
        except ValueError:
            return self._bad("not JSON")
        if parts.path == "/cgi-bin/webhook/send":
            kind = "wecom"
            if (
                set(body) != {"msgtype", "markdown"}
                or body["msgtype"] != "markdown"
                or set(body["markdown"]) != {"content"}
                or not isinstance(body["markdown"]["content"], str)
            ):
                return self._bad(f"wecom shape {body}")
            text = body["markdown"]["content"]
            if len(text.encode()) > 4096:
                return self._bad("wecom content over 4096 bytes")
        elif parts.path == "/robot/send":
            kind = "dingtalk"
            if (
                set(body) != {"msgtype", "markdown"}
                or body["msgtype"] != "markdown"
                or set(body["markdown"]) != {"title", "text"}
            ):
                return self._bad(f"dingtalk shape {body}")
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            digest = hmac.new(
                self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256
            ).digest()
            if not timestamp or sign != base64.b64encode(digest).decode():
                return self._bad("dingtalk signature")
            text = body["markdown"]["text"]
        else:
            return 404, {"errcode": 404}
        match = KEY_LINE.search(text)
        key = headers.get("X-Idempotency-Key")
        if not match or match.group(1) != key:
            return self._bad("idempotency key missing from the message")
        with self.lock:
            self.received.append({"kind": kind, "key": key, "text": text, "query": query})
            self.accepted.setdefault(key, {"kind": kind, "text": text})
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _bad(self, why: str) -> tuple[int, dict]:
        with self.lock:
            self.errors.append(why)
        return 200, {"errcode": 40035, "errmsg": why}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MailStandIn:
    """aiosmtpd on 127.0.0.1 keeping every message, de-duplicated on X-Idempotency-Key."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received: list = []
        self.accepted: dict = {}
        stand_in = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                message = message_from_bytes(envelope.content, policy=policy.default)
                stand_in.received.append(message)
                stand_in.accepted.setdefault(message["X-Idempotency-Key"], message)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.controller.stop()
