"""Administering studios: the studio itself, its rooms, opening hours, the representatives
attached to it, and the representatives' public profiles.

Plain functions like :mod:`consult.admin.service`: validate, change the session, write the
audit entry in the same transaction, or raise :class:`Refused` before changing anything.
Who may call them (``studio.manage``) is checked by the views.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import Role, RoleGrant, User
from consult.audit.log import record
from consult.clock import utcnow
from consult.community.models import Community
from consult.extensions import db
from consult.refusals import Refused
from consult.studios.models import (
    Body, OpeningHours, RepresentativeProfile, Room, Studio, StudioKind, StudioRepresentative,
    StudioSession,
)
from consult.studios.slots import parse_time

NAME_MAX = 80
ADDRESS_MAX = 200
AREA_MAX = 200
BIO_MAX = 2000


def clean_text(raw, field: str, *, max_len: int, required: bool = True) -> str:
    text = (raw or "").strip()
    if required and not text:
        raise Refused(_l("Please fill this in."), field)
    if len(text) > max_len:
        raise Refused(_l("At most %(max)d characters.", max=max_len), field)
    return text


def _flush_unique(message, field: str) -> None:
    """A UNIQUE violation from a concurrent request becomes the same refusal as the check."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Refused(message, field) from None


# --- studios -------------------------------------------------------------------------------

def _studio_fields(kind, name, address) -> dict:
    if kind not in {k.value for k in StudioKind}:
        raise Refused(_l("Choose the kind of studio."), "kind")
    return {"kind": kind, "name": clean_text(name, "name", max_len=NAME_MAX),
            "address": clean_text(address, "address", max_len=ADDRESS_MAX)}


def _studio_name_taken(community_id: int, name: str, except_id: int | None = None) -> bool:
    query = select(Studio.id).where(Studio.community_id == community_id, Studio.name == name)
    if except_id is not None:
        query = query.where(Studio.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


_STUDIO_TAKEN = _l("This community already has a studio with this name.")


def create_studio(actor, community: Community, *, kind, name, address) -> Studio:
    fields = _studio_fields(kind, name, address)
    if _studio_name_taken(community.id, fields["name"]):
        raise Refused(_STUDIO_TAKEN, "name")
    studio = Studio(community_id=community.id, **fields)
    db.session.add(studio)
    _flush_unique(_STUDIO_TAKEN, "name")
    record("studio.create", studio, actor=actor, community_id=community.id, details=fields)
    return studio


def update_studio(actor, studio: Studio, *, kind, name, address) -> dict:
    """Returns ``{field: [old, new]}``; empty when nothing changed."""
    fields = _studio_fields(kind, name, address)
    if fields["name"] != studio.name and _studio_name_taken(studio.community_id,
                                                            fields["name"], studio.id):
        raise Refused(_STUDIO_TAKEN, "name")
    changes = {k: [getattr(studio, k), v] for k, v in fields.items() if getattr(studio, k) != v}
    if not changes:
        return changes
    for key, (_old, new) in changes.items():
        setattr(studio, key, new)
    _flush_unique(_STUDIO_TAKEN, "name")
    record("studio.update", studio, actor=actor, community_id=studio.community_id,
           details={"changes": changes})
    return changes


# --- rooms ---------------------------------------------------------------------------------

_ROOM_TAKEN = _l("This studio already has a room with this name.")


def add_room(actor, studio: Studio, name) -> Room:
    name = clean_text(name, "name", max_len=NAME_MAX)
    if db.session.scalar(select(Room.id).where(Room.studio_id == studio.id, Room.name == name)):
        raise Refused(_ROOM_TAKEN, "name")
    room = Room(studio_id=studio.id, name=name)
    db.session.add(room)
    _flush_unique(_ROOM_TAKEN, "name")
    record("studio.room_add", room, actor=actor, community_id=studio.community_id,
           details={"studio": studio.name, "name": name})
    return room


def delete_room(actor, studio: Studio, room: Room) -> None:
    """Refused once any session was booked in it: that history must stay readable."""
    sessions = db.session.scalar(
        select(func.count(StudioSession.id)).where(StudioSession.room_id == room.id)) or 0
    if sessions:
        raise Refused(_l("The room %(name)s cannot be deleted: %(n)d sessions were booked "
                             "in it.", name=room.name, n=sessions))
    record("studio.room_delete", room, actor=actor, community_id=studio.community_id,
           details={"studio": studio.name, "name": room.name})
    db.session.delete(room)
    db.session.flush()


# --- opening hours -------------------------------------------------------------------------

def add_hours(actor, studio: Studio, weekday, opens, closes) -> OpeningHours:
    if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
        raise Refused(_l("Choose a day of the week."), "weekday")
    start, end = parse_time(opens), parse_time(closes)
    if start is None:
        raise Refused(_l("Enter a time like 09:00."), "opens")
    if end is None:
        raise Refused(_l("Enter a time like 17:30."), "closes")
    if end <= start:
        raise Refused(_l("The closing time must be after the opening time."), "closes")
    for h in studio.hours:
        if h.weekday == weekday and h.opens < end and start < h.closes:
            raise Refused(_l("This overlaps the opening hours %(opens)s–%(closes)s of "
                                 "that day.", opens=h.opens.strftime("%H:%M"),
                                 closes=h.closes.strftime("%H:%M")), "opens")
    hours = OpeningHours(weekday=weekday, opens=start, closes=end)
    studio.hours.append(hours)
    _flush_unique(_l("These opening hours already exist."), "opens")
    record("studio.hours_add", hours, actor=actor, community_id=studio.community_id,
           details={"studio": studio.name, "weekday": weekday, "opens": str(start),
                    "closes": str(end)})
    return hours


def delete_hours(actor, studio: Studio, hours: OpeningHours) -> None:
    """Sessions already booked stay; only new bookings must fit the new hours."""
    record("studio.hours_delete", hours, actor=actor, community_id=studio.community_id,
           details={"studio": studio.name, "weekday": hours.weekday, "opens": str(hours.opens),
                    "closes": str(hours.closes)})
    studio.hours.remove(hours)
    db.session.flush()


# --- representatives -----------------------------------------------------------------------

def representatives_of(community_id: int) -> list[User]:
    """Everyone holding the representative role in the community (one query)."""
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.community_id == community_id,
               RoleGrant.role == Role.REPRESENTATIVE.value)
        .order_by(User.name, User.id)))


def _representative(community_id: int, user_id, field: str) -> User:
    user = next((u for u in representatives_of(community_id) if u.id == user_id), None)
    if user is None:
        raise Refused(_l("Choose a representative of this community. Grant the role on "
                             "the role grants page first."), field)
    return user


def attach(actor, studio: Studio, user_id) -> StudioRepresentative:
    user = _representative(studio.community_id, user_id, "user")
    taken = _l("%(name)s is already attached to this studio.", name=user.name)
    if user.id in studio.representative_ids:
        raise Refused(taken, "user")
    attachment = StudioRepresentative(user_id=user.id)
    studio.attachments.append(attachment)
    _flush_unique(taken, "user")
    record("studio.attach", studio, actor=actor, community_id=studio.community_id,
           details={"user_id": user.id})
    return attachment


def detach(actor, studio: Studio, attachment: StudioRepresentative) -> None:
    """Sessions already booked stay; the representative can no longer book new ones."""
    record("studio.detach", studio, actor=actor, community_id=studio.community_id,
           details={"user_id": attachment.user_id})
    studio.attachments.remove(attachment)
    db.session.flush()


def save_profile(actor, community: Community, user: User, *, body, area_served,
                 bio) -> RepresentativeProfile:
    _representative(community.id, user.id, "body")
    if body not in {b.value for b in Body}:
        raise Refused(_l("Choose the body the representative belongs to."), "body")
    fields = {"body": body,
              "area_served": clean_text(area_served, "area_served", max_len=AREA_MAX),
              "bio": clean_text(bio, "bio", max_len=BIO_MAX, required=False)}
    profile = db.session.scalar(select(RepresentativeProfile).where(
        RepresentativeProfile.user_id == user.id,
        RepresentativeProfile.community_id == community.id))
    if profile is None:
        profile = RepresentativeProfile(user_id=user.id, community_id=community.id)
        db.session.add(profile)
    for key, value in fields.items():
        setattr(profile, key, value)
    profile.updated_at = utcnow()
    _flush_unique(_l("This profile was just saved by someone else. Please try again."), "body")
    record("representative.profile", profile, actor=actor, community_id=community.id,
           details={"user_id": user.id, **{k: v for k, v in fields.items() if k != "bio"}})
    return profile
