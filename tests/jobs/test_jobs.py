"""Background jobs: queued when their transaction commits, dropped when it rolls back; run after
the response without Redis, by an RQ worker on a real Redis with it; retried, and kept for
administrators when they fail for good."""
from __future__ import annotations

import pytest
from flask import Blueprint
from sqlalchemy import select

from consult.extensions import db
from consult.jobs import enqueue, job, service
from consult.jobs.models import JobFailure

# Some tests add routes, which Flask allows only before an app's first request.
pytestmark = pytest.mark.fresh_app

RAN: list = []


@job("tests.note")
def _note(word: str) -> None:
    RAN.append(word)


@job("tests.always_fails")
def _always_fails(word: str) -> None:
    RAN.append(word)
    raise RuntimeError(f"cannot {word}")


@pytest.fixture(autouse=True)
def _fresh():
    RAN.clear()
    yield
    RAN.clear()


def test_a_job_runs_when_its_transaction_commits_and_never_after_a_rollback(app):
    enqueue("tests.note", word="kept")
    assert RAN == []
    db.session.commit()
    assert RAN == ["kept"]
    enqueue("tests.note", word="dropped")
    db.session.rollback()
    db.session.commit()
    assert RAN == ["kept"]


def test_an_unknown_job_is_a_programming_error(app):
    with pytest.raises(KeyError):
        enqueue("tests.nothing")


def _route(app, rule, view):
    bp = Blueprint(f"jobs_test_{view.__name__}", __name__)
    bp.add_url_rule(rule, view_func=view, methods=["POST"])
    app.register_blueprint(bp)


def test_without_redis_a_request_s_job_runs_after_the_answer_is_sent(app):
    app.config["JOBS_INLINE"] = "after-response"
    seen_during_request = []

    def queue():
        enqueue("tests.note", word="after")
        seen_during_request.append(list(RAN))
        return "queued"

    _route(app, "/tests/queue", queue)
    # A buffered test client closes the answer as a server does once it is sent.
    answer = app.test_client().post("/tests/queue", buffered=True)
    assert answer.get_data(as_text=True) == "queued"
    assert seen_during_request == [[]]
    assert RAN == ["after"]


def test_a_refused_request_queues_nothing(app):
    app.config["JOBS_INLINE"] = "after-response"

    def refuse():
        enqueue("tests.note", word="never")
        return "no", 400

    _route(app, "/tests/refuse", refuse)
    app.test_client().post("/tests/refuse", buffered=True)
    assert RAN == []


def test_a_failing_job_is_kept_for_administrators(app):
    assert service.run_now("tests.always_fails", {"word": "fly"}) is False
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.name == "tests.always_fails" and failure.params == {"word": "fly"}
    assert "RuntimeError: cannot fly" in failure.error


@pytest.fixture
def on_redis(app, redis_url):
    app.config.update(REDIS_URL=redis_url, JOBS_INLINE="")
    service.use_app(app)
    yield redis_url
    service.use_app(None)


def _work(app):
    """What ``flask jobs worker --burst`` does, in this process."""
    from consult.jobs.cli import worker_class

    queue = service._rq_queue(app)
    worker_class(burst=True)([queue], connection=queue.connection).work(burst=True)


def test_with_redis_a_job_waits_in_the_queue_for_a_worker(app, on_redis):
    enqueue("tests.note", word="queued")
    db.session.commit()
    assert RAN == []
    assert service._rq_queue(app).count == 1
    _work(app)
    assert RAN == ["queued"]
    assert service._rq_queue(app).count == 0


def test_with_redis_a_failing_job_is_retried_then_kept_once(app, on_redis, monkeypatch):
    monkeypatch.setattr(service, "RETRY_INTERVALS", [0, 0])
    enqueue("tests.always_fails", word="swim")
    db.session.commit()
    _work(app)
    assert RAN == ["swim", "swim", "swim"]  # the first try and two retries
    db.session.expire_all()
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.name == "tests.always_fails" and failure.attempts == 3


def test_the_scheduled_jobs_exist_and_each_is_safe_to_run(app):
    from consult.jobs.schedule import SCHEDULE

    for entry in SCHEDULE:
        assert entry.name in service.names()
        assert service.run_now(entry.name, {}) is True, entry.name
    assert db.session.scalars(select(JobFailure)).all() == []


def test_the_worker_and_cron_commands_need_redis(app):
    runner = app.test_cli_runner()
    for command in (["jobs", "worker", "--burst"], ["jobs", "cron"]):
        result = runner.invoke(args=command)
        assert result.exit_code != 0 and "REDIS_URL is not set" in result.output
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "votes.close" in listing and "messages.digests" in listing


def test_redis_url_from_the_environment_puts_jobs_on_the_queue(monkeypatch, tmp_path):
    from consult.config import load_config

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")
    monkeypatch.delenv("JOBS_INLINE", raising=False)
    config = load_config(str(tmp_path))
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/5"

    class App:
        pass

    app = App()
    app.config = config
    assert service.mode(app) == "rq"
    monkeypatch.delenv("REDIS_URL")
    app.config = load_config(str(tmp_path))
    assert service.mode(app) == "after-response"
