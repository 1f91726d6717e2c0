from __future__ import annotations


class HallError(ValueError):
    """Refused input or action: a message and the form field it concerns (``None``: the
    action as a whole). The message becomes a plain string at once, in the language of the
    request: it may carry names people typed, and Jinja trusts a lazy string as markup."""

    def __init__(self, message, field: str | None = None, conflict: bool = False):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.conflict = conflict  # a clash with what someone else did: answer 409
