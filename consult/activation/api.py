"""``POST /api/v1/activations``: a roster owner activates their account from an app, with the
same service function as the "Activate your account" page; then ``POST /api/v1/tokens`` logs
in."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult.activation import service
from consult.api import schemas as s
from consult.api.core import TAGS, answer, bp, problem, problems, refused_as
from consult.api.schemas import ActivationBody
from consult.community.models import Building, Residency, ResidencyStatus, Unit
from consult.extensions import db
from consult.ratelimits import activation_limit
from consult.refusals import Refused


@bp.post("/activations", summary="Activate a roster owner's account with their code",
         tags=[TAGS["Tokens"]], security=[],
         description=(
             "For owners imported from the community's roster, who have no password yet: the "
             "phone or e-mail address the roster has, the code of their activation letter or "
             "message, and the password they choose. The account is then verified to every "
             "home the roster says the owner owns; log in with `POST /api/v1/tokens`. A code "
             "that does not work (mistyped, expired, used, replaced, or not this phone) is "
             "answered 409 with code `activation_refused`, the same whatever the reason. "
             "`privacy_version` must be the privacy notice in force (`GET /api/v1/privacy`), "
             "which the owner has read and agrees to; another is answered 422. After "
             "5 wrong codes for one phone or address (ACTIVATION_LOCKOUT_ATTEMPTS), activation "
             "pauses for 15 minutes (429). Rate-limited per address, with the web page."),
         responses={"201": s.Activated, **problems("400", "409", "413", "415", "422", "429")})
@activation_limit  # one budget with the web page
@refused_as(code="conflict")  # a well-formed code the server does not know: its data, not the form
def activations_create(body: ActivationBody):
    if not body.identifier.strip():
        raise Refused(_("Give the phone number or e-mail address the community has for you."),
                      "identifier")
    try:
        user = service.activate(body.identifier, body.code, body.password,
                                privacy_version=body.privacy_version,
                                address=get_remote_address())
    except service.Paused as paused:
        return problem("rate-limited", paused.message, field="code", code="activation_paused",
                       headers={"Retry-After": str(paused.seconds)})
    except Refused as error:
        if error.field == "code":
            error.code = "activation_refused"
        raise
    homes = [r.unit.label for r in _verified(user)]
    response = answer(s.Activated(id=user.id, name=user.name, homes=homes), 201)
    response.headers["Cache-Control"] = "no-store"
    return response


def _verified(user) -> list[Residency]:
    return db.session.scalars(
        select(Residency).where(Residency.user_id == user.id,
                                Residency.status == ResidencyStatus.VERIFIED.value)
        .options(joinedload(Residency.unit).joinedload(Unit.building)
                 .joinedload(Building.grid))
        .order_by(Residency.unit_id)).all()
