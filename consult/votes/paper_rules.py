"""Paper ballots, the pure part: serial numbers, the double-entry decision and what a photo of
a paper is. No database."""
from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

# The receipts' alphabet: no 0/O, 1/I/L, so a serial read off a paper is typed back right.
SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SERIAL_LENGTH = 12  # 31^12: about 59 bits, not guessable by trying
SERIAL_GROUP = 4
SERIAL_INPUT_MAX = 40  # what a form or the API accepts before normalising

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_.·]+")


def new_serial() -> str:
    """A fresh serial, ``XXXX-XXXX-XXXX``."""
    return format_serial("".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_LENGTH)))


def format_serial(bare: str) -> str:
    return "-".join(bare[i:i + SERIAL_GROUP] for i in range(0, len(bare), SERIAL_GROUP))


def normalise_serial(typed: str | None) -> str | None:
    """What was typed or scanned, as the stored serial: case, spaces and dashes do not matter,
    nor full-width letters (a Chinese input method). None when it cannot be a serial (wrong
    length or a character outside the alphabet)."""
    text = unicodedata.normalize("NFKC", (typed or "")[:SERIAL_INPUT_MAX])
    bare = _SEPARATORS.sub("", text).upper()
    if len(bare) != SERIAL_LENGTH or any(ch not in SERIAL_ALPHABET for ch in bare):
        return None
    return format_serial(bare)


# --- double entry (双人核对) ---------------------------------------------------------------------

FIRST = "first"  # the first entry of the paper: wait for a second person
AGREE = "agree"  # a second person read the same: the paper counts (or is spoilt)
DISAGREE = "disagree"  # a second person read something else: a secretary resolves it
OWN = "own"  # the person who entered it cannot confirm it
DONE = "done"  # the paper was already counted (or found spoilt)
DISPUTED = "disputed"  # waiting for a secretary's resolution


@dataclass(frozen=True)
class Mark:
    """What one person read on a paper: an option, or ``None`` for spoilt (废票)."""

    option: str | None
    by: int


def decide(status: str, first: Mark | None, new: Mark) -> str:
    """The next step when ``new`` is entered for a paper in ``status`` whose first entry is
    ``first`` (None before any): :data:`FIRST`, :data:`AGREE`, :data:`DISAGREE`, or a refusal
    (:data:`OWN`, :data:`DONE`, :data:`DISPUTED`)."""
    if status in ("counted", "spoilt"):
        return DONE
    if status == "disputed":
        return DISPUTED
    if first is None:
        return FIRST
    if first.by == new.by:
        return OWN
    return AGREE if first.option == new.option else DISAGREE


# --- photos -------------------------------------------------------------------------------------

def photo_kind(data: bytes) -> str | None:
    """``jpeg``, ``png`` or ``webp`` from the file's first bytes (never its name), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None
