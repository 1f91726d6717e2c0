"""Short messages to a phone number or an e-mail address: registration, activation and reset
codes, and notes about an account (someone tried to register with your number).

:func:`send` puts the message in the outbox (:mod:`consult.messages`), which sends it by SMS or
e-mail as a job once the request commits, when that channel is set up (``SMS_PROVIDER``,
``MAIL_SERVER``). Without one, development and tests write the message to the app's log (the
demo's terminal shows it), and production, where a log reaches no resident and must not hold
live codes, records that it was not sent and says so to the caller.
"""
from __future__ import annotations

from flask import current_app

from consult.messages.sms.base import LOG_PREFIX  # noqa: E402  (one mark for both logs)


def mode() -> str:
    """Where messages go: ``"send"`` (an SMS provider or an SMTP server is set up), ``"log"``
    (development and tests without one: the app's log) or ``"none"`` (production without
    one: nowhere)."""
    from consult.messages import channels

    if any(channels.on().values()):
        return "send"
    return "none" if current_app.config.get("ENV_NAME") == "production" else "log"


def sms_configured() -> bool:
    """Whether an SMS provider is set up (``SMS_PROVIDER``, any value, "log" included). One-time
    codes by SMS (password reset by code, activation codes by message) are on exactly then;
    without one the site works with links and printed letters as before."""
    return bool(current_app.config.get("SMS_PROVIDER"))


def send(to: str, text: str, *, purpose: str, code: bool | str = False) -> bool:
    """Send ``text`` to ``to`` (a normalised phone number or e-mail address). Returns whether
    it will leave; ``purpose`` names the kind of message in the log (never the text in
    production). ``code`` marks a one-time code (pass the code itself when you can: an SMS
    provider's code template takes only the code); a code goes at once, even in quiet hours."""
    from consult.messages import channels
    from consult.messages.service import queue_text

    channel_on = channels.on()["email" if "@" in to else "sms"]
    if channel_on:
        return queue_text(to, text, purpose=purpose, code=bool(code),
                          code_value=code if isinstance(code, str) else "")
    if mode() == "none" or (current_app.config.get("ENV_NAME") == "production"):
        current_app.logger.error("%s-NOT-SENT %s: no SMS or e-mail sender is set up for %s.",
                                 LOG_PREFIX, purpose, "e-mail" if "@" in to else "SMS")
        return False
    current_app.logger.warning("%s %s to %s: %s", LOG_PREFIX, purpose, to, text)
    return True
