"""Normalising the phone numbers and e-mail addresses people log in with."""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile (11 digits starting 13-19) or landline with area code, as digits only;
    ``None`` when it is neither. "+86 138-0013-8000" and "13800138000" are the same number."""
    digits = _PHONE_NOISE.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def normalise_email(raw: str) -> str | None:
    """Lower-cased, syntax-checked address (no network look-up); ``None`` when invalid."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def looks_like_email(identifier: str) -> bool:
    return "@" in identifier


def mask_email(email: str | None) -> str:
    """l***@example.org: enough for its owner to recognise."""
    if not email:
        return ""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str:
    """138****8000: enough for an office holder to recognise, not enough to call."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "****"
