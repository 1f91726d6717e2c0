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

from consult.messages.sms import DEFAULT_ENDPOINT as SMS_DEFAULT_ENDPOINT
from consult.messages.sms import check_settings as check_sms_settings

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


def sms_settings(env, production: bool) -> dict:
    """The SMS (短信) settings (consult/messages/sms/): which provider, its credentials, the
    signature and the two templates. ``aliyun`` with one of them missing, or an unknown
    provider, stops the app at start."""
    settings = {
        # log (development: the app's log), aliyun, or unset: log, and no SMS in production.
        "SMS_PROVIDER": env.get("SMS_PROVIDER", "").strip().lower(),
        "SMS_ACCESS_KEY_ID": env.get("SMS_ACCESS_KEY_ID", "").strip(),
        "SMS_ACCESS_KEY_SECRET": env.get("SMS_ACCESS_KEY_SECRET", "").strip(),
        # The approved signature (签名) shown as 【...】 before every message, e.g. 社区议事.
        "SMS_SIGN_NAME": env.get("SMS_SIGN_NAME", "").strip(),
        # The provider's codes of our two templates: one-time codes (${code}), notices (${text}).
        "SMS_TEMPLATE_CODE": env.get("SMS_TEMPLATE_CODE", "").strip(),
        "SMS_TEMPLATE_NOTICE": env.get("SMS_TEMPLATE_NOTICE", "").strip(),
        "SMS_ENDPOINT": env.get("SMS_ENDPOINT", "").strip() or SMS_DEFAULT_ENDPOINT,
        "SMS_TIMEOUT": env.get("SMS_TIMEOUT", "10").strip(),
        "ENV_NAME": "production" if production else "development",
    }
    check_sms_settings(settings)
    settings["SMS_TIMEOUT"] = float(settings["SMS_TIMEOUT"] or 10)
    del settings["ENV_NAME"]
    return settings


# Flask-Mail's names for the SMTP settings (consult/messages/email.py sends with them).
MAIL_PORT_PLAIN = 25
MAIL_PORT_SSL = 465
MAIL_TIMEOUT_DEFAULT = 10.0
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _mail_switch(env, name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RuntimeError(f"{name} must be 1 or 0 (true or false), not {value!r}")


def mail_sender_address(value: str):
    """The one address (an ``email.headerregistry.Address``) in ``MAIL_DEFAULT_SENDER``, which
    may be a bare address or ``社区议事 <noreply@example.org>``; None when it is not one."""
    from email import policy

    if not value or "\r" in value or "\n" in value:
        return None
    try:
        header = policy.default.header_factory("From", value)
    except (ValueError, IndexError):
        return None
    addresses = header.addresses
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        return None
    return addresses[0]


def mail_settings(env) -> dict:
    """The ``MAIL_*`` settings: without ``MAIL_SERVER`` no e-mail is sent. Contradictory or
    unreadable values stop the app at start, not at the first message."""
    server = env.get("MAIL_SERVER", "").strip()
    use_tls = _mail_switch(env, "MAIL_USE_TLS")
    use_ssl = _mail_switch(env, "MAIL_USE_SSL")
    if use_tls and use_ssl:
        raise RuntimeError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be on: use MAIL_USE_SSL "
                           "for a server that speaks TLS from the start (port 465), or "
                           "MAIL_USE_TLS for STARTTLS on a plain connection (port 587 or 25)")
    port_text = env.get("MAIL_PORT", "").strip()
    if not port_text:
        port = MAIL_PORT_SSL if use_ssl else MAIL_PORT_PLAIN
    elif port_text.isdigit() and 0 < int(port_text) < 65536:
        port = int(port_text)
    else:
        raise RuntimeError(f"MAIL_PORT must be a port number (1 to 65535), not {port_text!r}")
    timeout_text = env.get("MAIL_TIMEOUT", "").strip()
    try:
        timeout = float(timeout_text) if timeout_text else MAIL_TIMEOUT_DEFAULT
    except ValueError:
        timeout = 0.0
    if not 0 < timeout <= 600:
        raise RuntimeError(f"MAIL_TIMEOUT must be a number of seconds (above 0, at most 600), "
                           f"not {timeout_text!r}")
    sender = env.get("MAIL_DEFAULT_SENDER", "").strip()
    if server and not sender:
        raise RuntimeError("MAIL_DEFAULT_SENDER must be set when MAIL_SERVER is set (for "
                           "example noreply@example.org): every e-mail is sent from it")
    if sender and mail_sender_address(sender) is None:
        raise RuntimeError(f"MAIL_DEFAULT_SENDER must be one e-mail address, like "
                           f"noreply@example.org or 社区议事 <noreply@example.org>, not {sender!r}")
    username = env.get("MAIL_USERNAME", "")
    password = env.get("MAIL_PASSWORD", "")
    if password and not username:
        raise RuntimeError("MAIL_PASSWORD is set but MAIL_USERNAME is not: set both to log in "
                           "to the mail server, or neither")
    if not (username + password).isascii():
        raise RuntimeError("MAIL_USERNAME and MAIL_PASSWORD must be ASCII: SMTP logins send "
                           "them as they are")
    return {
        "MAIL_SERVER": server,
        "MAIL_PORT": port,
        "MAIL_USE_TLS": use_tls,
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": username,
        "MAIL_PASSWORD": password,
        "MAIL_DEFAULT_SENDER": sender,
        "MAIL_TIMEOUT": timeout,
    }


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
        # Where background jobs run without Redis: "after-response" (default) or "now".
        "JOBS_INLINE": env.get("JOBS_INLINE", ""),
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
        # The queue of background jobs (consult/jobs/); none: jobs run in the web process.
        "REDIS_URL": redis_url or "",
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
        # Who answers questions about personal information, shown on the privacy notice
        # (/privacy): e.g. "幸福社区居委会，电话 010-12345678". Empty: "your community's office".
        "PRIVACY_CONTACT": env.get("PRIVACY_CONTACT", ""),
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
        # Retention (consult/retention, the daily job "retention.purge"), in days. What is left
        # of a closed account (its notifications, consents' evidence, reservation matters, API
        # token rows, last login time) after closing; reception records' matter texts after
        # the matter was answered; photos of paper ballots after the vote was tallied (an owner
        # may contest a decision in court within a year: Civil Code art. 280).
        "RETAIN_CLOSED_ACCOUNT_DAYS": int(env.get("RETAIN_CLOSED_ACCOUNT_DAYS", "30")),
        "RETAIN_RECEPTION_RECORD_DAYS": int(env.get("RETAIN_RECEPTION_RECORD_DAYS", "730")),
        "RETAIN_PAPER_PHOTO_DAYS": int(env.get("RETAIN_PAPER_PHOTO_DAYS", "365")),
        # Public pages kept for visitors who are not logged in (consult/pagecache.py); 0: off.
        "PAGE_CACHE_SECONDS": float(env.get("PAGE_CACHE_SECONDS", "30")),
        # The "broad support" order of a busy topic: after a new mark, show the order kept a
        # moment ago and rank the topic afresh in a thread (consult/topics/comments.py); 0:
        # rank it afresh before answering (the tests' default, so that they read at once what
        # they changed).
        "RANKING_REFRESH_IN_BACKGROUND": env.get("RANKING_REFRESH_IN_BACKGROUND", "1") != "0",
        # ... and stored by a job for the workers that have none kept yet, for topics of this
        # many comments or more (0: never stored), at most once every so many seconds per
        # topic from each process.
        "RANKING_STORED_FROM": int(env.get("RANKING_STORED_FROM", "200")),
        "RANKING_STORE_SECONDS": float(env.get("RANKING_STORE_SECONDS", "10")),
        # Rendered pieces of pages (a comment's thread) kept per worker for the readers who see
        # them the same, in characters (consult/fragments.py); 0: render every piece afresh.
        "FRAGMENTS_KEPT_CHARS": int(env.get("FRAGMENTS_KEPT_CHARS", str(8 * 1024 * 1024))),
        # Comments per person per minute/hour (consult/topics/comments.py); the page benchmark
        # turns the check off to measure posting itself.
        "COMMENT_FLOOD_CHECK": env.get("COMMENT_FLOOD_CHECK", "1") != "0",
        # The page benchmark reads an X-Query-Count header; never on in production.
        "QUERY_COUNT_HEADER": env.get("QUERY_COUNT_HEADER", "0") == "1" and not production,
        **sms_settings(env, production),


        # E-mail over SMTP (consult/messages/email.py); MAIL_SERVER unset: no e-mail.
        **mail_settings(env),
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
