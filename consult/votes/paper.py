"""Paper ballots (书面表决票): printing them, entering returned ones twice (双人核对), resolving
the papers whose two entries differ, and their photos.

* **Printing** is a POST (:func:`print_papers`): it gives every elector in the chosen scope
  (one building, or the whole electorate) a paper with a serial, keeping the serial of a paper
  printed before, and the printable page (a GET) then shows the papers that exist. Reprinting
  gives the same serials.
* **Entry** (:func:`enter`): a grid worker of the elector's grid or a secretary types the
  serial and what the paper says (an option, or spoilt). The first entry waits; the next
  person to enter the same paper confirms it without being shown the first entry. If the two
  agree, the paper's ballot is recorded through :func:`consult.votes.service.record_ballot`
  (channel ``paper``; the last ballot cast counts, by confirmation time); a spoilt paper is
  recorded but counts as no ballot. If they differ, the paper waits for a secretary's
  :func:`resolve`, who reads the paper (or its photo) and decides.
* Nobody confirms their own entry; a paper counted once is never counted again; nothing is
  entered before the vote opens or once it has closed.

Every step is in the audit log, on the paper (never on the topic's public log).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from consult.accounts.models import User
from consult.audit.log import record
from consult.clock import utcnow
from consult.database import insert_on_conflict
from consult.community.models import Building, Grid
from consult.extensions import db
from consult.permissions import check
from consult.refusals import Refused
from consult.votes import paper_rules as rules
from consult.votes import service
from consult.votes.models import Channel, Elector, ElectorMember, Vote
from consult.votes.paper_models import EntryKind, PaperBallot, PaperEntry, PaperStatus

PHOTO_FOLDER = "paper-photos"
PRINT_SLICE = 1000  # papers per INSERT statement


def _refuse(refusal) -> None:
    if refusal is not None:
        raise Refused.forbidden(refusal.message, refusal.code)


# --- printing -----------------------------------------------------------------------------------

def print_refusal(actor, vote: Vote, building: Building | None,
                  now: datetime | None = None) -> Refused | None:
    """Why ``actor`` may not print papers of ``vote`` for ``building`` (None: the whole
    electorate), or None."""
    refusal = (check(actor, "topic.manage", vote.topic) if building is None
               else check(actor, "vote.paper", building))
    if refusal is not None:
        return Refused.forbidden(refusal.message, refusal.code)
    if building is not None and building.grid.community_id != vote.community_id:
        return Refused(_l("This building is not in the vote's community."), "building")
    if not vote.ready:  # the papers are those of the electors: wait for the whole list
        return Refused(service.PREPARING)
    now = now or utcnow()
    if vote.is_closed(now) or vote.result is not None:
        return Refused(_l("Voting has closed: no more paper ballots are printed."))
    return None


def print_papers(actor, vote: Vote, building: Building | None = None) -> int:
    """Give every elector in the scope a paper with a serial (a paper printed before keeps its
    serial). Returns how many papers are new."""
    if (why := print_refusal(actor, vote, building)) is not None:
        raise why
    stmt = select(Elector.id).where(Elector.vote_id == vote.id)
    if building is not None:
        stmt = stmt.where(Elector.building_id == building.id)
    have = select(PaperBallot.elector_id).where(PaperBallot.vote_id == vote.id)
    missing = list(db.session.scalars(stmt.where(Elector.id.not_in(have)).order_by(Elector.id)))
    now = utcnow()
    rows = [{"vote_id": vote.id, "elector_id": elector_id, "serial": rules.new_serial(),
             "printed_at": now, "printed_by_id": actor.id, "status": PaperStatus.PRINTED.value}
            for elector_id in missing]
    created = 0
    if rows:
        # Two people printing at once: the second keeps the first one's serials. In slices:
        # one statement may carry only so many parameters (SQLite).
        for start in range(0, len(rows), PRINT_SLICE):
            created += len(db.session.execute(
                insert_on_conflict(db.session, PaperBallot).values(
                    rows[start:start + PRINT_SLICE])
                .on_conflict_do_nothing(index_elements=["vote_id", "elector_id"])
                .returning(PaperBallot.id)).all())
    record("vote.paper_print", vote, actor=actor, community_id=vote.community_id, details={
        "vote_id": vote.id, "building_id": building.id if building is not None else None,
        "new": created})
    return created


@dataclass
class Sheet:
    """One printable paper."""

    serial: str
    units_label: str
    names: list[str]


def sheets(vote: Vote, building: Building | None = None) -> list[Sheet]:
    """The papers printed for the scope, by home, with the names of the elector's people
    (left empty for a secret vote). Two queries."""
    stmt = (select(PaperBallot.serial, Elector.id, Elector.key, Elector.units_label)
            .join(Elector, Elector.id == PaperBallot.elector_id)
            .where(PaperBallot.vote_id == vote.id))
    if building is not None:
        stmt = stmt.where(Elector.building_id == building.id)
    rows = db.session.execute(stmt.order_by(Elector.units_label, Elector.id)).all()
    names: dict[int, list[str]] = {}
    if rows and not vote.secret:
        for elector_id, name in db.session.execute(
                select(ElectorMember.elector_id, User.name)
                .join(User, User.id == ElectorMember.user_id)
                .where(ElectorMember.vote_id == vote.id,
                       ElectorMember.elector_id.in_([r.id for r in rows]))
                .order_by(ElectorMember.elector_id, User.name)):
            names.setdefault(elector_id, []).append(name)
    return [Sheet(serial, units or (key if key == "developer" else ""), names.get(eid, []))
            for serial, eid, key, units in rows]


def printable_buildings(viewer, vote: Vote) -> list[Building]:
    """The buildings of the vote's electorate the viewer may print for, by name."""
    ids = select(Elector.building_id).where(Elector.vote_id == vote.id).distinct()
    buildings = db.session.scalars(
        select(Building).join(Grid).options(contains_eager(Building.grid))
        .where(Building.id.in_(ids)).order_by(Grid.name, Building.name)).all()
    return [b for b in buildings if check(viewer, "vote.paper", b) is None]


# --- entering -----------------------------------------------------------------------------------

@dataclass
class Entered:
    """What an entry did: ``step`` is :data:`rules.FIRST`, :data:`rules.AGREE` or
    :data:`rules.DISAGREE`; on a disagreement ``other`` is what the first person read."""

    paper: PaperBallot
    entry: PaperEntry
    step: str
    other: str | None = None


def desk_refusal(actor, vote: Vote) -> Refused | None:
    """May ``actor`` use the paper ballot desk of ``vote`` at all (a grid worker of the
    community, or a secretary)?"""
    refusal = check(actor, "vote.paper_desk", vote.community_id)
    return Refused.forbidden(refusal.message, refusal.code) if refusal is not None else None


def _open_for_paper(actor, vote: Vote) -> None:
    service.hold_open(vote)
    if (why := service.cast_refusal(actor, vote)) is not None:
        raise Refused(why)


def _paper_by_serial(vote: Vote, serial: str) -> PaperBallot:
    normal = rules.normalise_serial(serial)
    paper = None if normal is None else db.session.scalar(
        select(PaperBallot).where(PaperBallot.vote_id == vote.id, PaperBallot.serial == normal)
        .with_for_update())
    if paper is None:
        raise Refused(_l("No paper ballot of this vote has this serial number; check it "
                         "against the paper."), "serial")
    db.session.refresh(paper)  # the status as it is now that the row is ours
    return paper


def _choice(vote: Vote, option: str | None, spoilt: bool) -> str | None:
    if spoilt:
        if option:
            raise Refused(_l("Choose one of the options or spoilt, not both."), "option")
        return None
    if not option or option not in vote.options:
        raise Refused(_l("Choose what the paper says: one of the options, or spoilt."),
                      "option")
    return option


def _first_entry(paper: PaperBallot) -> PaperEntry | None:
    return db.session.scalar(select(PaperEntry).where(
        PaperEntry.paper_id == paper.id, PaperEntry.kind == EntryKind.ENTRY.value))


def enter(actor, vote: Vote, serial: str, option: str | None, *, spoilt: bool = False,
          photo: bytes | None = None) -> Entered:
    """Enter a returned paper, or confirm one another person entered (see the module's
    docstring). ``option`` is one of the vote's options, or None with ``spoilt``."""
    if (why := desk_refusal(actor, vote)) is not None:
        raise why
    _open_for_paper(actor, vote)
    paper = _paper_by_serial(vote, serial)
    building = db.session.get(Building, paper.elector.building_id) \
        if paper.elector.building_id is not None else None
    _refuse(check(actor, "vote.paper", building if building is not None else vote.community_id))
    choice = _choice(vote, option, spoilt)
    stored_photo = _checked_photo(photo)
    first = _first_entry(paper)
    step = rules.decide(paper.status, None if first is None else
                        rules.Mark(first.option, first.entered_by_id), rules.Mark(choice, actor.id))
    if step == rules.DONE:
        raise Refused(_l("This paper ballot was already entered and confirmed; a paper "
                         "counts once."), "serial", conflict=True)
    if step == rules.DISPUTED:
        raise Refused(_l("The two entries of this paper differ; a secretary resolves it "
                         "from the paper."), "serial", conflict=True)
    if step == rules.OWN:
        raise Refused(_l("You entered this paper yourself: another person (a secretary, or "
                         "another grid worker of this grid) must confirm it."), "serial",
                      conflict=True)
    now = utcnow()
    kind = EntryKind.ENTRY if step == rules.FIRST else EntryKind.CONFIRMATION
    entry = _add_entry(paper, kind, choice, actor, now, stored_photo)
    if step == rules.FIRST:
        paper.status = PaperStatus.ENTERED.value
    elif step == rules.AGREE:
        _count(actor, vote, paper, choice, now)
    else:
        paper.status = PaperStatus.DISPUTED.value
    record(f"vote.paper_{kind.value}", paper, actor=actor, community_id=vote.community_id,
           details={"vote_id": vote.id, "serial": paper.serial, "option": choice,
                    "spoilt": choice is None, "step": step, "photo": stored_photo is not None})
    _save_photo(stored_photo, entry)
    return Entered(paper, entry, step, first.option if step == rules.DISAGREE else None)


def _add_entry(paper: PaperBallot, kind: EntryKind, choice: str | None, actor, now: datetime,
               photo) -> PaperEntry:
    entry = PaperEntry(paper_id=paper.id, kind=kind.value, option=choice,
                       entered_by_id=actor.id, entered_at=now,
                       photo=photo[0] if photo else None, photo_type=photo[1] if photo else None)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:  # another person's entry of the same kind got there first
        raise Refused(_l("Someone else entered this paper at the same moment; look at it "
                         "again."), "serial", conflict=True) from None
    return entry


def _count(actor, vote: Vote, paper: PaperBallot, choice: str | None, now: datetime) -> None:
    """The paper is decided: record its ballot (a spoilt paper records none)."""
    paper.decided_at = now
    if choice is None:
        paper.status = PaperStatus.SPOILT.value
        return
    paper.status = PaperStatus.COUNTED.value
    ballot, replaced = service.record_ballot(vote, paper.elector, choice, actor=actor, now=now,
                                             channel=Channel.PAPER.value)
    paper.ballot_id = ballot.id
    service.tell_replaced(vote, paper.elector, replaced, ballot)


# --- resolving ----------------------------------------------------------------------------------

def resolve(actor, paper: PaperBallot, option: str | None, *, spoilt: bool = False,
            photo: bytes | None = None) -> PaperEntry:
    """A secretary reads a disputed paper (or its photo) and decides what it says; that is
    what counts. Neither of the two who entered it may decide it."""
    vote = db.session.get(Vote, paper.vote_id)
    _refuse(check(actor, "vote.paper_resolve", vote))
    _open_for_paper(actor, vote)
    paper = _paper_by_serial(vote, paper.serial)
    if paper.status != PaperStatus.DISPUTED.value:
        raise Refused(_l("This paper is not waiting for a resolution."), conflict=True)
    entries = db.session.scalars(select(PaperEntry).where(PaperEntry.paper_id == paper.id)
                                 .order_by(PaperEntry.id)).all()
    if any(e.entered_by_id == actor.id for e in entries):
        raise Refused.forbidden(_l("You entered this paper yourself: another secretary or an "
                                   "administrator of the community resolves it."))
    choice = _choice(vote, option, spoilt)
    stored_photo = _checked_photo(photo)
    now = utcnow()
    entry = _add_entry(paper, EntryKind.RESOLUTION, choice, actor, now, stored_photo)
    _count(actor, vote, paper, choice, now)
    record("vote.paper_resolution", paper, actor=actor, community_id=vote.community_id,
           details={"vote_id": vote.id, "serial": paper.serial, "option": choice,
                    "spoilt": choice is None,
                    "entries": [{"kind": e.kind, "option": e.option, "by": e.entered_by_id}
                                for e in entries]})
    _save_photo(stored_photo, entry)
    return entry


# --- photos -------------------------------------------------------------------------------------

def _checked_photo(data: bytes | None) -> tuple[str, str, bytes] | None:
    """(file name, content type, content) of an acceptable photo, None for no photo."""
    if not data:
        return None
    if len(data) > rules.PHOTO_MAX_BYTES:
        raise Refused(_l("A photo can be at most %(n)d MB.",
                         n=rules.PHOTO_MAX_BYTES // (1024 * 1024)), "photo")
    kind = rules.photo_kind(data)
    if kind is None:
        raise Refused(_l("The photo must be a JPEG, PNG or WebP picture."), "photo")
    return f"{secrets.token_hex(16)}.{kind}", rules.PHOTO_TYPES[kind], data


def photo_folder() -> str:
    """Outside the web root: under the app's instance folder."""
    return os.path.join(current_app.instance_path, PHOTO_FOLDER)


def _save_photo(photo, entry: PaperEntry) -> None:
    """Written last, once everything else was accepted (a file is not rolled back)."""
    if not photo:
        return
    os.makedirs(photo_folder(), exist_ok=True)
    with open(os.path.join(photo_folder(), photo[0]), "xb") as out:
        out.write(photo[2])


def photo_of(actor, entry_id: int) -> tuple[str, str]:
    """(path, content type) of an entry's photo, for the secretaries of the vote's community."""
    entry = db.session.get(PaperEntry, entry_id)
    if entry is None or not entry.photo:
        raise Refused(_l("There is no such photo."), kind="not_found")
    vote = db.session.get(Vote, entry.paper.vote_id)
    _refuse(check(actor, "vote.paper_photo", vote))
    path = os.path.join(photo_folder(), os.path.basename(entry.photo))
    if not os.path.isfile(path):
        raise Refused(_l("There is no such photo."), kind="not_found")
    return path, entry.photo_type or "application/octet-stream"


# --- reading ------------------------------------------------------------------------------------

def paper_by_id(vote: Vote, paper_id: int) -> PaperBallot | None:
    return db.session.scalar(select(PaperBallot).where(PaperBallot.id == paper_id,
                                                       PaperBallot.vote_id == vote.id))


@dataclass
class Progress:
    printed: int = 0
    entered: int = 0  # entered at least once
    waiting: int = 0  # entered once, waiting for confirmation
    confirmed: int = 0  # counted or spoilt
    spoilt: int = 0
    disputed: int = 0


def progress(vote: Vote) -> Progress:
    """How far the paper ballots of a vote are: one query."""
    counts = dict(db.session.execute(
        select(PaperBallot.status, func.count()).where(PaperBallot.vote_id == vote.id)
        .group_by(PaperBallot.status)).all())
    done = counts.get(PaperStatus.COUNTED.value, 0) + counts.get(PaperStatus.SPOILT.value, 0)
    waiting = counts.get(PaperStatus.ENTERED.value, 0)
    disputed = counts.get(PaperStatus.DISPUTED.value, 0)
    return Progress(printed=sum(counts.values()), entered=done + waiting + disputed,
                    waiting=waiting, confirmed=done,
                    spoilt=counts.get(PaperStatus.SPOILT.value, 0), disputed=disputed)


@dataclass
class Dispute:
    paper: PaperBallot
    units_label: str
    entries: list[tuple[PaperEntry, str]]  # (entry, name of who entered it)


def disputes(viewer, vote: Vote) -> list[Dispute]:
    """The papers whose two entries differ that ``viewer`` is shown: all of them to the
    secretaries, to a grid worker the ones they entered."""
    papers = db.session.scalars(
        select(PaperBallot).where(PaperBallot.vote_id == vote.id,
                                  PaperBallot.status == PaperStatus.DISPUTED.value)
        .order_by(PaperBallot.id)).all()
    if not papers:
        return []
    entries: dict[int, list[tuple[PaperEntry, str]]] = {}
    for entry, name in db.session.execute(
            select(PaperEntry, User.name).outerjoin(User, User.id == PaperEntry.entered_by_id)
            .where(PaperEntry.paper_id.in_([p.id for p in papers])).order_by(PaperEntry.id)):
        entries.setdefault(entry.paper_id, []).append((entry, name or ""))
    labels = dict(db.session.execute(select(Elector.id, Elector.units_label).where(
        Elector.id.in_([p.elector_id for p in papers]))).all())
    everything = check(viewer, "vote.paper_resolve", vote) is None
    return [Dispute(p, labels.get(p.elector_id, ""), entries.get(p.id, [])) for p in papers
            if everything or any(e.entered_by_id == viewer.id for e, _ in entries.get(p.id, []))]


def waiting_of(viewer, vote: Vote) -> list[str]:
    """The serials ``viewer`` entered that wait for a second person (never what was read)."""
    return list(db.session.scalars(
        select(PaperBallot.serial).join(PaperEntry, PaperEntry.paper_id == PaperBallot.id)
        .where(PaperBallot.vote_id == vote.id,
               PaperBallot.status == PaperStatus.ENTERED.value,
               PaperEntry.kind == EntryKind.ENTRY.value, PaperEntry.entered_by_id == viewer.id)
        .order_by(PaperBallot.serial)))


def channel_counts(vote: Vote) -> dict[str, int]:
    """Counted ballots per channel (online, paper, proxy): stored with the result once the
    vote is tallied (:func:`consult.votes.service.figures`)."""
    if (stored := service.closed_figures(vote)) is not None:
        return {c.value: int(stored["channels"].get(c.value, 0)) for c in Channel}
    return service.count_channels(vote)
