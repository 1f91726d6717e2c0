"""Activation codes as text: making, grouping, reading back what a person typed; whether a code
still works. Pure: no database, no request."""
from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime

# No 0/O, 1/I/L: a code is read off paper and typed back (the vote tracker's alphabet).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10  # 31^10 ≈ 8·10^14
GROUP = 5
# What people put between the groups: spaces, dashes of every width, dots, underscores.
_SEPARATORS = str.maketrans("", "", " \t\r\n-‐‑‒–—―−_.·")

LIVE, USED, VOID, EXPIRED = "live", "used", "void", "expired"


def new_code() -> str:
    """A fresh code, ungrouped: ``LENGTH`` characters of :data:`ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    """``ABCDE-FGHJK``: how a code is printed, sent and put in a link."""
    return "-".join(code[i:i + GROUP] for i in range(0, len(code), GROUP))


def normalise(raw: str | None) -> str | None:
    """The code in what a person typed, or ``None`` when it cannot be one: any case, with or
    without the dash or spaces, in full-width characters (ＡＢＣＤＥ－ＦＧＨＪＫ) too."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_SEPARATORS).upper()
    if len(text) != LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def state(*, used_at: datetime | None, voided_at: datetime | None, expires_at: datetime,
          now: datetime) -> str:
    """:data:`LIVE`, or why the code no longer works (used first: it is the one to tell)."""
    if used_at is not None:
        return USED
    if voided_at is not None:
        return VOID
    if now >= expires_at:
        return EXPIRED
    return LIVE
