"""The one error a channel raises when a message did not leave."""
from __future__ import annotations


class SendFailed(Exception):
    """A message was not accepted by its channel (SMTP server, SMS provider).

    ``message`` says why in words an administrator understands (it is shown on the failures
    page); ``retry`` says whether sending again later may work (a busy server, a rate limit) or
    not (an address that does not exist, a template the provider rejects); ``code`` is the
    channel's own code for the error, when it gave one."""

    def __init__(self, message, *, retry: bool, code: str = ""):
        super().__init__(str(message))
        self.message = message
        self.retry = retry
        self.code = code
