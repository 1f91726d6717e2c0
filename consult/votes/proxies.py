"""Proxies (委托投票): an owner authorises another adult to cast their home's ballot in one vote.

* Online, the owner (a member of the elector) names the proxy and their phone while the vote is
  announced or open; the authorisation waits until the person logged in with that phone accepts
  it (they are told, when the phone belongs to an account; otherwise nobody is told anything
  automatically: the owner tells them, SMS comes in a later issue).
* On paper, a secretary records a signed authorisation form (its reference and an optional scan);
  it is active at once.

Rules: nobody is their own proxy (nor a co-owner of the same homes, who votes anyway); one live
authorisation per elector (a new one replaces the old one); at most ``PROXY_LIMIT`` live
authorisations per proxy (by phone) per vote. The owner may revoke until the proxy has voted.
A proxy ballot goes through :func:`consult.votes.service.record_ballot` with channel "proxy"
and a link to its authorisation; the owner's own ballot (online or on paper) ends the proxy's
power to vote for them: the proxy cannot replace it.

Writes, creation, acceptance, revocation and every proxy ballot are audit-logged.
"""
from __future__ import annotations

import functools
import os
import secrets
import zlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, bindparam, exists, select, text

from consult.accounts.identity import normalise_phone
from consult.accounts.models import User
from consult.audit.log import record
from consult.clock import utcnow
from consult.extensions import db
from consult.notifications import kinds
from consult.notifications.service import notify
from consult.permissions import check
from consult.refusals import Refused
from consult.votes import service
from consult.votes.models import Ballot, Channel, Elector, ElectorMember, Vote, VoteProxy

NAME_MAX = 60
REFERENCE_MAX = 60
DEFAULT_LIMIT = 3
DEFAULT_SCAN_MAX = 5 * 1024 * 1024
# What a scan may be, by its first bytes (never by its name or the browser's word).
SCAN_KINDS = ((b"\xff\xd8\xff", "jpg", "image/jpeg"),
              (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
              (b"%PDF-", "pdf", "application/pdf"))

kinds.register("vote.proxy_asked", _l(
    "%(owner)s asks you to vote for %(units)s on “%(question)s”. Accept it on the vote's page."))
kinds.register("vote.proxy_recorded", _l(
    "A signed authorisation names you the proxy of %(units)s on “%(question)s”: you may vote "
    "for them on the vote's page."))
kinds.register("vote.proxy_accepted", _l(
    "%(proxy)s accepted to vote for %(units)s on “%(question)s”."))
kinds.register("vote.proxy_revoked", _l(
    "You may no longer vote for %(units)s on “%(question)s”: the authorisation was withdrawn."))


def limit() -> int:
    return int(current_app.config.get("PROXY_LIMIT", DEFAULT_LIMIT))


def scan_max() -> int:
    return int(current_app.config.get("PROXY_SCAN_MAX_BYTES", DEFAULT_SCAN_MAX))


def scan_dir() -> str:
    return current_app.config.get("PROXY_SCAN_DIR") or os.path.join(
        current_app.instance_path, "proxy_scans")


@dataclass(frozen=True)
class Seat:
    """An elector and who belongs to it, for the permission table ("vote.proxy_grant")."""

    elector: Elector
    member_ids: frozenset[int]
    community_id: int


def seat(vote: Vote, elector: Elector) -> Seat:
    ids = frozenset(db.session.scalars(select(ElectorMember.user_id).where(
        ElectorMember.elector_id == elector.id)))
    return Seat(elector, ids, vote.community_id)


def _units(elector: Elector) -> str:
    return elector.units_label or ""


def _params(vote: Vote, elector: Elector, **more) -> dict:
    return {**service.notice_params(vote), "units": _units(elector), **more}


# --- the rules --------------------------------------------------------------------------------

def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused(_l("Write the proxy's name."), "name")
    if len(name) > NAME_MAX:
        raise Refused(_l("The name can be at most %(n)d characters.", n=NAME_MAX), "name")
    return name


def _clean_phone(phone: str) -> str:
    normalised = normalise_phone(phone or "")
    if normalised is None:
        raise Refused(_l("Give the proxy's phone number, e.g. 13800138000."), "phone")
    return normalised


def _still_open(vote: Vote) -> None:
    """Announced or open, and no result stored (the vote's row held as for a ballot)."""
    service.hold_open(vote)
    if utcnow() >= vote.closes_at:
        raise Refused(_l("Voting has closed."))


def _lock_elector(elector: Elector) -> None:
    db.session.execute(select(Elector.id).where(Elector.id == elector.id).with_for_update())


def _lock_phone(vote: Vote, phone: str) -> None:
    """Two owners naming the same proxy at once queue here (PostgreSQL; SQLite's writer's lock
    already serialises them), so the limit cannot be passed by a race."""
    if db.session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"vote-proxy:{vote.id}:{phone}".encode()) - 2**31
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def live_proxy(elector: Elector) -> VoteProxy | None:
    return db.session.scalar(select(VoteProxy).where(VoteProxy.elector_id == elector.id,
                                                     VoteProxy.revoked_at.is_(None)))


def has_voted(proxy: VoteProxy) -> bool:
    return bool(db.session.scalar(select(exists().where(Ballot.proxy_id == proxy.id))))


def live_count(vote: Vote, phone: str) -> int:
    return len(db.session.scalars(select(VoteProxy.id).where(
        VoteProxy.vote_id == vote.id, VoteProxy.proxy_phone == phone,
        VoteProxy.revoked_at.is_(None))).all())


def check_limit(live: int, allowed: int) -> None:
    """Refuse one authorisation more than ``allowed`` for a proxy who holds ``live`` already."""
    if live >= allowed:
        raise Refused(_l("This person is already the proxy of %(n)d homes in this vote, the most "
                         "one person may be. Choose another proxy.", n=allowed), "phone",
                      kind="conflict")


def check_not_self(phone: str, member_phones: dict[str, str], actor_phone: str | None) -> None:
    """Nobody is their own proxy, nor a co-owner of the same homes (who votes anyway)."""
    if actor_phone is not None and phone == actor_phone:
        raise Refused(_l("You cannot be your own proxy: give the phone number of the person "
                         "who will vote for you."), "phone")
    if phone in member_phones:
        raise Refused(_l("%(name)s may already vote for these homes: a proxy is someone else.",
                         name=member_phones[phone]), "phone")


def _member_phones(elector: Elector) -> dict[str, str]:
    return {phone: name for phone, name in db.session.execute(
        select(User.phone, User.name).join(ElectorMember, ElectorMember.user_id == User.id)
        .where(ElectorMember.elector_id == elector.id, User.phone.is_not(None)))}


def _end_current(actor, elector: Elector, now: datetime) -> VoteProxy | None:
    current = live_proxy(elector)
    if current is None:
        return None
    if has_voted(current):
        raise Refused(_l("%(name)s has already voted for these homes: that authorisation can no "
                         "longer be withdrawn or replaced. You may still vote yourself; your "
                         "ballot then counts.", name=current.proxy_name))
    current.revoked_at = now
    current.revoked_by_id = actor.id
    current.revoked_reason = "replaced"
    db.session.flush()  # before the new one: one live authorisation per elector
    return current


def _create(actor, vote: Vote, elector: Elector, name: str, phone: str, *, channel: str,
            reference: str = "") -> tuple[VoteProxy, VoteProxy | None]:
    name, phone = _clean_name(name), _clean_phone(phone)
    check_not_self(phone, _member_phones(elector),
                   None if channel == Channel.PAPER.value else actor.phone)
    _lock_phone(vote, phone)
    _lock_elector(elector)
    now = utcnow()
    replaced = _end_current(actor, elector, now)
    check_limit(live_count(vote, phone), limit())
    user_id = db.session.scalar(select(User.id).where(User.phone == phone))
    proxy = VoteProxy(vote_id=vote.id, elector_id=elector.id, proxy_name=name, proxy_phone=phone,
                      channel=channel, reference=reference, created_at=now,
                      created_by_id=actor.id,
                      granted_by_id=actor.id if channel == Channel.ONLINE.value else None,
                      accepted_at=now if channel == Channel.PAPER.value else None,
                      proxy_user_id=user_id if channel == Channel.PAPER.value else None)
    db.session.add(proxy)
    db.session.flush()
    if replaced is not None and replaced.proxy_user_id is not None:
        notify([replaced.proxy_user_id], "vote.proxy_revoked", _params(vote, elector),
               service.vote_url(vote))
    return proxy, replaced


def grant(actor, vote: Vote, elector: Elector, name: str, phone: str) \
        -> tuple[VoteProxy, VoteProxy | None, bool]:
    """An owner authorises ``name`` (``phone``) to vote for ``elector``: it waits for them to
    accept. Returns the authorisation, the one it replaced, and whether the phone belongs to an
    account (who was then told; nobody else is)."""
    _still_open(vote)
    if (r := check(actor, "vote.proxy_grant", seat(vote, elector))) is not None:
        raise Refused.forbidden(r.message, r.code)
    proxy, replaced = _create(actor, vote, elector, name, phone, channel=Channel.ONLINE.value)
    user_id = db.session.scalar(select(User.id).where(User.phone == proxy.proxy_phone))
    if user_id is not None:
        notify([user_id], "vote.proxy_asked", _params(vote, elector, owner=actor.name),
               service.vote_url(vote))
    record("vote.proxy_create", proxy, actor=actor, community_id=vote.community_id, details={
        "vote_id": vote.id, "elector_id": elector.id, "channel": proxy.channel,
        "replaced": replaced.id if replaced else None},
        personal={"proxy_name": proxy.proxy_name}, subject_id=actor.id)
    return proxy, replaced, user_id is not None


def scan_kind(data: bytes) -> tuple[str, str] | None:
    """(extension, media type) of a JPEG, PNG or PDF by its content; None for anything else."""
    for magic, ext, mime in SCAN_KINDS:
        if data.startswith(magic):
            return ext, mime
    return None


def record_paper(actor, vote: Vote, elector: Elector, name: str, phone: str, reference: str,
                 scan: bytes | None = None) -> tuple[VoteProxy, VoteProxy | None]:
    """A secretary records a signed paper authorisation for ``elector``: active at once."""
    _still_open(vote)
    if (r := check(actor, "vote.proxy_record", vote)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if elector.vote_id != vote.id:
        raise Refused(_l("Choose one of the homes of this vote."), "elector")
    reference = " ".join((reference or "").split())
    if not reference:
        raise Refused(_l("Write the reference of the signed authorisation (e.g. the number on "
                         "the form)."), "reference")
    if len(reference) > REFERENCE_MAX:
        raise Refused(_l("The reference can be at most %(n)d characters.", n=REFERENCE_MAX),
                      "reference")
    kind = None
    if scan:
        if len(scan) > scan_max():
            raise Refused(_l("The scan can be at most %(n)d MB.", n=scan_max() // (1024 * 1024)),
                          "scan")
        kind = scan_kind(scan)
        if kind is None:
            raise Refused(_l("The scan must be a JPEG or PNG image or a PDF file."), "scan")
    proxy, replaced = _create(actor, vote, elector, name, phone, channel=Channel.PAPER.value,
                              reference=reference)
    if scan and kind is not None:
        relative = os.path.join(str(vote.id), f"{proxy.id}-{secrets.token_hex(8)}.{kind[0]}")
        path = os.path.join(scan_dir(), relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:  # a failed transaction leaves an unreferenced file only
            fh.write(scan)
        proxy.scan_path, proxy.scan_type = relative, kind[1]
    if proxy.proxy_user_id is not None:
        notify([proxy.proxy_user_id], "vote.proxy_recorded", _params(vote, elector),
               service.vote_url(vote))
    record("vote.proxy_create", proxy, actor=actor, community_id=vote.community_id, details={
        "vote_id": vote.id, "elector_id": elector.id, "channel": proxy.channel,
        "reference": reference, "scan": bool(scan),
        "replaced": replaced.id if replaced else None},
        personal={"proxy_name": proxy.proxy_name}, subject_id=proxy.proxy_user_id)
    return proxy, replaced


def scan_file(actor, proxy: VoteProxy) -> tuple[str, str]:
    """(absolute path, media type) of an authorisation's scan, for secretaries only."""
    vote = db.session.get(Vote, proxy.vote_id)
    if (r := check(actor, "vote.proxy_record", vote)) is not None:
        raise Refused.forbidden(r.message, r.code)
    if not proxy.scan_path:
        raise Refused(_l("This authorisation has no scan."), kind="not_found")
    return os.path.join(scan_dir(), proxy.scan_path), proxy.scan_type or "application/pdf"


def _is_the_proxy(actor, proxy: VoteProxy) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if proxy.proxy_user_id is not None:
        return proxy.proxy_user_id == actor.id
    return actor.phone is not None and actor.phone == proxy.proxy_phone


def _not_the_proxy():
    return Refused.forbidden(_l("This authorisation names someone else (by phone number)."))


def accept(actor, proxy: VoteProxy) -> VoteProxy:
    """The person named (logged in with the authorisation's phone) accepts it."""
    vote = db.session.get(Vote, proxy.vote_id)
    _still_open(vote)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Refused.forbidden(_l("Please log in first."), "login_required")
    if not _is_the_proxy(actor, proxy):
        raise _not_the_proxy()
    _lock_elector(proxy.elector)
    db.session.refresh(proxy)
    if proxy.revoked_at is not None:
        raise Refused(_l("This authorisation was withdrawn."))
    if proxy.accepted_at is not None:
        raise Refused(_l("You have already accepted this authorisation."))
    proxy.accepted_at = utcnow()
    proxy.proxy_user_id = actor.id
    if proxy.granted_by_id is not None:
        notify([proxy.granted_by_id], "vote.proxy_accepted",
               _params(vote, proxy.elector, proxy=proxy.proxy_name), service.vote_url(vote))
    record("vote.proxy_accept", proxy, actor=actor, community_id=vote.community_id,
           details={"vote_id": vote.id, "elector_id": proxy.elector_id})
    return proxy


def revoke(actor, proxy: VoteProxy) -> VoteProxy:
    """An owner of the homes (or a secretary, for a paper authorisation withdrawn on paper)
    withdraws it, until the proxy has voted."""
    vote = db.session.get(Vote, proxy.vote_id)
    _still_open(vote)
    owner = check(actor, "vote.proxy_grant", seat(vote, proxy.elector))
    if owner is not None and (proxy.channel != Channel.PAPER.value
                              or check(actor, "vote.proxy_record", vote) is not None):
        raise Refused.forbidden(owner.message, owner.code)
    _lock_elector(proxy.elector)
    db.session.refresh(proxy)
    if proxy.revoked_at is not None:
        raise Refused(_l("This authorisation was already withdrawn."))
    if has_voted(proxy):
        raise Refused(_l("%(name)s has already voted for these homes: the authorisation can no "
                         "longer be withdrawn. You may still vote yourself; your ballot then "
                         "counts.", name=proxy.proxy_name))
    proxy.revoked_at = utcnow()
    proxy.revoked_by_id = actor.id
    proxy.revoked_reason = "revoked"
    target = proxy.proxy_user_id or db.session.scalar(
        select(User.id).where(User.phone == proxy.proxy_phone))
    if target is not None:
        notify([target], "vote.proxy_revoked", _params(vote, proxy.elector),
               service.vote_url(vote), skip=[actor.id])
    record("vote.proxy_revoke", proxy, actor=actor, community_id=vote.community_id,
           details={"vote_id": vote.id, "elector_id": proxy.elector_id})
    return proxy


def cast(actor, proxy: VoteProxy, option: str) -> Ballot:
    """The proxy casts (or changes) the ballot of the homes they vote for. Refused once the
    owner voted themself (online or on paper): the owner's ballot counts."""
    vote = db.session.get(Vote, proxy.vote_id)
    service.hold_open(vote)
    if (why := service.cast_refusal(actor, vote)) is not None:
        raise Refused(why)
    if not _is_the_proxy(actor, proxy):
        raise _not_the_proxy()
    if option not in vote.options:
        raise Refused(_l("Choose one of the options."), "option")
    _lock_elector(proxy.elector)
    db.session.refresh(proxy)
    if proxy.revoked_at is not None:
        raise Refused(_l("This authorisation was withdrawn: you may no longer vote for these "
                         "homes."))
    if proxy.accepted_at is None:
        raise Refused(_l("Accept the authorisation first."))
    counted = db.session.scalar(select(Ballot).where(
        Ballot.vote_id == vote.id, Ballot.elector_id == proxy.elector_id,
        Ballot.counted.is_(True)))
    if counted is not None and counted.proxy_id != proxy.id:
        raise Refused(_l("The owner of these homes has voted themself: their ballot counts and "
                         "you may no longer vote for them."))
    if proxy.proxy_user_id is None:
        proxy.proxy_user_id = actor.id
    ballot, _replaced = service.record_ballot(
        vote, proxy.elector, option, actor=actor, now=utcnow(), channel=Channel.PROXY.value,
        proxy_id=proxy.id)
    record("vote.proxy_cast", proxy, actor=actor, community_id=vote.community_id,
           details={"vote_id": vote.id, "elector_id": proxy.elector_id,
                    "tracker": ballot.tracker})
    return ballot


# --- reads ------------------------------------------------------------------------------------

def given_by(viewer, vote: Vote) -> list[VoteProxy]:
    """The live authorisations for the electors ``viewer`` belongs to."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    return list(db.session.scalars(_given_by_statement(),
                                   {"vote_id": vote.id, "user_id": viewer.id}))


@functools.cache
def _given_by_statement():
    # Built once (every vote page asks): a statement used again skips building and keying.
    return (select(VoteProxy)
            .join(ElectorMember, ElectorMember.elector_id == VoteProxy.elector_id)
            .where(VoteProxy.vote_id == bindparam("vote_id", type_=Integer),
                   ElectorMember.user_id == bindparam("user_id", type_=Integer),
                   VoteProxy.revoked_at.is_(None)).order_by(VoteProxy.id))


def asked_of(viewer, vote: Vote) -> list[VoteProxy]:
    """The live authorisations of ``vote`` naming ``viewer`` (by phone, or accepted by them).
    The home page's to-do lists their votes (:func:`consult.votes.service.votes_to_cast`)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return []
    return list(db.session.scalars(_asked_of_statement(bool(viewer.phone)), {
        "vote_id": vote.id, "user_id": viewer.id, "phone": viewer.phone or ""}))


@functools.cache
def _asked_of_statement(by_phone: bool):
    # Built once per kind of reader (with a phone or not): reused, it skips building and keying.
    mine = (VoteProxy.proxy_user_id == bindparam("user_id", type_=Integer))
    if by_phone:
        mine = mine | ((VoteProxy.proxy_phone == bindparam("phone", type_=String))
                       & VoteProxy.proxy_user_id.is_(None))
    return (select(VoteProxy)
            .where(mine, VoteProxy.revoked_at.is_(None),
                   VoteProxy.vote_id == bindparam("vote_id", type_=Integer))
            .order_by(VoteProxy.id))


def of_vote(vote: Vote) -> list[VoteProxy]:
    """Every authorisation of a vote, newest first (the secretaries' list)."""
    return list(db.session.scalars(select(VoteProxy).where(VoteProxy.vote_id == vote.id)
                                   .order_by(VoteProxy.id.desc())))


def voted(proxies: list[VoteProxy]) -> set[int]:
    """Ids of those of ``proxies`` under which a ballot was cast (one query)."""
    ids = [p.id for p in proxies]
    if not ids:
        return set()
    return set(db.session.scalars(select(Ballot.proxy_id).distinct()
                                  .where(Ballot.proxy_id.in_(ids))))


def counted_for(proxies: list[VoteProxy]) -> dict[int, Ballot]:
    """The counted ballot of each proxy's elector, by elector id (one query)."""
    ids = [p.elector_id for p in proxies]
    if not ids:
        return {}
    return {b.elector_id: b for b in db.session.scalars(
        select(Ballot).where(Ballot.elector_id.in_(ids), Ballot.counted.is_(True)))}


def page_context(viewer, vote: Vote, now: datetime, mine: list[Ballot], eligible: bool) -> dict:
    """What the vote's page shows about proxies and about who cast the viewer's home's ballot:
    nothing (and no query) for a visitor."""
    from consult.votes.co_owners import cast_by_other

    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return {"proxies_given": [], "proxies_asked": [], "names": {}, "grant_electors": [],
                "may_grant": False, "proxy_voted": set(), "proxy_counted": {},
                "by_other": set(), "records_proxies": False}
    closed = vote.result is not None or now >= vote.closes_at
    given = given_by(viewer, vote) if eligible else []
    asked = asked_of(viewer, vote)
    both = given + asked
    counted = counted_for(asked)
    people = {b.cast_by_id for b in [*mine, *counted.values()]} | {
        p.granted_by_id for p in asked}
    return {
        "proxies_given": given, "proxies_asked": asked,
        "proxy_voted": voted(both), "proxy_counted": counted,
        "names": names(people),
        "by_other": {b.id for b in mine if cast_by_other(viewer, b)},
        "grant_electors": service.electors_of(viewer, vote) if eligible and not closed else [],
        "may_grant": eligible and not closed,
        "records_proxies": check(viewer, "vote.proxy_record", vote) is None,
    }


def names(user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
