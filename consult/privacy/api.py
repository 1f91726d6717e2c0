"""The privacy notice in the API: ``GET /api/v1/privacy`` (the version in force, for an app to
show and send back), ``POST /api/v1/me/privacy-consent`` (agree to it, through the service of
the web's agree page), and the refusal of any other write by a user who has not agreed to the
version in force: 403 with code ``privacy-consent``."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import gettext as _
from pydantic import Field

from consult.api.core import ApiError, answer, bp, read, require_user, token_user, write
from consult.api.schemas import JsonBody, Shape, documented
from consult.privacy import rules, service
from consult.unit_of_work import WRITING_METHODS

# API writes a user who has not agreed may still make: log in and out, activate (which agrees),
# agree, close the account.
ALLOWED_ENDPOINTS = {"api.tokens_create", "api.tokens_delete_current", "api.activations_create",
                     "api.privacy_consent"}


class NoticeVersion(Shape):
    version: str = Field(description="the version's id, e.g. `2026-12-06`")
    published: date
    changes: str = Field(description="what changed from the version before")
    url: str = Field(description="the notice of this version, in the reader's language")


class PrivacyNotice(Shape):
    version: str = Field(description="the version in force: send it as `privacy_version` "
                                     "(activation) or `version` (agreeing)")
    url: str = Field(description="the notice in force")
    versions: list[NoticeVersion] = Field(description="every version, newest first")


class ConsentBody(JsonBody):
    # The document names the version in force; the service refuses another in its own words.
    version: str = Field(max_length=rules.VERSION_MAX,
                         description="the version of the notice the user read and agrees to: "
                                     "the one in force",
                         **documented(enum=[rules.current().id]))


class Consent(Shape):
    version: str = Field(description="the version agreed to")
    agreed: bool = Field(description="always true: the user has agreed to the version in force")


def _version(v: rules.Version) -> NoticeVersion:
    from consult.urls import public_url

    return NoticeVersion(version=v.id, published=v.published, changes=str(v.changes),
                         url=public_url("privacy.notice_version", version=v.id))


@bp.get("/privacy", **read(PrivacyNotice, "Tokens", "The privacy notice in force and its versions",
                           not_found=False))
def privacy_notice():
    return answer(PrivacyNotice(version=rules.current().id, url=service.notice_url(),
                                versions=[_version(v) for v in reversed(rules.VERSIONS)]))


_CONSENT = write(
    Consent, "Tokens", "Agree to the privacy notice in force", status="201",
    description="Records the user's agreement to the version in force (`GET /api/v1/privacy`): "
                "201. Another version is refused (422, naming the version in force). Agreeing "
                "again to the version already agreed answers 200 and records nothing.")
_CONSENT["responses"]["200"] = Consent


@bp.post("/me/privacy-consent", **_CONSENT)
def privacy_consent(body: ConsentBody):
    user = require_user()
    made = service.agree(user, body.version, "api")  # another version: 422 naming the one
    return answer(Consent(version=user.privacy_version, agreed=True), 201 if made else 200)


def _allowed() -> bool:
    return (request.endpoint in ALLOWED_ENDPOINTS
            or (request.method == "DELETE" and request.path.rstrip("/") == "/api/v1/me"))


@bp.before_request
def _writes_need_the_notice_agreed():
    """After consult/api/core.py's check that a write has a token (registered before this)."""
    if request.method not in WRITING_METHODS or _allowed():
        return
    user = token_user()
    if user is not None and not rules.is_current(user.privacy_version):
        current = rules.current()
        raise ApiError("forbidden", _(
            "The privacy notice has a new version, %(version)s. Read it at %(url)s and agree "
            "with POST /api/v1/me/privacy-consent {\"version\": \"%(version)s\"} before "
            "writing.", version=current.id, url=service.notice_url()),
            code="privacy-consent")
