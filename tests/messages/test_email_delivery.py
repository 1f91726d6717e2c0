"""Notifications and digests by e-mail, through a real SMTP server started by the tests: both
parts, the reader's language, the unsubscribe header and its one-click link."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult.clock import frozen
from consult.extensions import db
from consult.messages import service
from consult.messages.models import MessageSettings, OutboxMessage
from consult.notifications.service import notify
from tests import factories as f
from tests.smtp_server import mail_config

NOON = datetime(2026, 12, 10, 4, 0)  # 12:00 in Beijing
EVENING = datetime(2026, 12, 10, 11, 30)  # 19:30 in Beijing


@pytest.fixture
def app_config(smtp_server):
    return mail_config(smtp_server)


def _parts(received):
    message = received.message
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return message, text, html


def test_a_verification_result_arrives_by_e_mail_in_chinese(app, smtp_server):
    person = f.user("李大爷", email="li@example.org")
    db.session.commit()
    with frozen(NOON):
        notify([person.id], "residency.verified", {"home": "3-502", "reason": ""},
               "/me/residency")
        db.session.commit()
    [received] = smtp_server.received()
    assert received.recipients == ["li@example.org"]
    message, text, html = _parts(received)
    assert "3-502" in message["Subject"] and "已" in message["Subject"]
    assert "李大爷" in text and "http://127.0.0.1:5000/me/residency" in text
    assert 'href="http://127.0.0.1:5000/me/residency"' in html
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith("http://127.0.0.1:5000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and link in html


def test_the_one_click_link_of_an_e_mail_stops_that_category(app, client, smtp_server):
    person = f.user(email="wang@example.org")
    db.session.commit()
    with frozen(NOON):
        notify([person.id], "residency.verified", {"home": "1-101", "reason": ""}, "/")
        db.session.commit()
    [received] = smtp_server.received()
    link = received.message["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://127.0.0.1:5000")
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db.session.expire_all()
    assert service.modes_of(person.id)["verification"] == "inapp"
    with frozen(NOON + timedelta(minutes=5)):
        notify([person.id], "residency.refused", {"home": "1-102", "reason": "不符"}, "/")
        db.session.commit()
    assert len(smtp_server.received()) == 1  # nothing more


def test_english_readers_get_english(app, smtp_server):
    person = f.user("Ann", email="ann@example.org")
    db.session.add(MessageSettings(user_id=person.id, language="en", quiet_start=21,
                                   quiet_end=8, digest_through=0))
    db.session.commit()
    with frozen(NOON):
        notify([person.id], "residency.verified", {"home": "2-201", "reason": ""}, "/")
        db.session.commit()
    [received] = smtp_server.received()
    message, text, _html = _parts(received)
    assert message["Subject"].startswith("Your home 2-201 is verified")
    assert message["Content-Language"] == "en"
    assert text.startswith("Hello Ann,")


def test_e_mail_is_not_held_for_quiet_hours(app, smtp_server):
    person = f.user(email="night@example.org")
    db.session.commit()
    with frozen(datetime(2026, 12, 10, 15, 0)):  # 23:00 in Beijing
        notify([person.id], "residency.verified", {"home": "1-101", "reason": ""}, "/")
        db.session.commit()
    assert len(smtp_server.received()) == 1


def test_the_daily_digest_lists_what_is_new(app, smtp_server):
    person = f.user("周阿姨", email="zhou@example.org")
    db.session.commit()
    with frozen(NOON):
        for n in range(3):
            notify([person.id], "topic.reply", {"name": f"邻居{n}", "title": "加装电梯"},
                   f"/topics/{n}")
        db.session.commit()
    assert smtp_server.received() == []  # replies wait for the digest
    with frozen(EVENING):
        assert service.send_digests() == 1
        db.session.commit()
    [received] = smtp_server.received()
    message, text, html = _parts(received)
    assert "3" in message["Subject"]
    for n in range(3):
        assert f"邻居{n}" in text and f"http://127.0.0.1:5000/topics/{n}" in html
    assert message["List-Unsubscribe"]


def test_a_server_that_refuses_for_now_is_tried_again(app, smtp_server):
    person = f.user(email="busy@example.org")
    db.session.commit()
    smtp_server.fail_recipient("busy@example.org", "451 4.3.0 Try again later")
    with frozen(NOON):
        notify([person.id], "residency.verified", {"home": "1-101", "reason": ""}, "/")
        db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == "pending" and "451" in message.last_error
    smtp_server.reset()
    with frozen(message.not_before):
        service.send_due()
        db.session.commit()
    assert len(smtp_server.received()) == 1
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


def test_a_code_by_e_mail_leaves_no_trace_of_itself_once_sent(app, smtp_server):
    from consult import delivery

    with frozen(NOON):
        assert delivery.send("new@example.org", "Consult: your registration code is 604817.",
                             purpose="registration code", code="604817")
        db.session.commit()
    [received] = smtp_server.received()
    assert "604817" in received.message.get_body(preferencelist=("plain",)).get_content()
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage))
    assert message.status == "sent"
    assert "604817" not in (message.body + message.html + message.subject + message.params)
