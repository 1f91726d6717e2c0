"""Configuration read from the environment.

Every setting has a development default so the app runs on a fresh machine; production
(``CONSULT_ENV=production``) refuses to start without a real ``SECRET_KEY`` and a
``PUBLIC_URL``.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A session-signing key must not be guessable: 32 characters is 128+ bits from token_hex(16).
MIN_SECRET_KEY_LENGTH = 32


# Where the demo serves; links sent to people in development point here.
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"


def public_url_setting(value: str | None, production: bool) -> str:
    """``PUBLIC_URL``: the scheme and host (and a path, if the site lives under one) that every
    link sent to people is built from (reset links, later activation and unsubscribe links,
    feeds and calendars), never the request's ``Host``. Required in production, and HTTPS there.
    """
    from urllib.parse import urlsplit

    if not value:
        if production:
            raise RuntimeError("PUBLIC_URL must be set when CONSULT_ENV=production (for example "
                               "https://consult.example.org): links sent to people are built "
                               "from it, never from the request's Host header")
        return DEVELOPMENT_PUBLIC_URL
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise RuntimeError(f"PUBLIC_URL must be like https://consult.example.org, not {value!r}")
    if production and parts.scheme != "https":
        raise RuntimeError("PUBLIC_URL must use https when CONSULT_ENV=production")
    return value.rstrip("/")


def _default_sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(instance_path, "consult.sqlite3")


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` and ``postgresql://`` spellings and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load_config(instance_path: str) -> dict:
    env = os.environ
    production = env.get("CONSULT_ENV", "development") == "production"
    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise RuntimeError("SECRET_KEY must be set when CONSULT_ENV=production")
        secret_key = _development_secret(instance_path)
    elif production and len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(f"SECRET_KEY is too short for production: use at least "
                           f"{MIN_SECRET_KEY_LENGTH} random characters")
    redis_url = env.get("REDIS_URL")
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": secret_key,
        "PUBLIC_URL": public_url_setting(env.get("PUBLIC_URL"), production),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env.get("DATABASE_URL") or _default_sqlite_url(instance_path)
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Uploads are rosters of a few thousand rows; 8 MiB is generous and bounds abuse.
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        # A resident may read a long topic before commenting: one hour is too short.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "BABEL_DEFAULT_LOCALE": "zh_Hans",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "consult" / "translations"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A moving window: "10 per minute" means any 60 seconds, not a clock minute, so a burst
        # across the turn of a minute cannot double it (and tests do not depend on the second).
        "RATELIMIT_STRATEGY": env.get("RATELIMIT_STRATEGY", "moving-window"),
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        # Per account: this many wrong passwords in a row lock it for this many minutes; the
        # error warns when LOGIN_LOCKOUT_WARN or fewer remain (consult/accounts/lockout.py).
        "LOGIN_LOCKOUT_ATTEMPTS": int(env.get("LOGIN_LOCKOUT_ATTEMPTS", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("LOGIN_LOCKOUT_MINUTES", "15")),
        "LOGIN_LOCKOUT_WARN": int(env.get("LOGIN_LOCKOUT_WARN", "2")),
        "PASSWORD_RESET_MINUTES": int(env.get("PASSWORD_RESET_MINUTES", "60")),
        # Per address (nobody is logged in yet), then per user (consult/ratelimits.py).
        "REGISTER_RATE_LIMIT": env.get("REGISTER_RATE_LIMIT", "10 per hour"),
        "PASSWORD_RESET_RATE_LIMIT": env.get("PASSWORD_RESET_RATE_LIMIT", "5 per hour"),
        # Changing the phone number (consult/accounts/phone.py): tries per user (each checks the
        # password); the codes sent are limited per number and account by the code itself.
        "PHONE_CHANGE_RATE_LIMIT": env.get("PHONE_CHANGE_RATE_LIMIT", "10 per hour"),
        # Activation codes (consult/activation/service.py): tries per address, and per phone or
        # e-mail this many wrong codes pause activating for this many minutes. A code is valid
        # for ACTIVATION_CODE_DAYS.
        "ACTIVATION_RATE_LIMIT": env.get("ACTIVATION_RATE_LIMIT", "20 per hour"),
        "ACTIVATION_LOCKOUT_ATTEMPTS": int(env.get("ACTIVATION_LOCKOUT_ATTEMPTS", "5")),
        "ACTIVATION_LOCKOUT_MINUTES": int(env.get("ACTIVATION_LOCKOUT_MINUTES", "15")),
        "ACTIVATION_CODE_DAYS": int(env.get("ACTIVATION_CODE_DAYS", "30")),
        "COMMENT_RATE_LIMIT": env.get("COMMENT_RATE_LIMIT", "10 per minute"),
        "BALLOT_RATE_LIMIT": env.get("BALLOT_RATE_LIMIT", "10 per minute"),
        "RESERVATION_RATE_LIMIT": env.get("RESERVATION_RATE_LIMIT", "10 per hour"),
        "OBJECTION_RATE_LIMIT": env.get("OBJECTION_RATE_LIMIT", "5 per hour"),
        # The JSON API: per client address, and per bearer token (consult/api/core.py).
        "API_RATE_LIMIT": env.get("API_RATE_LIMIT", "300 per minute"),
        "API_TOKEN_RATE_LIMIT": env.get("API_TOKEN_RATE_LIMIT", "120 per minute"),
        "PROXY_FIX": env.get("PROXY_FIX", "0") == "1",
        # Vote proxies (委托投票): live authorisations one person may hold per vote, and the
        # scans of signed paper authorisations (kept outside the web root; instance/ by default).
        "PROXY_LIMIT": int(env.get("PROXY_LIMIT", "3")),
        "PROXY_SCAN_MAX_BYTES": int(env.get("PROXY_SCAN_MAX_BYTES", str(5 * 1024 * 1024))),
        "PROXY_SCAN_DIR": env.get("PROXY_SCAN_DIR", ""),
        # Public pages kept for visitors who are not logged in (consult/pagecache.py); 0: off.
        "PAGE_CACHE_SECONDS": float(env.get("PAGE_CACHE_SECONDS", "30")),
        # Comments per person per minute/hour (consult/topics/comments.py); the page benchmark
        # turns the check off to measure posting itself.
        "COMMENT_FLOOD_CHECK": env.get("COMMENT_FLOOD_CHECK", "1") != "0",
        # The page benchmark reads an X-Query-Count header; never on in production.
        "QUERY_COUNT_HEADER": env.get("QUERY_COUNT_HEADER", "0") == "1" and not production,
    }


def _development_secret(instance_path: str) -> str:
    """A per-checkout random key kept under instance/, so sessions survive restarts."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()
