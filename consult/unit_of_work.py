"""One unit of work per request, and per command: the only place that commits.

Services check, mutate and flush; they never commit. When a request ends, :func:`init_app`'s
hook decides once:

- a writing request (POST, PUT, PATCH, DELETE) that answered below 400 and was not refused
  is committed;
- everything else is rolled back: a GET or HEAD (pages only read; see the access matrix test),
  an answer of 400 or more, a request whose view called :func:`refused`, an exception.

Two calls let a view say what the status alone cannot:

- :func:`refused` when a service said no but the view answers the form again with a 200 (an
  htmx fragment) or redirects with a flashed message: the request's writes are undone at once,
  so the page it renders shows what is stored, and nothing is committed at the end.
- :func:`keep` when a refused request must still leave a record: a wrong password counts
  towards the lock, a token's last use is noted on a read.

Commands (``flask --app consult ...``) run as one unit too: :func:`command` commits when the
command returns and rolls back when it fails.
"""
from __future__ import annotations

import functools

from flask import Flask, flash, g, has_request_context, request

from consult.extensions import db
from consult.refusals import Refused

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_REFUSED = "_unit_refused"
_KEEP = "_unit_keep"
_AFTER_RESPONSE = "_unit_after_response"


def refused(error: Refused | None = None, form=None, *, top: str = "flash") -> None:
    """The request was refused: undo its writes now and commit nothing when it ends.

    Given the service's ``error``, say why where the reader looks: next to the ``form``'s field
    it names, else at the top of the page, as a flashed message (``top="flash"``) or as the
    form's own error (``top="form"``, for a page that shows ``form.form_errors``)."""
    db.session.rollback()
    if has_request_context():
        g.setdefault(_REFUSED, True)
        g.pop(_KEEP, None)
    _show(error, form, top)


def keep(error: Refused | None = None, form=None, *, top: str = "flash") -> None:
    """Commit this request's writes whatever it answers: a record of a refused attempt (a
    wrong password or code counts). Given ``error``, it is shown as :func:`refused` shows it."""
    g.pop(_REFUSED, None)
    g.setdefault(_KEEP, True)
    _show(error, form, top)


def _show(error: Refused | None, form, top: str) -> None:
    if error is None:
        return
    target = getattr(form, error.field, None) if (form is not None and error.field) else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    elif top == "form" and form is not None:
        form.form_errors.append(error.message)
    else:
        flash(error.message, "error")


def discard() -> None:
    """Drop the request's unit of work when the database itself may be gone: roll back, and if
    even that fails (the connection is broken), let the connection go."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is already broken; nothing to undo
        db.session.invalidate()


def _commits(status: int) -> bool:
    if g.get(_KEEP):
        return True
    return request.method in WRITING_METHODS and status < 400 and not g.get(_REFUSED)


def after_response(function) -> None:
    """Call ``function`` once the current request's answer has been sent (background work
    without a queue); outside a request, call it now."""
    if has_request_context():
        g.setdefault(_AFTER_RESPONSE, []).append(function)
    else:
        function()


def finish(response):
    """Commit or roll back the request's unit of work (an ``after_request`` hook)."""
    try:
        if _commits(response.status_code):
            db.session.commit()
        else:
            db.session.rollback()
    finally:
        g.pop(_REFUSED, None)
        g.pop(_KEEP, None)
    for function in g.pop(_AFTER_RESPONSE, []):
        response.call_on_close(function)
    return response


def init_app(app: Flask) -> None:
    # Registered first, so it runs after every other after_request hook: what they add to the
    # session (none do today) is part of the same unit.
    app.after_request(finish)

    @app.teardown_request
    def _discard(error):
        # A failed commit, or an exception no handler answered: leave nothing half-written.
        if error is not None:
            db.session.rollback()


def command(function):
    """Run a CLI command as one unit of work: commit when it returns, roll back if it raises."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            result = function(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return wrapper
