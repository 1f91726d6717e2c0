"""The one way a service says no: :class:`Refused`.

Services check their own permissions and rules and raise ``Refused`` with a message in plain
words, the form field it concerns (``None``: the action as a whole) and its kind. The web turns
it into the form's error or a flashed message (a forbidden one into a 403 page); the API into a
problem document whose status follows the kind. Nothing else is needed to refuse.
"""
from __future__ import annotations

# kind -> what it means; the API's problem document answers with the status beside it.
KINDS = {
    "invalid": 422,  # the input: a field is wrong or missing
    "conflict": 409,  # the moment or the state: too late, already done, a slot just taken
    "forbidden": 403,  # the permission table: not this person
    "login": 401,  # the permission table: nobody is logged in
    "not_found": 404,  # no such thing (or not one this person may know of)
}


class Refused(Exception):
    """A refusal: ``message`` (a plain string at once, in the request's language: it may carry
    names people typed, and Jinja and the flash cookie trust a lazy string as safe markup),
    ``field``, ``kind`` (see :data:`KINDS`) and, for the permission table, its ``code``.

    Without a kind, a refusal about a field is ``invalid`` and one about the action as a whole
    a ``conflict``; ``conflict=True`` marks a clash with what someone else did even when it names
    a field (a slot just taken)."""

    def __init__(self, message, field: str | None = None, *, kind: str | None = None,
                 code: str | None = None, conflict: bool = False):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        if kind is None:
            kind = "conflict" if conflict or not field else "invalid"
        if kind not in KINDS:
            raise ValueError(f"unknown kind of refusal {kind!r}")
        self.kind = kind
        self.code = code

    @classmethod
    def forbidden(cls, message, code: str | None = "forbidden") -> Refused:
        """A refusal by the permission table; ``login_required`` means nobody is logged in."""
        return cls(message, kind="login" if code == "login_required" else "forbidden",
                   code=code)

    @property
    def forbidding(self) -> bool:
        """Refused by the permission table (not logged in, not verified, out of scope...)."""
        return self.kind in ("forbidden", "login")

    @property
    def conflict(self) -> bool:
        return self.kind == "conflict"

    @property
    def status(self) -> int:
        return KINDS[self.kind]
