"""Short messages to a phone number or an e-mail address: registration codes, and later
activation codes and notifications.

One function, :func:`send`, is where an SMS or e-mail sender plugs in. Until one is configured,
development and tests write the message to the app's log (the demo's terminal shows it), and
production, where a log reaches no resident and must not hold live codes, records that it was
not sent and says so to the caller.
"""
from __future__ import annotations

from flask import current_app

LOG_PREFIX = "MESSAGE"


def mode() -> str:
    """Where messages go: ``"log"`` (development and tests: the app's log) or ``"none"``
    (production without a sender: nowhere). A sender, when one is added, is a third mode."""
    return "none" if current_app.config.get("ENV_NAME") == "production" else "log"


def sms_configured() -> bool:
    """Whether an SMS provider is set up (``SMS_PROVIDER``, any value, "log" included). One-time
    codes by SMS (password reset by code, activation codes by message) are on exactly then;
    without one the site works with links and printed letters as before."""
    return bool(current_app.config.get("SMS_PROVIDER"))


def send(to: str, text: str, *, purpose: str, code: bool = False) -> bool:
    """Send ``text`` to ``to`` (a normalised phone number or e-mail address). Returns whether
    it left; ``purpose`` names the kind of message in the log (never the text in production).
    ``code`` marks a one-time code: it goes at once, even in quiet hours."""
    if mode() == "none":
        current_app.logger.error("%s-NOT-SENT %s: no SMS or e-mail sender is set up.",
                                 LOG_PREFIX, purpose)
        return False
    current_app.logger.warning("%s %s to %s: %s", LOG_PREFIX, purpose, to, text)
    return True
