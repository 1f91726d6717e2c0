"""Agreeing to the privacy notice: one function for the web, the API, registration and
activation. It flushes and never commits (consult/unit_of_work.py does)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from consult.clock import utcnow
from consult.extensions import db
from consult.privacy import rules
from consult.privacy.models import PrivacyConsent
from consult.refusals import Refused
from consult.urls import public_url

if TYPE_CHECKING:
    from consult.accounts.models import User

FIELD = "privacy_version"


def notice_url() -> str:
    return public_url("privacy.notice")


def check_version(version: str | None, field: str = FIELD) -> str:
    """The version id when it is the notice in force; otherwise a refusal naming the version
    to agree to and where to read it."""
    current = rules.current()
    if version != current.id:
        raise Refused(_l("Read the privacy notice in force, version %(version)s (%(url)s), and "
                         "agree to it to continue.", version=current.id, url=notice_url()),
                      field)
    return version


def record(user: User, version: str, channel: str, at: datetime | None = None) -> PrivacyConsent:
    """Store ``user``'s agreement to ``version`` (already checked by the caller: a registration
    checks it when the form is sent and records it when the account is made)."""
    consent = PrivacyConsent(user_id=user.id, version=version, channel=channel,
                             agreed_at=at or utcnow())
    db.session.add(consent)
    user.privacy_version = version
    db.session.flush()
    return consent


def agree(user: User, version: str | None, channel: str) -> PrivacyConsent | None:
    """``user`` agrees to the notice in force, ``version`` being what they were shown (a page
    or an app that showed an older one is refused). Agreeing again to the version already
    agreed adds nothing and answers ``None``."""
    check_version(version)
    if user.privacy_version == version:
        return None
    return record(user, version, channel)


def needs_agreement(user) -> bool:
    """A logged-in user who has not agreed to the version in force; reads the user row only."""
    return bool(getattr(user, "is_authenticated", False)) and not rules.is_current(
        user.privacy_version)
