"""In-app notifications: sent in the language of the reader, counted, read, deduplicated."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.notifications import kinds
from consult.notifications.models import Notification
from consult.notifications.service import mark_read, notify, unread_count
from tests import factories

kinds.register("test.hello", "Hello about “%(title)s”")


def test_notify_skips_the_actor_and_deduplicates(app):
    a, b, actor = factories.user("甲"), factories.user("乙"), factories.user("丙")
    assert notify([a.id, b.id, actor.id, None], "test.hello", {"title": "扶手"}, "/topics/1",
                  skip=[actor.id]) == 2
    assert notify([a.id, b.id], "test.hello", {"title": "扶手"}, dedup_key="k") == 2
    assert notify([a.id, b.id], "test.hello", {"title": "扶手"}, dedup_key="k") == 0
    db.session.commit()
    assert unread_count(a.id) == 2 and unread_count(actor.id) == 0
    mark_read(a.id)
    db.session.commit()
    assert unread_count(a.id) == 0 and unread_count(b.id) == 2


def test_a_notification_whose_words_no_longer_fit_still_shows(app):
    assert kinds.render("test.hello", {}) == "test.hello"
    assert kinds.render("unknown.kind", {"title": "扶手"}) == "扶手"


@pytest.mark.usefixtures("english")
def test_the_page_lists_counts_and_opens_a_notification(app, client, login):
    reader = factories.user("读者")
    notify([reader.id], "test.hello", {"title": "<b>扶手</b>"}, "/topics/7")
    db.session.commit()
    login(reader)
    html = client.get("/me/notifications").get_data(as_text=True)
    assert "Hello about “&lt;b&gt;扶手&lt;/b&gt;”" in html
    assert 'class="badge"' in client.get("/").get_data(as_text=True)  # unread count in the nav
    n = db.session.scalar(select(Notification))
    response = client.post(f"/me/notifications/{n.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/topics/7"
    db.session.refresh(n)
    assert n.read_at is not None


def test_nobody_opens_or_sees_another_persons_notifications(app, client, login):
    owner, other = factories.user("甲"), factories.user("乙")
    notify([owner.id], "test.hello", {"title": "私事"}, "/topics/1")
    db.session.commit()
    n = db.session.scalar(select(Notification))
    login(other)
    assert client.post(f"/me/notifications/{n.id}").status_code == 404
    assert "私事" not in client.get("/me/notifications").get_data(as_text=True)
    client.post("/me/notifications/read")
    db.session.refresh(n)
    assert n.read_at is None
    client.get("/logout")


def test_visitors_are_asked_to_log_in(app, client):
    assert client.get("/me/notifications").status_code == 302


def test_a_notification_never_redirects_off_site(app, client, login):
    reader = factories.user("读者")
    notify([reader.id], "test.hello", {"title": "x"}, "https://evil.example/")
    db.session.commit()
    login(reader)
    n = db.session.scalar(select(Notification))
    assert client.post(f"/me/notifications/{n.id}").headers["Location"] == "/me/notifications"
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_deduplicated_notices_go_in_slices(app, monkeypatch):
    """A deduplicated notice to more people than one statement may carry goes in slices,
    each skipping those already told."""
    from consult.notifications import service

    monkeypatch.setattr(service, "DEDUP_SLICE", 2)
    people = [factories.user(f"人{i}") for i in range(5)]
    db.session.flush()
    assert notify([p.id for p in people[:2]], "generic", {"text": "x"}, dedup_key="k") == 2
    assert notify([p.id for p in people], "generic", {"text": "x"}, dedup_key="k") == 3
    assert notify([p.id for p in people], "generic", {"text": "x"}, dedup_key="k") == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 5
