"""The two ways out, behind one door: which channels this site has, and handing one outbox
message to its channel. The SMTP transport is :mod:`consult.messages.email`, the SMS providers
are :mod:`consult.messages.sms`; both raise :class:`~consult.messages.errors.SendFailed`."""
from __future__ import annotations

import json

from flask import current_app

from consult.messages.rules import EMAIL, SMS


def sms_on() -> bool:
    """SMS go out only when ``SMS_PROVIDER`` is set (``log`` writes them to the log)."""
    return bool(current_app.config.get("SMS_PROVIDER"))


def email_on() -> bool:
    from consult.messages import email

    return email.configured()


def on() -> dict[str, bool]:
    return {SMS: sms_on(), EMAIL: email_on()}


def sign_name() -> str:
    return current_app.config.get("SMS_SIGN_NAME") or ""


def send(message) -> str:
    """Hand ``message`` (an :class:`~consult.messages.models.OutboxMessage`) to its channel;
    returns the channel's reference for it."""
    if message.channel == SMS:
        from consult.messages.sms import provider

        sender = provider()
        if sender is None:
            from flask_babel import lazy_gettext as _l

            from consult.messages.errors import SendFailed

            raise SendFailed(_l("No SMS provider is set up (SMS_PROVIDER)."), retry=False)
        return sender.send(message.to_address, message.template, json.loads(message.params),
                           message.body, out_id=str(message.id), purpose=message.purpose)
    from consult.messages import email

    built = email.build(message.to_address, message.subject, message.body, message.html,
                        unsubscribe_url=message.unsubscribe_url or None,
                        lang=message.language or "zh_Hans")
    return email.send(built)
