"""E-mail over SMTP: building a message and handing it to the mail server.

The settings are Flask-Mail's names (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``,
``MAIL_USE_SSL``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``, ``MAIL_DEFAULT_SENDER``,
``MAIL_TIMEOUT``), read and checked at start by :func:`consult.config.mail_settings`. Without
``MAIL_SERVER`` e-mail is not configured (:func:`configured`).

:func:`build` makes a ``multipart/alternative`` message (plain text, then HTML) with the headers
mail providers expect of automatic mail; :func:`send` delivers it with :mod:`smtplib` and turns
every failure into :class:`~consult.messages.errors.SendFailed`, saying whether trying again
later may help (a busy or unreachable server, a 4xx reply) or not (a 5xx reply: no such
recipient, a refused login, a refused message).
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from flask_babel import lazy_gettext as _l

from consult.clock import to_local, utcnow
from consult.config import mail_sender_address
from consult.messages.errors import SendFailed

# Lines end in CRLF and bodies are 7-bit (quoted-printable or base64, whichever is shorter), so
# the message passes through servers that do not offer 8BITMIME unchanged.
POLICY = email_policy.SMTP.clone(cte_type="7bit")
# The languages of the site and their tags for Content-Language (BCP 47).
CONTENT_LANGUAGES = {"zh_Hans": "zh-Hans", "en": "en"}


def _config(config):
    return current_app.config if config is None else config


def configured(config=None) -> bool:
    """Whether e-mail can be sent: ``MAIL_SERVER`` is set (the app refused to start if it is
    set without a sender)."""
    return bool(_config(config).get("MAIL_SERVER"))


def _refuse_line_breaks(name: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"{name} must be one line: a line break would start a new mail header")


def build(to: str, subject: str, text: str, html: str | None, *, unsubscribe_url=None,
          lang: str = "zh_Hans", config=None) -> EmailMessage:
    """One e-mail to ``to`` (an address, or ``Name <address>``): ``text`` as text/plain and
    ``html`` as its text/html alternative, both UTF-8, from ``MAIL_DEFAULT_SENDER``.

    ``unsubscribe_url`` adds ``List-Unsubscribe`` and the one-click ``List-Unsubscribe-Post``
    of RFC 8058 (the URL must answer a POST by unsubscribing). ``lang`` is the site language
    the texts are in. A line break in ``to``, ``subject`` or the URL is refused (ValueError):
    it would let the caller's text write headers of its own."""
    settings = _config(config)
    sender_text = settings.get("MAIL_DEFAULT_SENDER") or ""
    sender = mail_sender_address(sender_text)
    if sender is None:
        raise RuntimeError("MAIL_DEFAULT_SENDER is not set: e-mail is not configured")
    _refuse_line_breaks("The recipient", to)
    _refuse_line_breaks("The subject", subject)
    if unsubscribe_url is not None:
        _refuse_line_breaks("The unsubscribe URL", unsubscribe_url)
        if not unsubscribe_url.startswith(("https://", "http://")) or " " in unsubscribe_url \
                or ">" in unsubscribe_url:
            raise ValueError("The unsubscribe URL must be an http(s) URL without spaces")
    if lang not in CONTENT_LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(CONTENT_LANGUAGES)}, not {lang!r}")

    message = EmailMessage(policy=POLICY)
    message["From"] = sender_text
    message["To"] = to.strip()
    recipients = message["To"].addresses
    if len(recipients) != 1 or not recipients[0].username or not recipients[0].domain:
        raise ValueError(f"The recipient must be one e-mail address, not {to!r}")
    message["Subject"] = subject
    message["Date"] = format_datetime(to_local(utcnow()))
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # RFC 3834: sent by a program, so auto-responders (out-of-office) do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, charset="utf-8")
    if html is not None:
        message.add_alternative(html, subtype="html", charset="utf-8")
    # After the body: making the message multipart moves the Content-* headers into its parts.
    message["Content-Language"] = CONTENT_LANGUAGES[lang]
    return message


def _reply(response) -> str:
    if isinstance(response, bytes):
        response = response.decode("utf-8", "replace")
    return " ".join(str(response).split())


def _by_code(code: int, message) -> SendFailed:
    """4xx: the server may take it later; 5xx: it will not. (Codes outside SMTP's, such as
    smtplib's -1 for a lost connection, count as temporary.)"""
    return SendFailed(message, retry=not 500 <= code < 600, code=str(code))


def send(message: EmailMessage, *, config=None) -> str:
    """Hand ``message`` (from :func:`build`) to the SMTP server; returns its Message-ID.

    Raises :class:`SendFailed` when it was not accepted, with ``retry`` and the SMTP ``code``.
    """
    settings = _config(config)
    if not configured(settings):
        raise SendFailed(_l("E-mail is not configured: MAIL_SERVER is not set."), retry=False)
    if message["Message-ID"] is None:
        sender = mail_sender_address(settings.get("MAIL_DEFAULT_SENDER") or "")
        message["Message-ID"] = make_msgid(domain=sender.domain if sender else None)
    server = settings["MAIL_SERVER"]
    port = int(settings.get("MAIL_PORT") or 25)
    where = f"{server}:{port}"
    timeout = float(settings.get("MAIL_TIMEOUT") or 10)
    username = settings.get("MAIL_USERNAME") or ""
    recipient = ", ".join(str(a.addr_spec) for a in getattr(message["To"], "addresses", ()))
    context = ssl.create_default_context()
    try:
        if settings.get("MAIL_USE_SSL"):
            client = smtplib.SMTP_SSL(server, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server, port, timeout=timeout)
        with client:
            if settings.get("MAIL_USE_TLS"):
                client.starttls(context=context)
            if username:
                try:
                    client.login(username, settings.get("MAIL_PASSWORD") or "")
                except smtplib.SMTPAuthenticationError as error:
                    raise _by_code(error.smtp_code, _l(
                        "The mail server %(server)s refused the login of MAIL_USERNAME "
                        "%(username)s: %(code)s %(reply)s", server=where, username=username,
                        code=error.smtp_code, reply=_reply(error.smtp_error))) from error
            refused = client.send_message(message)
    except SendFailed:
        raise
    except smtplib.SMTPRecipientsRefused as error:
        address, (code, reply) = next(iter(error.recipients.items()))
        raise _by_code(code, _l(
            "The mail server %(server)s refused the recipient %(address)s: %(code)s %(reply)s",
            server=where, address=address, code=code, reply=_reply(reply))) from error
    except smtplib.SMTPSenderRefused as error:
        raise _by_code(error.smtp_code, _l(
            "The mail server %(server)s refused the sender %(sender)s (MAIL_DEFAULT_SENDER): "
            "%(code)s %(reply)s", server=where, sender=_reply(error.sender),
            code=error.smtp_code, reply=_reply(error.smtp_error))) from error
    except smtplib.SMTPDataError as error:
        raise _by_code(error.smtp_code, _l(
            "The mail server %(server)s refused the message to %(address)s: %(code)s %(reply)s",
            server=where, address=recipient, code=error.smtp_code,
            reply=_reply(error.smtp_error))) from error
    except smtplib.SMTPResponseException as error:  # greeting, HELO, STARTTLS and others
        raise _by_code(error.smtp_code, _l(
            "The mail server %(server)s answered %(code)s %(reply)s", server=where,
            code=error.smtp_code, reply=_reply(error.smtp_error))) from error
    except smtplib.SMTPNotSupportedError as error:
        raise SendFailed(_l(
            "The mail server %(server)s does not offer what the MAIL_ settings ask for "
            "(%(reason)s): check MAIL_USE_TLS and MAIL_USERNAME.", server=where,
            reason=_reply(error)), retry=False) from error
    except smtplib.SMTPServerDisconnected as error:
        if isinstance(error.__context__, TimeoutError):  # smtplib's reading timed out
            raise SendFailed(_l("The mail server %(server)s did not answer within %(seconds)s "
                                "seconds (MAIL_TIMEOUT).", server=where,
                                seconds=f"{timeout:g}"), retry=True) from error
        raise SendFailed(_l(
            "The mail server %(server)s closed the connection before the message was sent "
            "(%(reason)s).", server=where, reason=_reply(error) or "-"), retry=True) from error
    except smtplib.SMTPException as error:
        raise SendFailed(_l("Sending through the mail server %(server)s failed: %(reason)s",
                            server=where, reason=_reply(error)), retry=False) from error
    except ssl.SSLError as error:  # before OSError, of which it is one
        raise SendFailed(_l(
            "The TLS connection to the mail server %(server)s failed (%(reason)s): check "
            "MAIL_USE_SSL, MAIL_USE_TLS, MAIL_PORT and the server's certificate.",
            server=where, reason=_reply(error)), retry=False) from error
    except (TimeoutError, socket.timeout) as error:
        raise SendFailed(_l("The mail server %(server)s did not answer within %(seconds)s "
                            "seconds (MAIL_TIMEOUT).", server=where, seconds=f"{timeout:g}"),
                         retry=True) from error
    except OSError as error:  # refused, unreachable, a name that does not resolve
        raise SendFailed(_l("The mail server %(server)s could not be reached: %(reason)s",
                            server=where, reason=_reply(error.strerror or error)),
                         retry=True) from error
    if refused:  # some recipients of several were refused; the others have it
        address, (code, reply) = next(iter(refused.items()))
        raise SendFailed(_l(
            "The mail server %(server)s refused the recipient %(address)s: %(code)s %(reply)s",
            server=where, address=address, code=code, reply=_reply(reply)),
            retry=False, code=str(code))
    return str(message["Message-ID"])
