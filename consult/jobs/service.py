"""Queueing a job and running it.

A job is queued when the transaction that asked for it commits (a rollback drops it), so a job
never sees work that did not happen. Where it then runs:

- ``REDIS_URL`` set (and ``JOBS_INLINE`` not forced): an RQ queue; ``flask jobs worker`` runs it,
  retrying with backoff when it raises.
- otherwise in this process: right after the response is sent (``JOBS_INLINE=after-response``,
  the default), or at once when the transaction commits (``JOBS_INLINE=now``, the tests and
  the CLI).

Every job runs as its own unit of work: committed when it returns, rolled back when it raises.
A job that fails for good is kept in ``job_failures`` for administrators, who can send it again.
Jobs must be idempotent: an RQ retry, or an administrator's retry, may run one twice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from consult.clock import utcnow
from consult.extensions import db
from consult.jobs.models import JobFailure

QUEUE_NAME = "consult"
# RQ retries a job that raised after these many seconds (then it is kept as a failure).
RETRY_INTERVALS = [30, 120, 600]
log = logging.getLogger("consult.jobs")

_JOBS: dict[str, Callable[..., object]] = {}
_PENDING = "consult_pending_jobs"
_worker_app = None  # the app a worker process runs jobs in (set by ``flask jobs worker``)


def job(name: str):
    """Register a function as the job ``name``; it is called with keyword parameters that
    must be plain JSON values (ids, strings), never model objects."""

    def register(function):
        if name in _JOBS and _JOBS[name] is not function:
            raise ValueError(f"two jobs are named {name!r}")
        _JOBS[name] = function
        return function

    return register


def names() -> list[str]:
    return sorted(_JOBS)


def enqueue(name: str, **params) -> None:
    """Run the job ``name`` with ``params`` once the current transaction commits."""
    if name not in _JOBS:
        raise KeyError(f"no job is named {name!r}")
    # Begin the transaction now, so that its rollback (even before any SQL) drops the job.
    db.session.connection()
    db.session.info.setdefault(_PENDING, []).append((name, params))


def checkpoint() -> None:
    """Inside a job: commit what it did so far, so that others see its progress (a job that
    freezes a large electorate commits batch by batch) or so that a later failure cannot undo
    it (a message claimed before the network is asked to send it). Only a job calls this, never
    a request: the job must be able to start over or resume after a crash between two
    checkpoints. Jobs are their own units of work; this is their one commit besides the end."""
    db.session.commit()


def mode(app=None) -> str:
    """``"rq"``, ``"after-response"`` or ``"now"``: where jobs run (see the module's text)."""
    config = (app or current_app).config
    inline = config.get("JOBS_INLINE") or ""
    if inline in ("now", "after-response"):
        return inline
    return "rq" if config.get("REDIS_URL") else "after-response"


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        # A savepoint was released (SQLAlchemy tells that as a commit too): the transaction
        # that queued the jobs still runs, and holds its locks; they wait for its commit.
        return
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    app = current_app._get_current_object()
    how = mode(app)
    if how == "rq":
        for name, params in pending:
            _rq_queue(app).enqueue(perform, name, params, retry=_rq_retry(),
                                   description=name)
        return
    if how == "after-response" and has_request_context():
        from consult import unit_of_work

        unit_of_work.after_response(lambda: _run_all(app, pending))
        return
    _run_all(app, pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    # Any rollback of the whole transaction (even one that had run no SQL yet) drops the
    # jobs it queued; a savepoint's rollback keeps them.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def _run_all(app, pending) -> None:
    for name, params in pending:
        run_now(name, params, app=app)


def run_now(name: str, params: dict | None = None, *, app=None, final: bool = True) -> bool:
    """Run a job in this process as its own unit of work. Returns whether it succeeded; a
    failure is logged and, when ``final``, kept for administrators."""
    app = app or current_app._get_current_object()
    params = dict(params or {})
    with app.app_context():
        try:
            _JOBS[name](**params)
            db.session.commit()
            return True
        except Exception as error:  # noqa: BLE001 - a job's failure must not break its caller
            db.session.rollback()
            log.exception("job %s %s failed", name, params)
            if final:
                _keep_failure(name, params, error)
            return False


def _keep_failure(name: str, params: dict, error: Exception, attempts: int = 1) -> None:
    try:
        db.session.add(JobFailure(name=name, params=params, attempts=attempts,
                                  error=f"{type(error).__name__}: {error}"[:2000]))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        db.session.rollback()
        log.exception("could not record the failure of job %s", name)


# --- RQ -------------------------------------------------------------------------------------

def _redis(app):
    import redis

    return redis.Redis.from_url(app.config["REDIS_URL"])


def _rq_queue(app):
    from rq import Queue

    return Queue(QUEUE_NAME, connection=_redis(app))


def _rq_retry():
    from rq import Retry

    return Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)


def perform(name: str, params: dict) -> None:
    """What an RQ worker runs: the job in the worker's app. Raises on failure so RQ retries;
    the last failure is kept for administrators."""
    from rq import get_current_job

    app = _worker_app
    if app is None:
        raise RuntimeError("No app to run jobs in: start workers with `flask --app consult jobs "
                           "worker`, not a bare `rq worker`.")
    with app.app_context():
        try:
            _JOBS[name](**params)
            db.session.commit()
        except Exception as error:
            db.session.rollback()
            current = get_current_job()
            retries_left = getattr(current, "retries_left", None) if current else None
            if not retries_left:
                _keep_failure(name, params, error, attempts=len(RETRY_INTERVALS) + 1)
            raise


def use_app(app) -> None:
    """The app a worker runs jobs in (``flask jobs worker`` sets its own)."""
    global _worker_app
    _worker_app = app


def retry_failure(actor, failure: JobFailure) -> None:
    """Send a failed job again (administrators only); it leaves the list of failures."""
    from consult.refusals import Refused
    from flask_babel import lazy_gettext as _l

    if not getattr(actor, "is_platform_admin", False):
        raise Refused(_l("Only administrators can retry jobs."))
    if failure.resolved_at is not None:
        raise Refused(_l("This job was sent again already."))
    if failure.name not in _JOBS:
        raise Refused(_l("This job no longer exists."))
    failure.resolved_at = utcnow()
    enqueue(failure.name, **failure.params)
    db.session.flush()
