"""The outcomes board's cards kept rendered per worker (consult/fragments.py) and the community
dashboard's pictures kept per community and language until something is written: each reader
gets what they would get with nothing kept, and every change shows at once."""
from __future__ import annotations

import pytest

from consult import clock
from consult.extensions import db
from consult.outcomes import service
from tests import outcome_world as ow
from tests.outcomes.test_outcome_views import DAY, effective, in_main, publish, world  # noqa: F401
from tests.topics.test_kept_threads import afresh, keeping, normal  # noqa: F401 (fixture)

pytestmark = [pytest.mark.usefixtures("english"), pytest.mark.one_database]


def board(app, login, w, who: str, lang: str = "en") -> str:
    client = app.test_client()
    client.set_cookie("lang", lang)
    if who != "visitor":
        login(w.people[who], client)
    answer = client.get(f"/communities/{w.community.id}/outcomes")
    assert answer.status_code == 200
    return normal(in_main(answer.text))


def assert_as_afresh(app, monkeypatch, login, w):
    for lang in ("en", "zh_Hans"):
        for who in ("visitor", "r1", "secretary"):
            def fetch():
                return board(app, login, w, who, lang)

            kept_page = fetch()
            assert kept_page == afresh(app, monkeypatch, fetch), (who, lang)


def test_the_board_reads_as_afresh_through_an_outcomes_life(app, monkeypatch, login, world,
                                                           keeping):
    w = world
    publish(w)
    assert_as_afresh(app, monkeypatch, login, w)
    shown = [board(app, login, w, "r1")]
    clock.set_frozen(ow.CLOSED + 8 * DAY)  # the window ends: no write, the card changes
    assert_as_afresh(app, monkeypatch, login, w)
    shown.append(board(app, login, w, "r1"))
    service.settle_due_outcomes()
    db.session.commit()
    service.post_progress(w.people["secretary"], w.topic, "已采购扶手", 40)
    db.session.commit()
    assert_as_afresh(app, monkeypatch, login, w)
    shown.append(board(app, login, w, "r1"))
    service.post_progress(w.people["secretary"], w.topic, "已安装一半", 70)  # only the figure
    db.session.commit()
    assert_as_afresh(app, monkeypatch, login, w)
    shown.append(board(app, login, w, "r1"))
    service.mark_done(w.people["secretary"], w.topic)
    db.session.commit()
    service.rate(w.people["r1"], w.topic, 4)
    db.session.commit()
    assert_as_afresh(app, monkeypatch, login, w)
    shown.append(board(app, login, w, "r1"))
    assert "40% done" in shown[2] and "70% done" in shown[3]
    assert "Satisfaction 4.0 of 5 (1 ratings)" in shown[4]
    assert len(set(shown)) == len(shown)  # each step changed what the board shows


def test_the_dashboard_shows_a_change_at_once_in_each_language(app, world, client):
    from tests import factories

    w = world
    path = f"/communities/{w.community.id}/dashboard"
    before = in_main(client.get(path).text)
    assert in_main(client.get(path).text) == before  # kept, the same
    total = before.split(" topics in all.")[0].rsplit(">", 1)[-1].split()[-1]
    factories.topic(w.community, title="新的议题：加装雨棚")
    db.session.commit()
    after = in_main(client.get(path).text)
    assert f"{int(total) + 1} topics in all." in after
    client.set_cookie("lang", "zh_Hans")
    chinese = client.get(path).text
    assert "<title>Topics by stage</title>" not in chinese and "<svg" in chinese
