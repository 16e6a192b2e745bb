"""Configuration defaults; FIELDCHECK_* environment variables override them.

The factory applies, in order: these defaults, the environment (``FIELDCHECK_DATABASE_URL``,
``FIELDCHECK_BLOB_DIR``, ``FIELDCHECK_SECRET_KEY``, ``FIELDCHECK_TIMEZONE`` ...), then test overrides.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS = {
    # None means "SQLite file in the instance folder", resolved in the factory.
    "DATABASE_URL": None,
    # None means "blobs/ in the instance folder".
    "BLOB_DIR": None,
    # None means "files under BLOB_DIR"; "memory://" keeps blobs in process memory (tests only).
    "BLOB_URL": None,
    "SECRET_KEY": None,
    "TIMEZONE": "Asia/Shanghai",
    "DEFAULT_LOCALE": "zh_CN",
    # Requests larger than this are refused with 413 (several full-size phone photos fit).
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    # Photos with more pixels than this are refused as decompression bombs.
    "MAX_IMAGE_PIXELS": 64_000_000,
    "API_TOKEN_DAYS": 90,
    # werkzeug's default (scrypt); the test suite lowers the cost, production never should.
    "PASSWORD_HASH_METHOD": "scrypt",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # The demo serves over plain HTTP on localhost; a city deployment sets this to true behind TLS.
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    # The address users reach the app at (https://wmb.example.gov.cn, with a path prefix if mounted under
    # one): every link written outside a served page (exports, bulletin, CLI) starts with it (fieldcheck.links).
    "PUBLIC_URL": None,
    # How many reverse proxies in front of the app to trust for X-Forwarded-For/-Proto/-Host/-Port/-Prefix
    # (Werkzeug's ProxyFix); 0 ignores those headers, so a client cannot spoof them.
    "PROXY_HOPS": 0,
    # Accounts and sessions (fieldcheck/auth/throttle.py, services.py).
    # Failed password checks (/login and POST /api/v1/auth/token together) allowed per account and per
    # client address within a moving window; past them, 429 with Retry-After.
    "LOGIN_FAILURES_PER_ACCOUNT": "10 per 15 minutes",
    "LOGIN_FAILURES_PER_ADDRESS": "50 per 15 minutes",
    # Larger login and token requests are refused with 413.
    "LOGIN_MAX_BODY": 4096,
    # None: the counts live in each process's memory; redis://host:6379/0 shares them between processes.
    "RATELIMIT_STORAGE_URL": None,
    # A browser session ends this many days after its login, however active (logout ends it at once).
    "SESSION_MAX_DAYS": 30,
    # Flask-Limiter settings derived from the above (see resolve()).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STRATEGY": "moving-window",
    "RATELIMIT_KEY_PREFIX": "fieldcheck",
    # Redis unreachable: count in memory for a while rather than refuse every login with a 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # A report received more than this many hours after it was observed is flagged late_filing for the office.
    "LATE_FILING_HOURS": 48,
    # The map (fieldcheck/map). Base tiles: none by default (polygons and points only, no request to any
    # other host); a URL template such as 天地图's WMTS with its tk key. Their datum: wgs84, or gcj02 for
    # 高德/腾讯 tiles (points and polygons shifted for display only; storage stays WGS-84).
    "MAP_TILES": None,
    "MAP_TILES_DATUM": "wgs84",
    "MAP_TILES_ATTRIBUTION": "",
    # Notifications (fieldcheck/notify): digests go out on working days at this local time (HH:MM); the
    # office's digest of waiting work then hourly until OFFICE_DIGEST_UNTIL. E-mail through SMTP_URL.
    "DIGEST_TIME": "08:30",
    "OFFICE_DIGEST_UNTIL": "18:00",
    "SMTP_URL": None,
    "MAIL_FROM": "fieldcheck@localhost",
}


def resolve(config: dict, instance_path: str) -> None:
    """Fill the values that depend on the instance folder or need generating."""
    instance = Path(instance_path)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'fieldcheck.db'}"
    if not config.get("BLOB_DIR"):
        config["BLOB_DIR"] = str(instance / "blobs")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance)
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["DATABASE_URL"])
    from .links import check_public_url

    config["PUBLIC_URL"] = check_public_url(config.get("PUBLIC_URL"))
    hops = config.get("PROXY_HOPS") or 0
    if isinstance(hops, str) and hops.strip().isdigit():
        hops = int(hops)
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ValueError(f"FIELDCHECK_PROXY_HOPS must be a whole number of proxies (0 or more), not {hops!r}")
    config["PROXY_HOPS"] = hops
    config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URL") or "memory://"
    if config.get("MAP_TILES_DATUM") not in ("wgs84", "gcj02"):
        raise ValueError(
            f"FIELDCHECK_MAP_TILES_DATUM must be wgs84 or gcj02, not {config.get('MAP_TILES_DATUM')!r}"
        )
    from .notify.schedule import parse_time

    parse_time(config.get("DIGEST_TIME") or "", "FIELDCHECK_DIGEST_TIME")
    parse_time(config.get("OFFICE_DIGEST_UNTIL") or "", "FIELDCHECK_OFFICE_DIGEST_UNTIL")
    if isinstance(config.get("SESSION_COOKIE_SECURE"), str):
        config["SESSION_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"].lower() in ("1", "true", "yes")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance: Path) -> str:
    """Keep a generated secret key in the instance folder so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
