"""What every SMS (短信) provider offers, and the development backend that writes to the log."""
from __future__ import annotations

import abc
import uuid

from flask import current_app

# Our logical template names; each provider maps them to the templates registered with it.
TEMPLATES = ("code", "notice")


# The development log's mark of a message that "left" (consult.delivery writes the same).
LOG_PREFIX = "MESSAGE"


class Provider(abc.ABC):
    """Sends one short message to one phone number.

    ``template`` is our logical name ("code": a one-time code, params ``{"code": ...}``;
    "notice": a notice, params ``{"text": ...}``), ``params`` fills the provider's template,
    and ``text`` is our own rendering of the whole message (what the log backend writes and
    what the length rules check). ``out_id`` is an optional idempotency id the provider keeps
    with the message and hands back in its delivery reports.

    Returns the provider's id of the message; raises
    :class:`consult.messages.errors.SendFailed` when the message was not accepted.
    """

    name: str = ""

    @abc.abstractmethod
    def send(self, phone: str, template: str, params: dict[str, str], text: str, *,
             out_id: str = "", purpose: str = "") -> str:
        raise NotImplementedError


class LogProvider(Provider):
    """Development and tests: the message goes to the app's log (the terminal of the demo), at
    WARNING so that it shows with the default log level. Never chosen by default in
    production, where a log reaches no resident and must not hold live codes."""

    name = "log"

    def __init__(self, logger=None):
        self._logger = logger

    def send(self, phone: str, template: str, params: dict[str, str], text: str, *,
             out_id: str = "", purpose: str = "") -> str:
        logger = self._logger or current_app.logger
        if purpose:  # from the outbox: the line the demo's terminal has always shown
            logger.warning("%s %s to %s: %s", LOG_PREFIX, purpose, phone, text)
        else:
            logger.warning("SMS to %s: %s", phone, text)
        return f"log-{uuid.uuid4().hex}"
