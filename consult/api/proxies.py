"""Vote proxies (委托投票) in the API: the authorisations a user gave and those naming them, an
owner authorising and withdrawing, the proxy accepting and casting. Each calls the service the
vote page calls (consult/votes/proxies.py): the permission table first (403), then the state
(409: closed, withdrawn, already voted, one authorisation too many), then the input."""
from __future__ import annotations

from typing import Annotated, Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field

from consult.accounts.identity import mask_phone
from consult.api import schemas as s
from consult.api.core import TOKEN, answer, bp, not_found, read, refused_as, require_user, write
from consult.api.reads import receipt, vote_or_404
from consult.api.schemas import NOT_BLANK, Absent, Id, Input, JsonBody, Says, Shape, Time, \
    VotePath, _whole, unset
from consult.extensions import db
from consult.ratelimits import ballot_limit
from consult.refusals import Refused

ProxyStatus = Literal["waiting", "active", "withdrawn", "replaced"]


class ProxyPath(Input):
    vote_id: Id = Field(description="Vote id")
    proxy_id: Id = Field(description="Authorisation id")


class ProxyBody(JsonBody):
    name: Annotated[str, Field(max_length=60, pattern=NOT_BLANK),
                    Says(_l("Write the proxy's name."), "string_pattern_mismatch")] = Field(
        description="the proxy's name")
    # A phone number's characters here; a mainland number by the service (409 otherwise).
    phone: Annotated[str, Field(pattern=r"^[0-9+ ()\-]{7,20}$"),
                     Says(_l("Give the proxy's phone number, e.g. 13800138000."))] = Field(
        description="the proxy's mobile phone; whoever logs in with it may accept")
    elector_id: Annotated[Id | Absent, BeforeValidator(_whole)] = unset(
        "which of the user's electors (`electors` of GET …/proxies); needed only when they "
        "vote for several")


class Proxy(Shape):
    id: int
    vote_id: int
    elector_id: int
    units: str
    proxy_name: str
    proxy_phone: str = Field(description="masked")
    channel: Literal["online", "paper"]
    status: ProxyStatus
    voted: bool = Field(description="a ballot was cast under it (it can no longer be withdrawn)")
    created_at: Time
    accepted_at: Time | None


class Seat(Shape):
    id: int
    units: str


class ProxyList(Shape):
    electors: list[Seat] = Field(description="the user's electors in this vote")
    given: list[Proxy] = Field(description="live authorisations for the user's electors")
    asked: list[Proxy] = Field(description="live authorisations naming the user")


def _status(p) -> str:
    if p.revoked_at is not None:
        return "replaced" if p.revoked_reason == "replaced" else "withdrawn"
    return "active" if p.accepted_at is not None else "waiting"


def proxy_shape(p, voted: set[int]) -> Proxy:
    return Proxy(id=p.id, vote_id=p.vote_id, elector_id=p.elector_id,
                 units=p.elector.units_label or "", proxy_name=p.proxy_name,
                 proxy_phone=mask_phone(p.proxy_phone), channel=p.channel, status=_status(p),
                 voted=p.id in voted, created_at=p.created_at, accepted_at=p.accepted_at)


def _proxy(path: ProxyPath):
    from consult.votes.models import VoteProxy

    vote = vote_or_404(path.vote_id)
    p = db.session.get(VoteProxy, path.proxy_id)
    if p is None or p.vote_id != vote.id:
        not_found(_("There is no such authorisation."))
    return p


@bp.get("/votes/<int:vote_id>/proxies", **read(
    ProxyList, "Votes", "The user's proxy authorisations in a vote, given and asked",
    security=TOKEN))
def vote_proxies(path: VotePath):
    from consult.votes import proxies, service

    user = require_user()
    vote = vote_or_404(path.vote_id)
    electors = service.electors_of(user, vote)
    given = proxies.given_by(user, vote) if electors else []
    asked = proxies.asked_of(user, vote)
    voted = proxies.voted(given + asked)
    return answer(ProxyList(electors=[Seat(id=e.id, units=e.units_label or "") for e in electors],
                            given=[proxy_shape(p, voted) for p in given],
                            asked=[proxy_shape(p, voted) for p in asked]))


@bp.post("/votes/<int:vote_id>/proxies", **write(
    Proxy, "Votes", "Authorise a proxy to vote for one's home (they must accept it)"))
@refused_as(phone="conflict", elector="conflict")  # not a mainland number, oneself, too many
def grant_proxy(path: VotePath, body: ProxyBody):
    from consult.votes import proxies, service

    user = require_user()
    vote = vote_or_404(path.vote_id)
    electors = service.electors_of(user, vote)
    if not electors:
        raise Refused.forbidden(_("You are not on the list of voters of this vote (it was "
                                  "fixed when the vote opened)."), "not_elector")
    if body.elector_id is None:
        if len(electors) > 1:
            raise Refused(_("Say which homes your proxy votes for (elector_id)."), "elector",
                          kind="conflict")
        elector = electors[0]
    else:
        elector = next((e for e in electors if e.id == body.elector_id), None)
        if elector is None:
            raise Refused.forbidden(_("You do not vote for these homes."), "not_elector")
    proxy, _replaced, _known = proxies.grant(user, vote, elector, body.name, body.phone)
    return answer(proxy_shape(proxy, set()), 201)


@bp.delete("/votes/<int:vote_id>/proxies/<int:proxy_id>", **write(
    None, "Votes", "Withdraw an authorisation (until the proxy has voted)", status="204"))
def revoke_proxy(path: ProxyPath):
    from consult.votes import proxies

    proxies.revoke(require_user(), _proxy(path))
    return "", 204


@bp.post("/votes/<int:vote_id>/proxies/<int:proxy_id>/acceptance", **write(
    Proxy, "Votes", "Accept an authorisation naming one's phone number", status="200"))
def accept_proxy(path: ProxyPath):
    from consult.votes import proxies

    p = proxies.accept(require_user(), _proxy(path))
    return answer(proxy_shape(p, set()))


@bp.post("/votes/<int:vote_id>/proxies/<int:proxy_id>/ballots", **write(
    s.BallotResult, "Votes", "Cast or change the ballot of the homes one is the proxy of"))
@ballot_limit
@refused_as(option="conflict")  # not one of this vote's options
def proxy_cast(path: ProxyPath, body: s.BallotBody):
    from consult.votes import proxies

    ballot = proxies.cast(require_user(), _proxy(path), body.option)
    return answer(s.BallotResult(vote_id=path.vote_id, option=body.option,
                                 receipts=[receipt(ballot)]), 201)
