"""How long an SMS (短信) is, and the opt-out words some must carry. Pure: no database, no app.

Length. Phones receive a message in segments. A text of GSM-7 characters only (plain Latin
letters, digits, common punctuation) fits 160 characters in one segment and 153 in each of a
split message; any other character (Chinese, 【】, emoji) makes the whole message UCS-2: 70
characters in one segment, 67 in each when split. The provider puts the signature 【签名】 before
the text, and it counts; Chinese providers also count every character as one, which is what
UCS-2 does for the Basic Multilingual Plane (a character beyond it, such as an emoji, takes two).
"""
from __future__ import annotations

import math

UCS2_SINGLE, UCS2_PART = 70, 67
GSM7_SINGLE, GSM7_PART = 160, 153

OPT_OUT = "回T退订"
ELLIPSIS = "…"

# The GSM 03.38 default alphabet, and its extension table (each of those takes two septets).
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXTENDED = set("^{}\\[~]|€\f")


def signed(text: str, sign_name: str) -> str:
    """The message as the phone shows it: 【sign_name】 then the text."""
    return f"【{sign_name}】{text}" if sign_name else text


def _gsm7_length(message: str) -> int | None:
    """Septets the message takes in GSM-7, or None when it cannot be GSM-7."""
    length = 0
    for char in message:
        if char in _GSM7_BASIC:
            length += 1
        elif char in _GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def _ucs2_length(message: str) -> int:
    """UTF-16 code units: one per character, two for one beyond the BMP."""
    return sum(2 if ord(char) > 0xFFFF else 1 for char in message)


def length(text: str, sign_name: str = "") -> tuple[int, int, int]:
    """(units the signed message takes, units in one segment, units per segment when split)."""
    message = signed(text, sign_name)
    septets = _gsm7_length(message)
    if septets is not None:
        return septets, GSM7_SINGLE, GSM7_PART
    return _ucs2_length(message), UCS2_SINGLE, UCS2_PART


def segments(text: str, sign_name: str = "") -> int:
    """How many segments the message ``text`` sent under ``sign_name`` takes (at least 1)."""
    units, single, part = length(text, sign_name)
    if units <= single:
        return 1
    return math.ceil(units / part)


def fits_one(text: str, sign_name: str = "") -> bool:
    """Whether the signed message fits one segment (one charge, never split on the phone)."""
    return segments(text, sign_name) == 1


def room_left(template_text: str, sign_name: str = "") -> int:
    """Characters left in one UCS-2 segment for a variable part, when ``template_text`` (the
    message without that part) is sent under ``sign_name``; 0 when nothing is left."""
    return max(0, UCS2_SINGLE - _ucs2_length(signed(template_text, sign_name)))


def shorten(title: str, room: int) -> str:
    """``title`` in at most ``room`` characters: as it is when it fits, else cut and ended
    with "…" (which takes one of them). Whitespace is not left before the "…"."""
    title = " ".join(title.split())
    if room <= 0:
        return ""
    if len(title) <= room:
        return title
    if room == 1:
        return ELLIPSIS
    return title[:room - 1].rstrip() + ELLIPSIS


def with_opt_out(text: str) -> str:
    """``text`` ending with " 回T退订" (reply T to unsubscribe), once.

    Which messages need it: the MIIT rules on short messages (《通信短信息服务管理规定》) ask that
    a commercial or other non-transactional message - one the person did not ask for by an
    action of their own, such as a digest, news of a followed topic, a reminder of a vote they
    may take part in, or any promotion - says how to stop receiving such messages, and SMS
    providers refuse marketing templates without it.

    Which do not: one-time codes (registration, activation, login) and transactional messages
    that answer what the person just did (a password reset, a receipt for their ballot or
    booking). Do not add it to those: it would invite people to opt out of messages they need.
    """
    text = text.rstrip()
    if text.endswith(OPT_OUT):
        return text
    return f"{text} {OPT_OUT}"
