"""The privacy notice: at /privacy in both languages, older versions readable, linked from every
page's footer, saying what the site holds with the settings it quotes."""
from __future__ import annotations

import pytest

from consult.privacy import rules
from tests import factories
from tests.privacy.conftest import FIRST, NEW


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_notice_is_in_chinese_by_default(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    page = text(response)
    # (the page's own title is translated by the catalogue; the document is written in Chinese)
    assert "《中华人民共和国个人信息保护法》" in page
    assert "本站保存的您的信息" in page and "保存期限" in page
    assert FIRST in page
    assert "What the site holds about you" not in page


def test_the_notice_is_in_english_for_an_english_reader(client):
    client.set_cookie("lang", "en")
    page = text(client.get("/privacy"))
    assert "Privacy notice" in page and "Protection Law (个人信息保护法)" in page
    assert "What the site holds about you" in page and "How long it is kept" in page
    assert "本站保存的您的信息" not in page


@pytest.mark.usefixtures("english")
def test_the_notice_says_what_is_held_who_sees_it_and_the_rights(client):
    page = text(client.get("/privacy"))
    for held in ("phone number", "e-mail address", "floor areas", "evidence of residence",
                 "comments", "co-sign", "receipt code", "reservations", "ratings",
                 "objections", "notifications", "message settings", "devices",
                 "agreements to this notice", "Who looked at your personal data"):
        assert held in page, held
    assert "named" in page and "secret" in page  # ballots follow the vote's rule
    assert 'href="/me/data"' in page and 'href="/account/close"' in page
    assert "your community&#39;s office" in page or "your community's office" in page


@pytest.mark.usefixtures("english")
def test_the_contact_and_retention_settings_are_shown(app, client):
    app.config.update(PRIVACY_CONTACT="幸福社区居委会 010-12345678",
                      RETAIN_RECEPTION_RECORD_DAYS=730, RETAIN_PAPER_PHOTO_DAYS="400")
    page = text(client.get("/privacy"))
    assert "幸福社区居委会 010-12345678" in page
    assert "730 days" in page and "400 days" in page
    # The setting left alone shows its default: closed accounts' leftovers go after 30 days.
    assert "30 days" in page


@pytest.mark.usefixtures("english")
def test_an_older_version_stays_readable_and_says_it_is_not_in_force(client, new_version):
    current = text(client.get("/privacy"))
    assert f"Version {NEW}" in current and "older-version" not in current
    older = client.get(f"/privacy/{FIRST}")
    assert older.status_code == 200
    assert "This is an older version" in text(older) and f"Version {FIRST}" in text(older)
    # The changelog lists both, newest first.
    assert current.index(f"/privacy/{NEW}") < current.index(f"/privacy/{FIRST}")
    assert "Ratings are now kept for two years." in current


def test_an_unknown_version_is_not_found(client):
    assert client.get("/privacy/1999-01-01").status_code == 404


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/activate", "/privacy"])
def test_every_page_links_the_notice_from_its_footer(client, path):
    page = text(client.get(path))
    footer = page.split('<footer class="site-footer">', 1)[1]
    assert 'href="/privacy"' in footer and 'id="footer-privacy"' in footer


def test_a_logged_in_page_links_it_too(client, login):
    login(factories.user())
    footer = text(client.get("/")).split('<footer class="site-footer">', 1)[1]
    assert 'href="/privacy"' in footer


def test_the_api_says_which_version_is_in_force(client, new_version):
    body = client.get("/api/v1/privacy").get_json()
    assert body["version"] == NEW and body["url"].endswith("/privacy")
    assert [v["version"] for v in body["versions"]] == [NEW, FIRST]
    assert body["versions"][1]["url"].endswith(f"/privacy/{FIRST}")


def test_versions_listed_since_an_agreement(new_version):
    assert [v.id for v in rules.since(FIRST)] == [NEW]
    assert [v.id for v in rules.since(None)] == [NEW, FIRST]
    assert rules.since(NEW) == []
    assert rules.is_current(NEW) and not rules.is_current(FIRST) and not rules.is_current(None)
