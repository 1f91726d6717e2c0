"""A home's ballot cast by someone else: a co-owner, a proxy, or a paper ballot.

Co-owners (and the members of a household) share one ballot, the last cast counts. Nobody
replaces a ballot another person cast without being told so first (``replace_other``), and the
person whose ballot was replaced is told. Pages say truthfully who cast a home's ballot and when
(:func:`cast_by_names`); for a secret vote they show its option only to whoever cast it.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult.accounts.models import User
from consult.extensions import db
from consult.i18n import local_datetime
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.refusals import Refused
from consult.votes.models import Ballot, Channel, Elector, Vote

REPLACES_OTHER = "replaces_other"

kinds.register("vote.ballot_replaced_by_co_owner", _l(
    "%(name)s cast a new ballot for %(units)s on “%(question)s”: it replaces the one you cast."))
kinds.register("vote.proxy_ballot_replaced", _l(
    "The owner of %(units)s voted themself on “%(question)s”: their ballot replaces the one "
    "you cast for them."))


def cast_by_other(actor, ballot: Ballot) -> bool:
    """Was ``ballot`` cast by someone other than ``actor`` (a co-owner, a proxy, on paper)?"""
    return ballot.cast_by_id != actor.id or ballot.channel != Channel.ONLINE.value


def others_ballots(actor, vote: Vote, electors: list[Elector],
                   counted: list[Ballot] | None = None) -> list[Ballot]:
    """The counted ballots of ``electors`` that someone else cast, the electors' rows locked
    first (so none is cast between this look and the caller's ballot). ``counted``: the
    electors' counted ballots, read by a caller that already holds the electors' locks."""
    ids = sorted(e.id for e in electors)
    if not ids:
        return []
    if counted is None:
        db.session.execute(select(Elector.id).where(Elector.id.in_(ids)).order_by(Elector.id)
                           .with_for_update())
        counted = db.session.scalars(select(Ballot).where(
            Ballot.vote_id == vote.id, Ballot.elector_id.in_(ids), Ballot.counted.is_(True)))
    return [b for b in counted if cast_by_other(actor, b)]


def check_replacing(actor, vote: Vote, electors: list[Elector], replace_other: bool,
                    helper=None, counted: list[Ballot] | None = None) -> None:
    """Refuse to replace a ballot someone else cast unless the caller confirmed it. ``helper``:
    a grid worker casting for ``actor``; a ballot they cast for the same homes before is not
    someone else's. ``counted``: as for :func:`others_ballots`."""
    if replace_other:
        return
    others = others_ballots(actor, vote, electors, counted)
    if helper is not None:
        others = [b for b in others if not (b.cast_by_id == helper.id
                                             and b.channel == Channel.ONLINE.value)]
    if others:
        raise Refused(_l("Your home's ballot was cast by someone else (a co-owner, your proxy or "
                         "on paper). Your ballot would replace theirs: confirm that you want to "
                         "replace it."), "replace_other", kind="conflict", code=REPLACES_OTHER)


def tell_replaced(actor, vote: Vote, replaced: list[Ballot]) -> int:
    """Tell the co-owners and proxies whose ballots ``actor``'s ballots just replaced."""
    sent = 0
    for ballot in replaced:
        if ballot.cast_by_id is None or ballot.cast_by_id == actor.id \
                or ballot.channel == Channel.PAPER.value:
            continue
        elector = db.session.get(Elector, ballot.elector_id)
        params = {"question": vote.question, "vote_id": vote.id,
                  "closes": local_datetime(vote.closes_at, "short"),
                  "units": elector.units_label or "", "name": actor.name}
        kind = ("vote.proxy_ballot_replaced" if ballot.channel == Channel.PROXY.value
                else "vote.ballot_replaced_by_co_owner")
        sent += notify([ballot.cast_by_id], kind, params, f"/votes/{vote.id}")
    return sent


def cast_by_names(ballots: list[Ballot]) -> dict[int, str]:
    """user id -> name of whoever cast ``ballots`` (one query)."""
    ids = {b.cast_by_id for b in ballots if b.cast_by_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
