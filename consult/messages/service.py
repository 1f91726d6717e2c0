"""Making, sending and choosing messages.

- :func:`queue_notifications` (job ``messages.dispatch``) turns in-app notifications into
  outbox messages for the people who want them at once; the daily digest
  (:func:`send_digests`, job ``messages.digests``) gathers the rest.
- :func:`queue_text` is what :func:`consult.delivery.send` uses for one-time codes and notes to
  an address (a phone number or e-mail address that may have no account).
- :func:`send_one` (job ``messages.send``) sends one outbox message, once: it claims the row by a
  conditional UPDATE, so a second run of the same job finds it taken or sent and does nothing.
  A failure the channel calls temporary is tried again later (backoff); the last one is kept
  for administrators, who may send it again (:func:`retry`).
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select, update

from consult.accounts.identity import normalise_phone
from consult.accounts.models import User
from consult.clock import utcnow
from consult.database import insert_on_conflict
from consult.extensions import db
from consult import i18n
from consult.i18n import LANGUAGES
from consult.jobs import enqueue, job
from consult.jobs.service import checkpoint
from consult.messages import channels, rules
from consult.messages.errors import SendFailed
from consult.messages.models import MessagePreference, MessageSettings, OutboxMessage, Status
from consult.notifications.kinds import render
from consult.notifications.models import Notification
from consult.refusals import Refused

CODE = "code"  # the outbox category of a one-time code (never a person's choice)
DISPATCH_SLICE = 1000   # notifications per dispatch job
DUE_SLICE = 500         # messages per sweep of due ones
DIGEST_ITEMS = 20       # lines in one digest (the rest as "and N more")
_SALT = "consult-unsubscribe"


# --- settings and preferences -----------------------------------------------------------------

def settings_of(user_id: int) -> MessageSettings:
    """The person's settings (defaults when they never saved any; not added to the session)."""
    return db.session.get(MessageSettings, user_id) or MessageSettings(
        user_id=user_id, channel=None, quiet_start=rules.QUIET_START, quiet_end=rules.QUIET_END,
        language=i18n.DEFAULT_LANGUAGE, digest_through=0, last_digest_on=None)


def modes_of(user_id: int) -> dict[str, str]:
    """Every category's mode for the person (their choice or the default)."""
    chosen = dict(db.session.execute(
        select(MessagePreference.category, MessagePreference.mode)
        .where(MessagePreference.user_id == user_id)).all())
    return {c.key: rules.mode_for(c.key, chosen.get(c.key)) for c in rules.CATEGORIES}


def save_preferences(actor, modes: dict[str, str], *, channel: str | None,
                     quiet_start: int, quiet_end: int, language: str | None = None) -> None:
    """Store ``actor``'s choices. Unknown categories, modes or hours are refused."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Refused(_l("Log in to choose your messages."))
    for category, mode in modes.items():
        if category not in rules.BY_KEY:
            raise Refused(_l("Unknown kind of message."))
        if mode not in rules.MODES:
            raise Refused(_l("Choose how to receive these messages."), category)
    if channel not in (None, "", *rules.CHANNELS):
        raise Refused(_l("Choose SMS or e-mail."), "channel")
    if channel == rules.SMS and not actor.phone:
        raise Refused(_l("Your account has no phone number for SMS."), "channel")
    if channel == rules.EMAIL and not actor.email:
        raise Refused(_l("Your account has no e-mail address."), "channel")
    for field, hour in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if not isinstance(hour, int) or not 0 <= hour <= 23:
            raise Refused(_l("Choose an hour from 0 to 23."), field)
    row = db.session.get(MessageSettings, actor.id)
    if row is None:
        row = settings_of(actor.id)
        db.session.add(row)
    row.channel = channel or None
    row.quiet_start, row.quiet_end = quiet_start, quiet_end
    if language in LANGUAGES:
        row.language = language
    row.updated_at = utcnow()
    _set_modes(actor.id, modes)
    db.session.flush()


def _set_modes(user_id: int, modes: dict[str, str]) -> None:
    existing = {p.category: p for p in db.session.scalars(
        select(MessagePreference).where(MessagePreference.user_id == user_id))}
    for category, mode in modes.items():
        if category in existing:
            existing[category].mode = mode
        else:
            db.session.add(MessagePreference(user_id=user_id, category=category, mode=mode))


def remember_language(user_id: int, language: str) -> None:
    """Messages are written in the language the person last chose in the site."""
    if language not in LANGUAGES:
        return
    row = db.session.get(MessageSettings, user_id)
    if row is None:
        row = settings_of(user_id)
        db.session.add(row)
    row.language = language


# --- unsubscribe --------------------------------------------------------------------------------

def unsubscribe_token(user_id: int, category: str | None) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(
        [user_id, category or ""])


def read_unsubscribe_token(token: str) -> tuple[User, str | None]:
    """The person and the category (None: every category) a link stops; refused when the
    link was altered or its account is gone."""
    try:
        user_id, category = URLSafeSerializer(current_app.config["SECRET_KEY"],
                                              salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise Refused(_l("This unsubscribe link is not valid. Open your message settings "
                         "after logging in instead.")) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise Refused(_l("This unsubscribe link is not valid. Open your message settings "
                         "after logging in instead."))
    return user, (category if category in rules.BY_KEY else None)


def unsubscribe(token: str) -> tuple[User, str | None]:
    """Stop the messages a link names: its category (or all of them) stays in the site only."""
    user, category = read_unsubscribe_token(token)
    categories = [category] if category else [c.key for c in rules.CATEGORIES]
    _set_modes(user.id, {c: rules.INAPP for c in categories})
    db.session.flush()
    return user, category


def opt_out_phone(phone: str) -> User | None:
    """An SMS answered with "T" (回T退订): every category of the number's account stays in the
    site. Returns the account, or None when no account has the number."""
    number = normalise_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == number)) if number else None
    if user is not None:
        _set_modes(user.id, {c.key: rules.INAPP for c in rules.CATEGORIES})
        db.session.flush()
    return user


# --- making messages ----------------------------------------------------------------------------

def notifications_queued(notification_ids: list[int]) -> None:
    """Called by :func:`consult.notifications.service.notify`: look at these notifications
    after the transaction commits (in slices, as jobs), when any channel is on."""
    if not notification_ids or not any(channels.on().values()):
        return
    for start in range(0, len(notification_ids), DISPATCH_SLICE):
        enqueue("messages.dispatch", ids=notification_ids[start:start + DISPATCH_SLICE])


@job("messages.dispatch")
def queue_notifications(ids: list[int], now: datetime | None = None) -> int:
    """Outbox messages for those of ``ids`` whose people want them at once. Returns how many
    were made (a second run makes none: each has the key ``n<id>``)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Notification, User, MessageSettings)
        .join(User, User.id == Notification.user_id)
        .outerjoin(MessageSettings, MessageSettings.user_id == User.id)
        .where(Notification.id.in_(ids))).all()
    if not rows:
        return 0
    chosen = _chosen_modes({user.id for _, user, _ in rows})
    on = channels.on()
    made = []
    for notification, user, settings in rows:
        category = rules.category_of(notification.kind)
        if rules.mode_for(category, chosen.get((user.id, category))) != rules.IMMEDIATE:
            continue
        settings = settings or settings_of(user.id)
        channel = rules.pick_channel(phone=bool(user.phone), email=bool(user.email),
                                     sms_on=on[rules.SMS], email_on=on[rules.EMAIL],
                                     preferred=settings.channel)
        if channel is None:
            continue
        made.append(_notification_message(notification, user, settings, category, channel,
                                           now))
    return _insert(made)


def _chosen_modes(user_ids) -> dict[tuple[int, str], str]:
    if not user_ids:
        return {}
    return {(uid, category): mode for uid, category, mode in db.session.execute(
        select(MessagePreference.user_id, MessagePreference.category, MessagePreference.mode)
        .where(MessagePreference.user_id.in_(user_ids))).all()}


def _link(path: str) -> str:
    base = current_app.config.get("PUBLIC_URL", "").rstrip("/")
    return base + (path if path.startswith("/") else "/" + path) if path else base + "/"


def _notification_message(notification, user, settings, category, channel, now) -> dict:
    link = _link(notification.url)
    with force_locale(settings.language):
        text = render(notification.kind, notification.params)
        row = {"dedup_key": f"n{notification.id}", "user_id": user.id, "channel": channel,
               "purpose": notification.kind[:40], "category": category, "created_at": now,
               "not_before": now, "held_for_quiet_hours": False,
               "language": settings.language}
        if channel == rules.SMS:
            body = sms_text(text, link, broadcast=rules.BY_KEY[category].broadcast)
            row.update(to_address=user.phone, body=body, template="notice",
                       params=json.dumps({"text": body}, ensure_ascii=False))
            held = rules.quiet_until(now, settings.quiet_start, settings.quiet_end)
            if held is not None:
                row.update(not_before=held, held_for_quiet_hours=True)
        else:
            unsubscribe = _link(f"/unsubscribe/{unsubscribe_token(user.id, category)}")
            row.update(to_address=user.email, subject=_subject(text),
                       unsubscribe_url=unsubscribe, **_email_bodies(
                           "messages/email/notification", name=user.name, text=text,
                           link=link, category=rules.BY_KEY[category].label,
                           unsubscribe=unsubscribe, settings_link=_link("/me/messages")))
    return row


def _subject(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return (first[:97] + "…") if len(first) > 98 else first


def _email_bodies(template: str, **context) -> dict:
    """An e-mail's text and HTML, rendered without the site's request helpers (a job has no
    request): the words come from the locale forced around the call."""
    env = current_app.jinja_env
    return {"body": env.get_template(f"{template}.txt").render(**context),
            "html": env.get_template(f"{template}.html").render(**context)}


def sms_text(text: str, link: str, *, broadcast: bool) -> str:
    """The SMS for a notification: its words, cut to leave room for the link (and, on a notice
    to many, the opt-out line), so that it fits one segment when it can."""
    from consult.messages.sms import rules as sms

    tail = f" {link}"
    opt_out = f" {sms.OPT_OUT}" if broadcast else ""
    room = sms.room_left(tail + opt_out, channels.sign_name())
    body = sms.shorten(text, max(room, 20)) + tail
    return sms.with_opt_out(body) if broadcast else body


def _insert(rows: list[dict]) -> int:
    """Insert outbox rows, skipping keys made before; queue the ones due now. Returns how many
    were new."""
    if not rows:
        return 0
    table = OutboxMessage.__table__
    defaults = {"subject": "", "body": "", "html": "", "template": "notice", "params": "{}",
                "unsubscribe_url": "", "status": Status.PENDING.value, "attempts": 0,
                "last_error": "", "provider_ref": "", "category": None, "user_id": None,
                "language": i18n.DEFAULT_LANGUAGE}
    rows = [{**defaults, **row} for row in rows]
    made = []
    for start in range(0, len(rows), 500):
        made += db.session.execute(
            insert_on_conflict(db.session, table).values(rows[start:start + 500])
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(table.c.id, table.c.not_before)).all()
    now = utcnow()
    for message_id, not_before in made:
        if not_before <= now:
            enqueue("messages.send", message_id=message_id)
    return len(made)


def queue_text(to: str, text: str, *, purpose: str, code: bool, code_value: str = "",
               dedup_key: str | None = None, user_id: int | None = None) -> bool:
    """A message to an address (a one-time code, a note about an account): SMS to a phone
    number, e-mail to an address, at once (quiet hours hold notifications, not these).
    Returns False when that channel is not on here."""
    import secrets

    channel = rules.EMAIL if "@" in to else rules.SMS
    if not channels.on()[channel]:
        return False
    now = utcnow()
    row = {"dedup_key": dedup_key or f"t{secrets.token_hex(12)}", "user_id": user_id,
           "channel": channel, "to_address": to, "purpose": purpose[:40], "created_at": now,
           "not_before": now, "held_for_quiet_hours": False, "body": text,
           # A code's words are erased once it has gone (see send_one).
           "category": CODE if code else None}
    if channel == rules.SMS:
        short_code = code_value or _code_in(text)
        if code and short_code.isdigit() and 4 <= len(short_code) <= 6:
            # The provider's verification-code template takes 4 to 6 digits and nothing else.
            row.update(template="code", params=json.dumps({"code": short_code}))
        else:
            # A note about the account (someone used your number) answers what someone is
            # doing right now, like a code: quiet hours do not hold it.
            row.update(template="notice", params=json.dumps({"text": text}, ensure_ascii=False))
    else:
        row.update(subject=_subject(text), **_email_bodies("messages/email/text", text=text))
    _insert([row])
    return True


def _code_in(text: str) -> str:
    """The six digits of a code in ``text``, when the caller did not pass the code itself."""
    import re

    found = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", text)
    return found.group(1) if found else ""


# --- sending ------------------------------------------------------------------------------------

@job("messages.send")
def send_one(message_id: int, now: datetime | None = None) -> bool:
    """Send one message once. Returns whether it left in this run."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == Status.PENDING.value,
               OutboxMessage.not_before <= now)
        .values(status=Status.SENDING.value, claimed_at=now,
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)).first()
    if claimed is None:
        return False  # sent, taken by another run, held, or gone
    checkpoint()  # the claim is kept before the network is asked: a rerun finds it taken
    message = db.session.get(OutboxMessage, message_id)
    try:
        reference = channels.send(message)
    except SendFailed as failure:
        _failed(message, failure, utcnow())
        return False
    message.status = Status.SENT.value
    message.sent_at = utcnow()
    message.provider_ref = (reference or "")[:120]
    message.last_error = ""
    if message.category == CODE or message.template == "code":
        # The code lived long enough: only its hash is kept (where it was made).
        message.body = message.params = message.html = message.subject = ""
    return True


def _failed(message: OutboxMessage, failure: SendFailed, now: datetime) -> None:
    message.last_error = (f"{failure.code}: " if failure.code else "") + str(failure.message)
    message.last_error = message.last_error[:500]
    again = rules.next_try(message.attempts, now) if failure.retry else None
    if again is None:
        message.status = Status.FAILED.value
        if message.category == CODE:  # it will never go now: keep no live code
            message.body = message.params = message.html = message.subject = ""
        current_app.logger.error("message %s to %s failed for good: %s", message.id,
                                 message.channel, message.last_error)
    else:
        message.status = Status.PENDING.value
        message.not_before = again


@job("messages.send_due")
def send_due(now: datetime | None = None) -> int:
    """Queue the messages whose time has come (held for quiet hours, or waiting to be tried
    again), and free those whose sender died mid-send. Returns how many were queued."""
    now = now or utcnow()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.SENDING.value,
               OutboxMessage.claimed_at < now - rules.STUCK_AFTER)
        .values(status=Status.PENDING.value))
    due = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == Status.PENDING.value, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.not_before, OutboxMessage.id).limit(DUE_SLICE)).all()
    for message_id in due:
        enqueue("messages.send", message_id=message_id)
    return len(due)


def retry(actor, message: OutboxMessage) -> None:
    """An administrator sends a failed message again."""
    if not getattr(actor, "is_platform_admin", False):
        raise Refused(_l("Only administrators can send messages again."))
    if message.status != Status.FAILED.value:
        raise Refused(_l("Only a failed message can be sent again."))
    if message.category == CODE:
        raise Refused(_l("A one-time code is not sent again (it has expired by now): the "
                         "person asks for a new one."))
    message.status = Status.PENDING.value
    message.attempts = 0
    message.not_before = utcnow()
    message.last_error = ""
    db.session.flush()
    enqueue("messages.send", message_id=message.id)


# --- the daily digest ---------------------------------------------------------------------------

@job("messages.digests")
def send_digests(now: datetime | None = None) -> int:
    """One digest per person per local day, only when there is something unread to say in a
    category they chose for the digest. Returns how many digests were made."""
    now = now or utcnow()
    today = rules.local_day(now)
    on = channels.on()
    if not any(on.values()):
        return 0
    rows = db.session.execute(
        select(Notification, User, MessageSettings)
        .join(User, User.id == Notification.user_id)
        .outerjoin(MessageSettings, MessageSettings.user_id == User.id)
        .where(Notification.read_at.is_(None),
               Notification.id > db.func.coalesce(MessageSettings.digest_through, 0),
               or_(MessageSettings.last_digest_on.is_(None),
                   MessageSettings.last_digest_on < today))
        .order_by(Notification.user_id, Notification.id)).all()
    chosen = _chosen_modes({user.id for _, user, _ in rows})
    per_person: dict[int, list] = defaultdict(list)
    people = {}
    for notification, user, settings in rows:
        category = rules.category_of(notification.kind)
        people[user.id] = (user, settings)
        if rules.mode_for(category, chosen.get((user.id, category))) == rules.DIGEST:
            per_person[user.id].append(notification)
    made = []
    for user_id, items in per_person.items():
        user, settings = people[user_id]
        if settings is None:
            settings = settings_of(user_id)
            db.session.add(settings)
        channel = rules.pick_channel(phone=bool(user.phone), email=bool(user.email),
                                     sms_on=on[rules.SMS], email_on=on[rules.EMAIL],
                                     preferred=rules.EMAIL)  # a list reads better in a mail
        if channel is None:
            continue
        made.append(_digest_message(user, settings, items, channel, today, now))
        settings.digest_through = max(n.id for n in items)
        settings.last_digest_on = today
    return _insert(made)


def _digest_message(user, settings, items, channel, today, now) -> dict:
    row = {"dedup_key": f"d{user.id}:{today.isoformat()}", "user_id": user.id,
           "channel": channel, "purpose": "digest", "category": None, "created_at": now,
           "not_before": now, "held_for_quiet_hours": False, "language": settings.language}
    with force_locale(settings.language):
        lines = [(render(n.kind, n.params), _link(n.url)) for n in items[:DIGEST_ITEMS]]
        more = max(len(items) - DIGEST_ITEMS, 0)
        inbox = _link("/me/notifications")
        if channel == rules.SMS:
            body = sms_text(_("Consult: %(n)d new messages for you, e.g. %(first)s",
                              n=len(items), first=lines[0][0]), inbox, broadcast=True)
            row.update(to_address=user.phone, body=body, template="notice",
                       params=json.dumps({"text": body}, ensure_ascii=False))
            held = rules.quiet_until(now, settings.quiet_start, settings.quiet_end)
            if held is not None:
                row.update(not_before=held, held_for_quiet_hours=True)
        else:
            unsubscribe = _link(f"/unsubscribe/{unsubscribe_token(user.id, None)}")
            row.update(to_address=user.email,
                       subject=_("Consult: your daily digest (%(n)d new)", n=len(items)),
                       unsubscribe_url=unsubscribe, **_email_bodies(
                           "messages/email/digest", name=user.name, lines=lines, more=more,
                           inbox=inbox, unsubscribe=unsubscribe,
                           settings_link=_link("/me/messages")))
    return row


# --- reading ------------------------------------------------------------------------------------

def recent_of(user_id: int, limit: int = 10) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user_id)
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def failures(limit: int = 100) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == Status.FAILED.value)
        .order_by(OutboxMessage.id.desc()).limit(limit)))


def counts() -> dict[str, int]:
    return dict(db.session.execute(
        select(OutboxMessage.status, db.func.count()).group_by(OutboxMessage.status)).all())
