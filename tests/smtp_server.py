"""A real SMTP server for the tests that send e-mail, run by the suite itself (aiosmtpd).

One server per test process (xdist worker) listens on a free local port in a thread; the
``smtp_server`` fixture empties it before each test. It keeps every message it accepts
(:class:`Received`: envelope sender, recipients, the login used, the parsed message), and a test
can make it answer a temporary (421, 451) or permanent (550) failure for chosen recipients, or
refuse the message itself after DATA. It accepts AUTH LOGIN and PLAIN for :data:`USERNAME` /
:data:`PASSWORD` without TLS (a test server on 127.0.0.1); logging in is optional.

``mail_config(smtp_server)`` is the app's ``MAIL_*`` settings pointing at it, to merge into the
``app_config`` fixture::

    @pytest.fixture
    def app_config(smtp_server):
        return mail_config(smtp_server)
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest

USERNAME = "consult-mailer"
PASSWORD = "s3cret-pass"
SENDER = "社区议事 <noreply@consult.test>"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    recipients: list[str]
    login: str | None  # the AUTH user name, None when the client did not log in
    raw: bytes
    message: EmailMessage


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.failures.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.data_reply:
            return self.server.data_reply
        raw = envelope.original_content or envelope.content
        login = session.login_data.decode() if session.login_data else None
        with self.server.lock:
            self.server.messages.append(Received(
                mail_from=envelope.mail_from, recipients=list(envelope.rcpt_tos), login=login,
                raw=raw, message=message_from_bytes(raw, policy=email_policy.default)))
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    ok = (mechanism in ("LOGIN", "PLAIN")
          and auth_data.login == USERNAME.encode()
          and auth_data.password == PASSWORD.encode())
    # handled=False: aiosmtpd itself answers a failure (535), the handler sends nothing.
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SMTPServer:
    """The running server and its switches (all reset by :meth:`reset`)."""

    host = "127.0.0.1"

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = _free_port()
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.failures: dict[str, str] = {}
        self.data_reply: str | None = None
        self.controller = Controller(
            _Handler(self), hostname=self.host, port=self.port, authenticator=_authenticate,
            auth_require_tls=False)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
        self.failures.clear()
        self.data_reply = None

    def fail_recipient(self, address: str, reply: str = "550 5.1.1 No such mailbox") -> None:
        """Answer RCPT TO ``address`` with ``reply``: a temporary failure ("451 4.3.0 Try
        again later", "421 4.3.2 Closing") or a permanent one (the default, 550)."""
        self.failures[address.lower()] = reply

    def refuse_data(self, reply: str = "554 5.6.0 Message refused") -> None:
        """Answer the end of every message with ``reply`` instead of accepting it."""
        self.data_reply = reply

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.messages)


def mail_config(server: SMTPServer, *, login: bool = False, **changes) -> dict:
    """The ``MAIL_*`` settings of the app pointing at ``server``; with ``login`` it logs in as
    :data:`USERNAME`. ``changes`` override single settings (``MAIL_PASSWORD="wrong"``)."""
    config = {
        "MAIL_SERVER": server.host,
        "MAIL_PORT": server.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": USERNAME if login else "",
        "MAIL_PASSWORD": PASSWORD if login else "",
        "MAIL_DEFAULT_SENDER": SENDER,
        "MAIL_TIMEOUT": 5.0,
    }
    config.update(changes)
    return config


@pytest.fixture(scope="session")
def smtp_server_process():
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_server_process) -> SMTPServer:
    """The suite's SMTP server, emptied and with no failures switched on, for this test."""
    smtp_server_process.reset()
    yield smtp_server_process
    smtp_server_process.reset()
