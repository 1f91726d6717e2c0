"""Wrong tries counted in the rate-limit storage (Redis in production, memory in development),
with a pause once there are too many: the login form's counters for phones and e-mail addresses
with no account (consult/accounts/lockout.py) and the wrong activation codes
(consult/activation/service.py). Keys are hashed, so the storage never holds a phone number."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app

from consult.accounts.identity import looks_like_email, normalise_email, normalise_phone

EPOCH = datetime(1970, 1, 1)
MEMORY = 24 * 3600  # seconds wrong tries are remembered


def identity_key(prefix: str, identifier: str) -> str:
    """The same key for every spelling of one phone number or e-mail address."""
    identifier = (identifier or "").strip()
    normalised = (normalise_email(identifier) if looks_like_email(identifier)
                  else normalise_phone(identifier))
    return hashed_key(prefix, normalised or identifier.lower())


def hashed_key(prefix: str, text: str) -> str:
    return f"{prefix}:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Counter:
    """Wrong tries per key; the try that reaches ``attempts`` pauses the key for ``minutes``."""

    def __init__(self, name: str):
        self.name = name  # the storage's name among the app's extensions

    def _storage(self):
        from limits.storage import storage_from_string

        app = current_app._get_current_object()
        storage = app.extensions.get(self.name)
        if storage is None:
            storage = storage_from_string(app.config.get("RATELIMIT_STORAGE_URI")
                                          or "memory://")
            app.extensions[self.name] = storage
        return storage

    def paused_until(self, key: str, now: datetime) -> datetime | None:
        # The storage keeps integers: the pause holds its end as seconds since 1970 (app clock).
        end = self._storage().get(key + ":lock")
        if end and EPOCH + timedelta(seconds=end) > now:
            return EPOCH + timedelta(seconds=end)
        return None

    def fail(self, key: str, now: datetime, attempts: int,
             minutes: int) -> tuple[int, datetime | None]:
        """Count one wrong try: (the count, the end of the pause it started or None)."""
        storage = self._storage()
        count = storage.incr(key + ":fails", MEMORY)
        if count < attempts:
            return count, None
        until = (now + timedelta(minutes=minutes)).replace(microsecond=0)
        if count == attempts:  # exactly one try sets the pause, however many arrive at once
            storage.clear(key + ":lock")
            storage.incr(key + ":lock", minutes * 60 + 60,
                         amount=int((until - EPOCH).total_seconds()))
            storage.clear(key + ":fails")
        return count, until

    def clear(self, key: str) -> None:
        self._storage().clear(key + ":fails")
