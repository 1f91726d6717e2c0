"""Production settings: no start without a real SECRET_KEY, cookies only over HTTPS, and no
development aids."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from consult.config import PROJECT_ROOT, load_config

PRODUCTION = {"CONSULT_ENV": "production", "SECRET_KEY": "k" * 64,
              "DATABASE_URL": "postgresql://consult@127.0.0.1/consult",
              "PUBLIC_URL": "https://consult.example.org"}


def production_env(monkeypatch, **changes):
    for name in ("SECRET_KEY", "QUERY_COUNT_HEADER", "DATABASE_URL", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**PRODUCTION, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    production_env(monkeypatch, SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        load_config(str(tmp_path))
    assert not (tmp_path / "secret_key").exists()  # no key is made up behind one's back


def test_production_refuses_a_short_secret_key(monkeypatch, tmp_path):
    production_env(monkeypatch, SECRET_KEY="changeme")
    with pytest.raises(RuntimeError, match="too short"):
        load_config(str(tmp_path))


def test_production_refuses_to_start_without_a_public_url(monkeypatch, tmp_path):
    production_env(monkeypatch, PUBLIC_URL=None)
    with pytest.raises(RuntimeError, match="PUBLIC_URL must be set"):
        load_config(str(tmp_path))


@pytest.mark.parametrize("value", ["http://consult.example.org", "consult.example.org",
                                   "https://", "https://x.org/?next=evil", "javascript:alert(1)",
                                   "https://user:pw@consult.example.org"])
def test_production_refuses_a_public_url_that_is_not_a_plain_https_address(monkeypatch,
                                                                          tmp_path, value):
    production_env(monkeypatch, PUBLIC_URL=value)
    with pytest.raises(RuntimeError, match="PUBLIC_URL must"):
        load_config(str(tmp_path))


def test_production_keeps_the_public_url_without_a_trailing_slash(monkeypatch, tmp_path):
    production_env(monkeypatch, PUBLIC_URL="https://consult.example.org/")
    assert load_config(str(tmp_path))["PUBLIC_URL"] == "https://consult.example.org"


def test_production_cookies_travel_only_over_https_and_dev_aids_are_off(monkeypatch, tmp_path):
    production_env(monkeypatch, QUERY_COUNT_HEADER="1")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["QUERY_COUNT_HEADER"] is False


def test_development_makes_and_keeps_its_own_key(monkeypatch, tmp_path):
    production_env(monkeypatch, CONSULT_ENV="development", SECRET_KEY=None)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) >= 32 and load_config(str(tmp_path))["SECRET_KEY"] == first
    assert load_config(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def test_the_flask_command_stops_with_the_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(CONSULT_ENV="production", CONSULT_INSTANCE_PATH=str(tmp_path))
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "consult", "routes"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "SECRET_KEY must be set when CONSULT_ENV=production" in run.stderr
