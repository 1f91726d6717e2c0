"""The versions of the privacy notice, newest last (pure: no database, no request).

A version is published by adding it here with a summary of what changed and its two documents,
templates/privacy/notice-<document>.zh_Hans.html and .en.html. Every logged-in user whose
agreed version is not the newest is asked to agree again before they write anything."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

VERSION_MAX = 20  # the length of the stored version id

# Where an agreement was given (PrivacyConsent.channel, consult/privacy/models.py CHANNELS).
CHANNEL_LABELS = {
    "register": _l("When registering"),
    "activate": _l("When activating the account"),
    "web": _l("On the website"),
    "api": _l("In an app"),
    "demo": _l("Demo data"),
}


@dataclass(frozen=True)
class Version:
    id: str  # e.g. "2026-12-06": the date it takes effect, and the id clients send back
    published: date
    changes: object  # a (lazy) text: what changed from the version before
    document: str = ""  # the stem of the notice's templates; the id when empty

    @property
    def template_stem(self) -> str:
        return f"privacy/notice-{self.document or self.id}"


VERSIONS: tuple[Version, ...] = (
    Version("2026-12-06", date(2026, 12, 6),
            _l("First version: what Consult holds about residents, why, who sees it, how long "
               "it is kept, and how to see, download, correct or close your account.")),
)


def current() -> Version:
    return VERSIONS[-1]


def find(version_id: str | None) -> Version | None:
    return next((v for v in VERSIONS if v.id == version_id), None)


def is_current(agreed: str | None) -> bool:
    """Whether someone who agreed to ``agreed`` (``None``: never) has agreed to the notice in
    force."""
    return agreed is not None and agreed == current().id


def since(agreed: str | None) -> list[Version]:
    """The versions published after ``agreed``, newest first: what the agree page lists as
    changed. Everything for someone who never agreed (or agreed to a version no longer
    listed)."""
    ids = [v.id for v in VERSIONS]
    start = ids.index(agreed) + 1 if agreed in ids else 0
    return list(reversed(VERSIONS[start:]))
