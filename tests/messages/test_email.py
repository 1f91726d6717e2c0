"""E-mail over SMTP, against the suite's real SMTP server (tests/smtp_server.py): what arrives,
the headers of automatic mail, logging in, and which failures are worth trying again."""
from __future__ import annotations

import socket

import pytest

from consult.messages import email
from consult.messages.errors import SendFailed
from tests.smtp_server import PASSWORD, USERNAME, mail_config

pytestmark = pytest.mark.usefixtures("english")

TO = "resident@example.org"
SUBJECT = "【议题】小区东门改造方案征求意见"
TEXT = "您好：\n\n东门改造方案已公布，欢迎在 12 月 20 日前发表意见。\n"
HTML = "<p>您好：</p><p>东门改造方案已公布，欢迎在 <b>12 月 20 日</b>前发表意见。</p>"
UNSUBSCRIBE = "https://consult.example.org/unsubscribe/abc123"


@pytest.fixture
def app_config(smtp_server):
    return mail_config(smtp_server)


def send_one(**build_args):
    args = {"unsubscribe_url": UNSUBSCRIBE, **build_args}
    return email.send(email.build(TO, SUBJECT, TEXT, HTML, **args))


def failure(**build_args) -> SendFailed:
    with pytest.raises(SendFailed) as caught:
        send_one(**build_args)
    return caught.value


def test_a_message_arrives_with_both_parts_and_its_chinese_subject(app, smtp_server):
    message_id = send_one()
    [received] = smtp_server.received()
    assert received.mail_from == "noreply@consult.test" and received.recipients == [TO]
    assert received.login is None  # no MAIL_USERNAME: no login
    message = received.message
    assert message["Subject"] == SUBJECT
    assert b"\xe3" not in received.raw  # 7-bit on the wire: the subject is encoded (RFC 2047)
    assert message["From"].addresses[0].display_name == "社区议事"
    assert message["From"].addresses[0].addr_spec == "noreply@consult.test"
    assert message["To"] == TO
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert html.get_content_type() == "text/html" and html.get_content_charset() == "utf-8"
    # Lines end in CRLF on the wire, as RFC 5322 has them.
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().strip() == HTML


def test_the_headers_of_automatic_mail(app, smtp_server):
    message_id = send_one()
    message = smtp_server.received()[0].message
    assert message["Message-ID"] == message_id
    assert message_id.startswith("<") and message_id.endswith("@consult.test>")
    assert message["Date"].datetime is not None
    assert message["Date"].datetime.utcoffset().total_seconds() == 8 * 3600  # Asia/Shanghai
    assert message["Content-Language"] == "zh-Hans"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"


def test_english_and_without_an_unsubscribe_link(app, smtp_server):
    email.send(email.build(TO, "A vote is announced", "Hello", "<p>Hello</p>", lang="en"))
    message = smtp_server.received()[0].message
    assert message["Content-Language"] == "en"
    assert message["Subject"] == "A vote is announced"
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_every_message_has_its_own_id(app, smtp_server):
    first, second = send_one(), send_one()
    assert first != second
    assert [r.message["Message-ID"] for r in smtp_server.received()] == [first, second]


def test_the_login_is_used_when_a_user_name_is_set(app, smtp_server):
    app.config.update(mail_config(smtp_server, login=True))
    send_one()
    assert smtp_server.received()[0].login == USERNAME


def test_a_refused_login_is_permanent(app, smtp_server):
    app.config.update(mail_config(smtp_server, login=True, MAIL_PASSWORD=PASSWORD + "x"))
    error = failure()
    assert error.retry is False and error.code == "535"
    assert f"refused the login of MAIL_USERNAME {USERNAME}" in str(error)
    assert smtp_server.received() == []


@pytest.mark.parametrize("reply", ["451 4.3.0 Mailbox busy, try again later",
                                   "421 4.3.2 Service shutting down"])
def test_a_temporary_failure_is_tried_again(app, smtp_server, reply):
    smtp_server.fail_recipient(TO, reply)
    error = failure()
    assert error.retry is True and error.code == reply[:3]
    assert f"refused the recipient {TO}: {reply}" in str(error)
    assert smtp_server.received() == []


def test_an_unknown_recipient_is_permanent(app, smtp_server):
    smtp_server.fail_recipient(TO)
    error = failure()
    assert error.retry is False and error.code == "550"
    assert str(error) == (f"The mail server 127.0.0.1:{smtp_server.port} refused the "
                          f"recipient {TO}: 550 5.1.1 No such mailbox")
    assert smtp_server.received() == []


def test_other_recipients_are_not_affected(app, smtp_server):
    smtp_server.fail_recipient("someone.else@example.org")
    send_one()
    assert len(smtp_server.received()) == 1


@pytest.mark.parametrize("reply, retry", [("554 5.6.0 Message refused as spam", False),
                                          ("452 4.3.1 Insufficient storage", True)])
def test_a_refused_message(app, smtp_server, reply, retry):
    smtp_server.refuse_data(reply)
    error = failure()
    assert error.retry is retry and error.code == reply[:3]
    assert f"refused the message to {TO}: {reply}" in str(error)


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_is_down_is_tried_again(app):
    port = _unused_port()
    app.config["MAIL_PORT"] = port
    error = failure()
    assert error.retry is True and error.code == ""
    assert f"The mail server 127.0.0.1:{port} could not be reached" in str(error)


def test_a_server_that_does_not_answer_is_tried_again(app):
    with socket.socket() as silent:  # accepts connections (the backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        app.config.update(MAIL_PORT=silent.getsockname()[1], MAIL_TIMEOUT=0.3)
        error = failure()
    assert error.retry is True and error.code == ""
    assert "did not answer within 0.3 seconds (MAIL_TIMEOUT)" in str(error)


def test_starttls_the_server_does_not_offer_is_permanent(app, smtp_server):
    app.config["MAIL_USE_TLS"] = True
    error = failure()
    assert error.retry is False
    assert "does not offer what the MAIL_ settings ask for" in str(error)
    assert smtp_server.received() == []


def test_ssl_to_a_plain_server_is_permanent(app, smtp_server):
    app.config["MAIL_USE_SSL"] = True
    error = failure()
    assert error.retry is False
    assert "The TLS connection to the mail server" in str(error)
    assert smtp_server.received() == []


@pytest.mark.parametrize("to, subject", [
    (f"{TO}\r\nBcc: everyone@example.org", SUBJECT),
    (f"{TO}\nBcc: everyone@example.org", SUBJECT),
    (TO, "通知\r\nBcc: everyone@example.org"),
    (TO, "通知\nX-Injected: yes"),
    (TO, "通知\rX-Injected: yes"),
])
def test_header_injection_is_refused(app, smtp_server, to, subject):
    with pytest.raises(ValueError, match="must be one line"):
        email.build(to, subject, TEXT, HTML)
    assert smtp_server.received() == []


def test_an_unsubscribe_url_with_a_line_break_is_refused(app):
    with pytest.raises(ValueError, match="must be one line"):
        email.build(TO, SUBJECT, TEXT, HTML, unsubscribe_url=UNSUBSCRIBE + "\r\nBcc: a@b.org")
    with pytest.raises(ValueError, match="http"):
        email.build(TO, SUBJECT, TEXT, HTML, unsubscribe_url="javascript:alert(1)")


@pytest.mark.parametrize("to", ["", "resident", "a@example.org, b@example.org"])
def test_the_recipient_must_be_one_address(app, to):
    with pytest.raises(ValueError, match="one e-mail address"):
        email.build(to, SUBJECT, TEXT, HTML)


def test_a_recipient_with_a_name(app, smtp_server):
    email.send(email.build(f"王芳 <{TO}>", SUBJECT, TEXT, HTML))
    received = smtp_server.received()[0]
    assert received.recipients == [TO]
    assert received.message["To"].addresses[0].display_name == "王芳"


def test_without_a_server_nothing_is_sent(app, smtp_server):
    app.config["MAIL_SERVER"] = ""
    assert not email.configured()
    message = email.build(TO, SUBJECT, TEXT, HTML)
    with pytest.raises(SendFailed) as caught:
        email.send(message)
    assert caught.value.retry is False and "MAIL_SERVER is not set" in str(caught.value)
    assert smtp_server.received() == []
