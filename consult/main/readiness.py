"""What ``/readyz`` checks: the database answers a query, and Redis (when rate limits are kept
there) answers a ping. Each check says ``ok``, ``not configured`` or ``unavailable`` and never
raises."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from consult import unit_of_work
from consult.extensions import db

TIMEOUT_SECONDS = 2


def database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        current_app.logger.warning("readiness: database: %s", error)
        return "unavailable"
    finally:
        unit_of_work.discard()
    return "ok"


def redis_storage() -> str:
    url = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS,
                             socket_connect_timeout=TIMEOUT_SECONDS).ping()
    except redis.RedisError as error:
        current_app.logger.warning("readiness: redis: %s", error)
        return "unavailable"
    return "ok"
