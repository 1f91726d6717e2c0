"""Consents to a grid worker's help, and the acts a grid worker does for a resident under one.

* A resident gives a consent on their page (:func:`give_consent`), or a grid worker records
  one given in person, with how it was given (:func:`record_consent`); the resident is told and
  sees it on their page. Only the resident revokes it (:func:`revoke_consent`).
* With a consent that is active and covers the act, a grid worker of the consent's grid, where
  the resident still lives, casts the resident's ballot (:func:`vote_for`: an online ballot
  through ``record_ballot``, marked ``assisted_by``) or comments for them (:func:`comment_for`:
  ``comments.post(..., on_behalf_of=...)``, marked too). Each act is written to the audit log
  (actor: the worker; details: for whom, the consent), kept as an :class:`AssistedAct` the
  resident's page lists, and told to the resident in a notification.

Every function checks its own permission and raises :class:`Refused` before changing anything
it refuses; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult.audit.log import record
from consult.clock import local_to_utc, to_local, utcnow
from consult.community.models import Grid
from consult.extensions import db
from consult.grids import rules
from consult.grids.models import AssistedAct, Consent
from consult.grids.rules import Act, Source
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check, membership
from consult.refusals import Refused
from consult.topics import comments
from consult.topics.models import Comment, Topic
from consult.votes import service as votes
from consult.votes.models import Ballot, Vote

kinds.register("grid.consent_recorded", _l(
    "Grid worker %(worker)s recorded your consent to act for you (%(scope)s) until "
    "%(until)s. You can revoke it on your page."))
kinds.register("grid.voted_for", _l(
    "Grid worker %(worker)s cast your ballot on “%(question)s” for you, with your consent. "
    "Receipt: %(receipt)s."))
kinds.register("grid.commented_for", _l(
    "Grid worker %(worker)s posted a comment for you on “%(title)s”, with your consent."))

ASSISTANCE_URL = "/my/assistance"


def lives_in(resident, grid_id: int) -> bool:
    """Is ``resident`` verified to a home in the grid?"""
    return any(u[2] == grid_id for u in membership(resident).verified_units)


def ends_at_for(last_day: date) -> datetime:
    """A consent given "until ``last_day``" ends at the end of that day, local time."""
    return local_to_utc(datetime.combine(last_day + timedelta(days=1), time.min))


def last_day_of(consent) -> date:
    """The last (local) day a consent is in force."""
    return to_local(consent.ends_at - timedelta(seconds=1)).date()


def _clean_scope(scope: str | None) -> str:
    if scope not in rules.SCOPE_ACTS:
        raise Refused(_l("Choose what the grid worker may do for you."), "scope")
    return scope


def _period(last_day: date | None, now: datetime) -> datetime:
    if last_day is not None and not date(2000, 1, 1) <= last_day <= date(2200, 1, 1):
        raise Refused(_l("The consent must end in the future."), "last_day")
    ends_at = ends_at_for(last_day) if last_day is not None else None
    if (why := rules.period_refusal(now, ends_at, now)) is not None:
        raise Refused(why, "last_day")
    return ends_at


def _audit_consent(action: str, consent: Consent, actor, grid: Grid, **details) -> None:
    record(action, consent, actor=actor, community_id=grid.community_id, details={
        "resident_id": consent.resident_id, "grid_id": consent.grid_id,
        "scope": consent.scope, "source": consent.source,
        "ends_at": consent.ends_at.isoformat(), **details})


def give_consent(resident, grid: Grid, scope: str | None, last_day: date | None) -> Consent:
    """``resident`` lets the grid workers of ``grid``, where they live, act for them."""
    if (r := check(resident, "resident.act", grid)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if not lives_in(resident, grid.id):
        raise Refused(_l("You can give this consent only for the grid you live in."), "grid")
    now = utcnow()
    consent = Consent(resident_id=resident.id, grid_id=grid.id, scope=_clean_scope(scope),
                      source=Source.ONLINE.value, evidence="", starts_at=now,
                      ends_at=_period(last_day, now), created_at=now)
    db.session.add(consent)
    db.session.flush()
    _audit_consent("grid.consent_give", consent, resident, grid)
    return consent


def record_consent(actor, grid: Grid, resident, scope: str | None, last_day: date | None,
                   evidence: str | None) -> Consent:
    """A grid worker of ``grid`` records the consent ``resident`` gave them in person."""
    if (r := check(actor, "grid.act_for", grid)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if not lives_in(resident, grid.id):
        raise Refused(_l("This resident is not verified to a home in your grid."))
    if resident.id == actor.id:
        raise Refused(_l("Nobody records a consent to act for themself."))
    scope = _clean_scope(scope)
    evidence, why = rules.clean_evidence(evidence)
    if why is not None:
        raise Refused(why, "evidence")
    now = utcnow()
    consent = Consent(resident_id=resident.id, grid_id=grid.id, scope=scope,
                      source=Source.IN_PERSON.value, evidence=evidence, starts_at=now,
                      ends_at=_period(last_day, now), created_at=now, recorded_by_id=actor.id)
    db.session.add(consent)
    db.session.flush()
    _audit_consent("grid.consent_record", consent, actor, grid, evidence=evidence)
    notify([resident.id], "grid.consent_recorded", {
        "worker": actor.name, "scope": str(rules.SCOPE_LABELS[scope]),
        "until": last_day_of(consent).isoformat(),
        "consent_id": consent.id}, ASSISTANCE_URL)
    return consent


def revoke_consent(actor, consent: Consent) -> None:
    """The resident takes their consent back; it stays in the list, revoked."""
    if consent.resident_id != getattr(actor, "id", None):
        raise Refused(_l("There is no such consent of yours."), kind="not_found")
    if rules.state(consent, utcnow()) in (rules.State.REVOKED, rules.State.EXPIRED):
        raise Refused(_l("This consent is no longer in force."))
    consent.revoked_at = utcnow()
    consent.revoked_by_id = actor.id
    _audit_consent("grid.consent_revoke", consent, actor, db.session.get(Grid, consent.grid_id))


@dataclass(frozen=True)
class _InGrid:
    """Something in one grid, for the permission table (which reads ``grid_id``)."""

    grid_id: int


def consent_for(actor, resident, act: str) -> Consent:
    """The consent that lets ``actor`` do ``act`` for ``resident`` now, or :class:`Refused`
    saying why not: not a grid worker of a grid where the resident lives, no consent, or one
    revoked, expired or not covering the act."""
    if membership(actor).user_id is None:
        raise Refused.forbidden(_l("Please log in first."), "login_required")
    if actor.id == resident.id:
        raise Refused.forbidden(_l("Nobody acts for themself under a consent."))
    shared = sorted(g for g in {u[2] for u in membership(resident).verified_units}
                    if check(actor, "grid.act_for", _InGrid(g)) is None)
    if not shared:
        raise Refused.forbidden(_l("This resident does not live in a grid you work in."))
    now = utcnow()
    consents = db.session.scalars(
        select(Consent).where(Consent.resident_id == resident.id, Consent.grid_id.in_(shared))
        .order_by(Consent.created_at.desc(), Consent.id.desc())).all()
    for consent in consents:
        if rules.act_refusal(consent, act, now) is None:
            return consent
    raise Refused(rules.act_refusal(consents[0] if consents else None, act, now))


def _done(actor, resident, consent: Consent, kind: str, **columns) -> AssistedAct:
    act = AssistedAct(consent_id=consent.id, resident_id=resident.id, worker_id=actor.id,
                      kind=kind, at=utcnow(), **columns)
    db.session.add(act)
    db.session.flush()
    return act


def vote_for(actor, resident, vote: Vote, option: str, *,
             replace_other: bool = False) -> list[Ballot]:
    """Cast ``resident``'s ballot in ``vote`` for them, under their consent: the same
    :func:`consult.votes.service.cast` as the resident's own, for each of the resident's
    electors, marked as assisted by ``actor``."""
    consent = consent_for(actor, resident, Act.VOTE.value)
    ballots = votes.cast(actor, vote, option, for_user=resident, replace_other=replace_other)
    for ballot in ballots:
        _done(actor, resident, consent, Act.VOTE.value, vote_id=vote.id, ballot_id=ballot.id,
              topic_id=vote.topic_id, summary=vote.question)
    # How they voted stays out of the log (a secret vote's ballots are not in it either).
    record("grid.vote_for", vote, actor=actor, community_id=vote.community_id, details={
        "for": resident.id, "consent_id": consent.id, "vote_id": vote.id,
        "ballots": [b.tracker for b in ballots]})
    notify([resident.id], "grid.voted_for", {
        "worker": actor.name, "question": vote.question, "vote_id": vote.id,
        "receipt": ", ".join(b.tracker for b in ballots)}, votes.vote_url(vote))
    return ballots


def comment_for(actor, resident, topic: Topic, body: str) -> Comment:
    """Comment on ``topic`` for ``resident`` under their consent: the comment is the
    resident's, marked "posted by grid worker X for Y"."""
    consent = consent_for(actor, resident, Act.COMMENT.value)
    comment = comments.post(actor, topic, body, on_behalf_of=resident)
    _done(actor, resident, consent, Act.COMMENT.value, topic_id=topic.id,
          comment_id=comment.id, summary=topic.title)
    record("grid.comment_for", topic, actor=actor, community_id=topic.community_id, details={
        "for": resident.id, "consent_id": consent.id, "comment_id": comment.id})
    notify([resident.id], "grid.commented_for", {
        "worker": actor.name, "title": topic.title, "topic_id": topic.id},
        comments.comment_url(comment))
    return comment
