"""The MAIL_* settings (Flask-Mail's names): read from the environment at start, and a
contradiction or an unreadable value stops the app with a sentence that says what to fix."""
from __future__ import annotations

import pytest

from consult.config import load_config
from consult.messages import email

MAIL_NAMES = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME",
              "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "MAIL_TIMEOUT")


@pytest.fixture
def mail_env(monkeypatch, tmp_path):
    """``mail_env(NAME=value, ...)`` loads the configuration with only these MAIL_* set."""
    def _load(**values):
        for name in MAIL_NAMES:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return load_config(str(tmp_path))
    return _load


def test_without_a_server_email_is_not_configured(mail_env):
    config = mail_env()
    assert config["MAIL_SERVER"] == "" and not email.configured(config)
    assert config["MAIL_PORT"] == 25 and config["MAIL_TIMEOUT"] == 10
    assert config["MAIL_USE_TLS"] is False and config["MAIL_USE_SSL"] is False


def test_a_server_with_a_sender_is_configured(mail_env):
    config = mail_env(MAIL_SERVER="smtp.example.org", MAIL_USE_TLS="true", MAIL_PORT="587",
                      MAIL_USERNAME="mailer", MAIL_PASSWORD="pw", MAIL_TIMEOUT="2.5",
                      MAIL_DEFAULT_SENDER="社区议事 <noreply@example.org>")
    assert email.configured(config)
    assert config["MAIL_SERVER"] == "smtp.example.org" and config["MAIL_PORT"] == 587
    assert config["MAIL_USE_TLS"] is True and config["MAIL_USE_SSL"] is False
    assert (config["MAIL_USERNAME"], config["MAIL_PASSWORD"]) == ("mailer", "pw")
    assert config["MAIL_DEFAULT_SENDER"] == "社区议事 <noreply@example.org>"
    assert config["MAIL_TIMEOUT"] == 2.5


def test_ssl_defaults_to_port_465(mail_env):
    config = mail_env(MAIL_SERVER="smtp.example.org", MAIL_USE_SSL="1",
                      MAIL_DEFAULT_SENDER="noreply@example.org")
    assert config["MAIL_USE_SSL"] is True and config["MAIL_PORT"] == 465


def test_tls_and_ssl_together_are_refused(mail_env):
    with pytest.raises(RuntimeError, match="MAIL_USE_TLS and MAIL_USE_SSL cannot both be on"):
        mail_env(MAIL_SERVER="smtp.example.org", MAIL_USE_TLS="1", MAIL_USE_SSL="true",
                 MAIL_DEFAULT_SENDER="noreply@example.org")


@pytest.mark.parametrize("port", ["smtp", "25x", "-1", "0", "70000", "2.5"])
def test_a_port_that_is_not_a_number_is_refused(mail_env, port):
    with pytest.raises(RuntimeError, match="MAIL_PORT must be a port number"):
        mail_env(MAIL_SERVER="smtp.example.org", MAIL_PORT=port,
                 MAIL_DEFAULT_SENDER="noreply@example.org")


def test_a_server_without_a_sender_is_refused(mail_env):
    with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER must be set when MAIL_SERVER"):
        mail_env(MAIL_SERVER="smtp.example.org")


@pytest.mark.parametrize("sender", ["noreply", "a@b.org, c@d.org", "社区议事 <noreply>",
                                    "<>", "noreply@"])
def test_a_sender_that_is_not_one_address_is_refused(mail_env, sender):
    with pytest.raises(RuntimeError, match="MAIL_DEFAULT_SENDER must be one e-mail address"):
        mail_env(MAIL_SERVER="smtp.example.org", MAIL_DEFAULT_SENDER=sender)


@pytest.mark.parametrize("name", ["MAIL_USE_TLS", "MAIL_USE_SSL"])
def test_a_switch_must_read_on_or_off(mail_env, name):
    with pytest.raises(RuntimeError, match=f"{name} must be 1 or 0"):
        mail_env(**{name: "sometimes"})


@pytest.mark.parametrize("timeout", ["ten", "0", "-3", "1000"])
def test_a_timeout_must_be_some_seconds(mail_env, timeout):
    with pytest.raises(RuntimeError, match="MAIL_TIMEOUT must be a number of seconds"):
        mail_env(MAIL_TIMEOUT=timeout)


def test_a_password_without_a_user_name_is_refused(mail_env):
    with pytest.raises(RuntimeError, match="MAIL_PASSWORD is set but MAIL_USERNAME is not"):
        mail_env(MAIL_SERVER="smtp.example.org", MAIL_DEFAULT_SENDER="noreply@example.org",
                 MAIL_PASSWORD="pw")


def test_a_login_must_be_ascii(mail_env):
    with pytest.raises(RuntimeError, match="must be ASCII"):
        mail_env(MAIL_SERVER="smtp.example.org", MAIL_DEFAULT_SENDER="noreply@example.org",
                 MAIL_USERNAME="mailer", MAIL_PASSWORD="密码")
