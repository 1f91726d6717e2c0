"""Notifications that leave the site: at once, held for quiet hours, retried, sent once, and
gathered in a daily digest. SMS here use the log backend (``SMS_PROVIDER=log``); the real
provider's requests are in test_sms_aliyun.py, e-mail over SMTP in test_email_delivery.py."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult.clock import frozen
from consult.extensions import db
from consult.jobs.models import JobFailure
from consult.messages import service
from consult.messages.errors import SendFailed
from consult.messages.models import OutboxMessage
from consult.notifications.service import notify
from tests import factories as f

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def app_config():
    return {"SMS_PROVIDER": "log", "SMS_SIGN_NAME": "社区议事"}


def _beijing(hour, minute=0, day=10):
    return datetime(2026, 12, day, hour, minute) - timedelta(hours=8)


def _outbox():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _tell(person, kind="residency.verified", params=None, url="/me/residency"):
    notify([person.id], kind, params or {"home": "1-101", "reason": ""}, url)
    db.session.commit()


def test_a_verification_result_goes_by_sms_at_once(app, caplog):
    person = f.user(phone="13800138010")
    db.session.commit()
    caplog.set_level(logging.WARNING)
    with frozen(_beijing(10)):
        _tell(person)
    [message] = _outbox()
    assert (message.channel, message.status, message.to_address) == ("sms", "sent",
                                                                       "13800138010")
    assert "1-101" in message.body and "http://127.0.0.1:5000/me/residency" in message.body
    assert "回T退订" not in message.body  # about the person's own business: no opt-out line
    assert "13800138010" in caplog.text and "1-101" in caplog.text


def test_a_vote_notice_to_many_says_how_to_opt_out_and_fits_one_sms(app):
    person = f.user(phone="13800138011")
    db.session.commit()
    with frozen(_beijing(10)):
        _tell(person, "vote.opened", {"question": "是否同意使用公共维修资金更换二号楼电梯" * 2,
                                      "closes": "12月20日 18:00", "vote_id": 3}, "/votes/3")
    [message] = _outbox()
    assert message.body.endswith("回T退订")
    assert len("【社区议事】" + message.body) <= 70


def test_replies_wait_for_the_digest_and_in_site_only_sends_nothing(app):
    person = f.user(phone="13800138012")
    quiet = f.user(phone="13800138013")
    db.session.commit()
    service.save_preferences(quiet, {"verification": "inapp"}, channel="sms", quiet_start=21,
                             quiet_end=8)
    db.session.commit()
    with frozen(_beijing(10)):
        _tell(person, "topic.reply", {"name": "李", "title": "电梯"}, "/topics/1")
        _tell(quiet)
    assert _outbox() == []


def test_quiet_hours_hold_an_sms_until_morning(app):
    person = f.user(phone="13800138014")
    db.session.commit()
    with frozen(_beijing(22)):
        _tell(person)
        [message] = _outbox()
        assert message.status == "pending" and message.held_for_quiet_hours
        assert message.not_before == _beijing(8, day=11)
    with frozen(_beijing(23)):
        assert service.send_due() == 0
        db.session.commit()
    with frozen(_beijing(8, 1, day=11)):
        assert service.send_due() == 1
        db.session.commit()
    [message] = _outbox()
    assert message.status == "sent" and message.sent_at == _beijing(8, 1, day=11)


def test_a_code_is_not_held_in_quiet_hours(app):
    from consult import delivery

    with frozen(_beijing(23)):
        assert delivery.send("13800138015", "Consult: your code is 482913.",
                             purpose="registration code", code="482913")
        db.session.commit()
    [message] = _outbox()
    assert message.status == "sent" and message.template == "code"
    assert message.body == "" and message.params == ""  # the code is not kept once sent


def test_a_job_run_twice_sends_once(app, caplog):
    person = f.user(phone="13800138016")
    db.session.commit()
    caplog.set_level(logging.WARNING)
    with frozen(_beijing(10)):
        _tell(person)
        [message] = _outbox()
        note = db.session.scalar(select(OutboxMessage.dedup_key))
        notification_id = int(note[1:])
        # The dispatch job and the send job again, as a retry would run them.
        assert service.queue_notifications([notification_id]) == 0
        assert service.send_one(message.id) is False
        db.session.commit()
    assert len(_outbox()) == 1
    assert caplog.text.count("13800138016") == 1


def test_a_temporary_failure_is_tried_again_later_and_a_lasting_one_kept(app, monkeypatch):
    from consult.messages import channels

    person = f.user(phone="13800138017")
    db.session.commit()
    failures = iter([SendFailed("busy", retry=True, code="isv.BUSINESS_LIMIT_CONTROL")] * 4
                    + [SendFailed("busy", retry=True, code="isv.BUSINESS_LIMIT_CONTROL")])

    def refuse(message):
        raise next(failures)

    monkeypatch.setattr(channels, "send", refuse)
    moment = _beijing(10)
    with frozen(moment):
        _tell(person)
    for _ in range(5):
        [message] = _outbox()
        if message.status == "failed":
            break
        assert message.status == "pending" and message.not_before > moment
        moment = message.not_before
        with frozen(moment):
            service.send_due()
            db.session.commit()
    [message] = _outbox()
    assert message.status == "failed" and message.attempts == 5
    assert "isv.BUSINESS_LIMIT_CONTROL" in message.last_error


def test_an_administrator_sees_a_failed_message_and_sends_it_again(app, client, login,
                                                                   monkeypatch):
    from consult.messages import channels

    person = f.user(phone="13800138018")
    admin = f.user(platform_admin=True)
    db.session.commit()
    monkeypatch.setattr(channels, "send", lambda m: (_ for _ in ()).throw(
        SendFailed("The number does not exist.", retry=False, code="isv.MOBILE_NUMBER_ILLEGAL")))
    with frozen(_beijing(10)):
        _tell(person)
    [message] = _outbox()
    assert message.status == "failed"
    page = login(admin).get("/admin/messages").get_data(as_text=True)
    assert "138****8018" in page and "isv.MOBILE_NUMBER_ILLEGAL" in page
    monkeypatch.undo()  # the provider takes it now
    with frozen(_beijing(10, 5)):
        answer = login(admin).post(f"/admin/messages/{message.id}/retry")
    assert answer.status_code == 302
    [message] = _outbox()
    assert message.status == "sent"


def test_a_failed_job_is_kept_and_an_administrator_runs_it_again(app, client, login):
    from consult.jobs import job, run_now

    calls = []

    @job("tests.flaky")
    def flaky(n: int) -> None:
        calls.append(n)
        if len(calls) == 1:
            raise RuntimeError("the database went away")

    admin = f.user(platform_admin=True)
    db.session.commit()
    assert run_now("tests.flaky", {"n": 7}) is False
    [failure] = db.session.scalars(select(JobFailure)).all()
    assert failure.name == "tests.flaky" and "went away" in failure.error
    assert "tests.flaky" in login(admin).get("/admin/messages").get_data(as_text=True)
    login(admin).post(f"/admin/jobs/{failure.id}/retry")
    assert calls == [7, 7]
    db.session.expire_all()
    assert db.session.get(JobFailure, failure.id).resolved_at is not None


def test_the_digest_once_a_day_and_only_with_something_to_say(app, caplog):
    reader = f.user(phone="13800138019")
    idle = f.user(phone="13800138020")
    db.session.commit()
    with frozen(_beijing(10)):
        for n in range(3):
            notify([reader.id], "topic.reply", {"name": f"邻居{n}", "title": "电梯"}, "/topics/1")
        db.session.commit()
    with frozen(_beijing(19, 30)):
        assert service.send_digests() == 1
        db.session.commit()
        assert service.send_digests() == 0  # once a day
        db.session.commit()
    [digest] = _outbox()
    assert digest.user_id == reader.id and digest.purpose == "digest"
    assert "3" in digest.body and digest.status == "sent"
    with frozen(_beijing(19, 30, day=11)):
        assert service.send_digests() == 0  # nothing new since
        db.session.commit()
    assert idle.id not in {m.user_id for m in _outbox()}


def test_a_read_notification_is_not_put_in_the_digest(app):
    from consult.notifications.service import mark_read

    reader = f.user(phone="13800138021")
    db.session.commit()
    with frozen(_beijing(10)):
        notify([reader.id], "topic.reply", {"name": "邻居", "title": "电梯"}, "/topics/1")
        mark_read(reader.id)
        db.session.commit()
    with frozen(_beijing(19, 30)):
        assert service.send_digests() == 0


def test_no_channel_no_outbox(app):
    app.config["SMS_PROVIDER"] = ""
    person = f.user(phone="13800138022")
    db.session.commit()
    _tell(person)
    assert _outbox() == []


def test_notifications_for_five_thousand_electors_are_queued_as_few_jobs(app, monkeypatch):
    from consult.messages import service as messages

    people = [f.user(phone=f"139{n:08d}", email=None) for n in range(2500)]
    db.session.commit()
    queued = []
    monkeypatch.setattr(messages, "enqueue", lambda name, **params: queued.append(
        (name, len(params.get("ids", [])))))
    notify([p.id for p in people], "vote.opened",
           {"question": "电梯", "closes": "12月20日", "vote_id": 1}, "/votes/1")
    db.session.rollback()
    assert queued == [("messages.dispatch", 1000), ("messages.dispatch", 1000),
                      ("messages.dispatch", 500)]


def test_the_commands_without_a_queue(app):
    """The cron lines of the README: due messages, the digest, an SMS answered with T."""
    person = f.user(phone="13800138030")
    db.session.commit()
    runner = app.test_cli_runner()
    assert "messages queued" in runner.invoke(args=["messages", "send"]).output
    assert "digests made" in runner.invoke(args=["messages", "digest"]).output
    result = runner.invoke(args=["messages", "stop", "138 0013 8030"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert set(service.modes_of(person.id).values()) == {"inapp"}
    unknown = runner.invoke(args=["messages", "stop", "13999999999"])
    assert unknown.exit_code != 0 and "No account" in unknown.output


def test_a_code_that_cannot_be_sent_is_erased_and_not_sent_again(app, client, login,
                                                                  monkeypatch):
    from consult import delivery
    from consult.messages import channels

    admin = f.user(platform_admin=True)
    db.session.commit()
    monkeypatch.setattr(channels, "send", lambda m: (_ for _ in ()).throw(
        SendFailed("No such number.", retry=False, code="isv.MOBILE_NUMBER_ILLEGAL")))
    with frozen(_beijing(10)):
        delivery.send("13800138050", "Consult: your code is 731942.", purpose="registration code",
                      code="731942")
        db.session.commit()
    [message] = _outbox()
    assert message.status == "failed" and "731942" not in message.body + message.params
    login(admin).post(f"/admin/messages/{message.id}/retry")
    [message] = _outbox()
    assert message.status == "failed"
