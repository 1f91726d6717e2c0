"""When the database cannot be reached, readers get the site's own page in their language with
a 503 and a hint to retry (not a bare server error), the API a problem document; /healthz
still answers and /readyz says what is down. Redis is checked for real."""
from __future__ import annotations

import pytest

from consult import create_app
from consult.i18n import LANG_COOKIE
from tests.conftest import base_config

# Nothing listens on port 1: every connection is refused at once.
DOWN = {"postgresql": "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"}


@pytest.fixture(params=["sqlite", "postgresql"])
def down(request, tmp_path, monkeypatch):
    """An app whose database is unreachable."""
    monkeypatch.setenv("CONSULT_INSTANCE_PATH", str(tmp_path / "instance"))
    url = DOWN.get(request.param) or f"sqlite:///{tmp_path}/no-such-folder/consult.sqlite3"
    application = create_app({**base_config(url), "PROPAGATE_EXCEPTIONS": False})
    with application.app_context():
        yield application


@pytest.mark.parametrize("lang, words", [("zh_Hans", "暂时无法访问"), ("en", "Briefly unavailable")])
def test_a_page_says_briefly_unavailable_in_the_readers_language(down, lang, words):
    client = down.test_client()
    client.set_cookie(LANG_COOKIE, lang)
    response = client.get("/topics?q=x")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert words in html
    assert 'href="/topics?q=x"' in html  # try again
    assert "Traceback" not in html and "Internal Server Error" not in html


def test_a_form_sent_while_down_says_it_was_not_saved(down):
    client = down.test_client()
    client.set_cookie(LANG_COOKIE, "en")
    response = client.post("/login", data={"identifier": "13800000000", "password": "x"})
    assert response.status_code == 503
    assert "What you sent was not saved" in response.get_data(as_text=True)


def test_the_api_answers_a_problem_document(down):
    response = down.test_client().get("/api/v1/topics")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.json["type"].endswith("/unavailable")
    assert response.headers["Retry-After"] == "60"


def test_healthz_lives_and_readyz_says_the_database_is_down(down):
    client = down.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unavailable",
                             "redis": "not configured"}


def test_readyz_checks_a_real_redis(app, redis_url):
    app.config["RATELIMIT_STORAGE_URI"] = redis_url
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "database": "ok", "redis": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_says_when_redis_is_down(app):
    app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["redis"] == "unavailable" and response.json["database"] == "ok"
