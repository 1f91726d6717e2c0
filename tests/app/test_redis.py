"""Production keeps rate limits in Redis (``REDIS_URL``). The app must start with it (it once
crashed: the Redis client was not a dependency), and two app processes over one Redis must
share one budget, as gunicorn's workers do. The Redis is real, started by the suite."""
from __future__ import annotations

import pytest
import redis

from consult import create_app
from consult.config import load_config
from tests.conftest import base_config
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("english")


def _app(database_url, redis_url, tmp_path, name):
    config = {**base_config(database_url), "RATELIMIT_ENABLED": True,
              "RATELIMIT_STORAGE_URI": redis_url, "REGISTER_RATE_LIMIT": "2 per hour"}
    return create_app(config)


def test_the_documented_production_settings_start_with_redis(monkeypatch, tmp_path, redis_url,
                                                             database_url):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(tmp_path / "instance"))
    assert load_config(str(tmp_path))["RATELIMIT_STORAGE_URI"] == redis_url
    # The storage from the environment, not a test override: this is what crashed.
    config = {k: v for k, v in base_config(database_url).items()
              if k not in ("RATELIMIT_STORAGE_URI", "RATELIMIT_ENABLED")}
    application = create_app(config)
    with application.app_context():
        response = application.test_client().post(
            "/login", data={"identifier": "13800002999", "password": "wrong"})
    assert response.status_code == 200
    assert redis.Redis.from_url(redis_url).dbsize() > 0  # the login attempt is counted there


def test_two_app_processes_over_one_redis_share_the_registration_limit(
        app, database_url, redis_url, tmp_path, monkeypatch):
    first = _app(database_url, redis_url, tmp_path, "a")
    second = _app(database_url, redis_url, tmp_path, "b")

    def register(application, phone):
        with application.app_context():
            return application.test_client().post(
                "/register", data={"name": "王小明", "phone": phone, "email": "",
                                   "password": PASSWORD, "confirm": PASSWORD,
                                   **factories.consent()},
                environ_base={"REMOTE_ADDR": "10.9.9.9"})

    assert register(first, "13800002001").status_code == 302
    assert register(second, "13800002002").status_code == 302
    refused = register(first, "13800002003")
    assert refused.status_code == 429
    assert "Several accounts were registered from this address" in refused.get_data(as_text=True)
    assert register(second, "13800002004").status_code == 429
