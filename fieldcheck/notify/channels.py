"""Sending one message: 企业微信 and 钉钉 group robots (webhook POST) and e-mail (SMTP).

Each send raises ``SendError`` on any failure (network, HTTP status, the service's ``errcode``), so the
worker can back off. Each message carries its idempotency key: in the robots' text (last line) and an
``X-Idempotency-Key`` header, in e-mail as the Message-ID and an ``X-Idempotency-Key`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, quote_plus, unquote, urlsplit

TIMEOUT = 10
# 企业微信 markdown content is capped at 4096 bytes; 钉钉 allows more, keep both under one bound.
MAX_BYTES = 4000


class SendError(Exception):
    pass


def wecom_body(text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": clip(text)}}


def dingtalk_body(title: str, text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": clip(text)}}


def clip(text: str, limit: int = MAX_BYTES) -> str:
    """Keep the last line (the key) and cut lines before it so the whole stays under the byte limit."""
    if len(text.encode()) <= limit:
        return text
    head, _, last = text.rpartition("\n")
    budget = limit - len(last.encode()) - len("\n…\n".encode())
    cut = head.encode()[:budget].decode(errors="ignore")
    return f"{cut}\n…\n{last}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: urlencoded base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"


def post_json(url: str, body: dict, key: str) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "X-Idempotency-Key": key},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (http(s) checked on entry)
            answer = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SendError(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from None
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        raise SendError("answer is not JSON") from None
    errcode = parsed.get("errcode", 0) if isinstance(parsed, dict) else 0
    if errcode not in (0, None):
        raise SendError(f"errcode {errcode}: {parsed.get('errmsg', '')}")


def send_robot(kind: str, url: str, secret: str | None, title: str, text: str, key: str) -> None:
    if kind == "wecom":
        post_json(url, wecom_body(text), key)
    elif kind == "dingtalk":
        post_json(dingtalk_url(url, secret), dingtalk_body(title, text), key)
    else:
        raise SendError(f"unknown robot kind {kind}")


def send_email(smtp_url: str | None, sender: str, to: str, subject: str, text: str, key: str) -> None:
    """smtp://user:password@host:587?starttls=1 (plain SMTP unless starttls=1), or smtps://host:465."""
    if not smtp_url:
        raise SendError("FIELDCHECK_SMTP_URL is not set")
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SendError("FIELDCHECK_SMTP_URL must look like smtp://user:password@host:587?starttls=1")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{key}@fieldcheck>"
    message["X-Idempotency-Key"] = key
    message.set_content(text)
    query = parse_qs(parts.query)
    try:
        if parts.scheme == "smtps":
            client = smtplib.SMTP_SSL(
                parts.hostname, parts.port or 465, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=TIMEOUT)
        with client:
            if parts.scheme == "smtp" and query.get("starttls", ["0"])[0] in ("1", "true", "yes"):
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"{type(exc).__name__}: {exc}") from None
