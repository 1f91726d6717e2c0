from __future__ import annotations


class StudioError(ValueError):
    """Refused input or action: a message and the form field it concerns (``None``: the
    action as a whole).

    The message is made a plain string at once, in the language of the request: it may
    carry names people typed, and Jinja would trust a lazy string as safe markup."""

    def __init__(self, message, field: str | None = None, *, conflict: bool = False):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        # True when the refusal is about the state of things (a slot just taken), not the
        # input: the API answers 409 rather than 422.
        self.conflict = conflict
