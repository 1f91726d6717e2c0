"""Calendars and charts on a 360 × 640 phone and a 1280 × 900 desk (issue 16).

The hall month is an agenda of the days with meetings on the phone and a grid on the desk, and
neither scrolls sideways. The vote result chart and the dashboard charts scale with the page:
every text in them is shown at 12 px or more, inside its drawing, and no two texts (nor a text
and a bar) overlap.
"""
from __future__ import annotations

from datetime import timedelta

from consult import clock
from consult.extensions import db
from consult.outcomes import service as outcomes
from tests import factories
from tests import outcome_world as ow
from tests import studio_world as studios
from tests.browser.a11y import visit
from tests.browser.test_every_owner import fits
from tests.hall_world import NOW, local

PHONE = {"width": 360, "height": 640}
DESK = {"width": 1280, "height": 900}
DAY = timedelta(days=1)
LONG_TITLE = ("关于在三号楼和四号楼之间的绿化带加装无障碍坡道、夜间照明以及休息座椅并同步改造雨水排水"
              "系统的提议")

# Every <text> of every chart on the page: its size as shown (font size in drawing units times
# the drawing's scale), its box, and the boxes of the drawing and of its bars.
_CHART_TEXTS = """() => [...document.querySelectorAll('svg.chart-svg')].map(svg => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const rect = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  return {
    svg: rect(box),
    texts: [...svg.querySelectorAll('text')].map(t => Object.assign(rect(t.getBoundingClientRect()),
        {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale})),
    bars: [...svg.querySelectorAll('rect.chart-bar')].map(b => rect(b.getBoundingClientRect())),
  };
})"""


def _overlap(a, b, slack=0.5) -> bool:
    return (a["left"] < b["right"] - slack and b["left"] < a["right"] - slack
            and a["top"] < b["bottom"] - slack and b["top"] < a["bottom"] - slack)


def charts_read_well(page, expected: int) -> list[dict]:
    charts = page.evaluate(_CHART_TEXTS)
    assert len(charts) == expected, page.url
    for chart in charts:
        box, texts = chart["svg"], chart["texts"]
        assert texts
        for t in texts:
            assert t["px"] >= 12, f"{t['text']!r} is {t['px']:.1f} px on {page.url}"
            assert t["bottom"] - t["top"] >= 12, t
            assert (box["left"] - 0.5 <= t["left"] and t["right"] <= box["right"] + 0.5
                    and box["top"] - 0.5 <= t["top"] and t["bottom"] <= box["bottom"] + 0.5), (
                f"{t['text']!r} is cut by the edge of its chart on {page.url}")
        for i, a in enumerate(texts):
            for b in texts[i + 1:] + chart["bars"]:
                assert not _overlap(a, b), f"{a['text']!r} overlaps {b} on {page.url}"
    return charts


def test_hall_month_is_an_agenda_on_a_phone_and_a_grid_on_a_desk(new_page):
    clock.set_frozen(NOW)  # Monday 2026-11-30; the live server reads the same clock
    try:
        c = factories.community("幸福里社区", grids=1, buildings=1, units=2)
        hall = factories.hall(c, "居民议事厅")
        # Friday to Sunday are where the old grid was cut off on a phone.
        for day, title in (("2026-12-04", "周五议事会"), ("2026-12-05", LONG_TITLE),
                           ("2026-12-06", "周日议事会"), ("2026-12-16", "月中议事会")):
            factories.meeting(hall, local(f"{day} 19:00"), title=title)
        db.session.commit()
        path = f"/halls/{hall.id}?month=2026-12"

        phone = new_page(viewport=PHONE)
        visit(phone, path)  # axe: no scrollable-region-focusable, nothing serious
        fits(phone)
        assert not phone.locator("#month-table").is_visible()
        days = phone.locator("#month-agenda .agenda-date")
        assert days.all_inner_texts() == ["星期五 2026-12-04", "星期六 2026-12-05",
                                          "星期日 2026-12-06", "星期三 2026-12-16"]
        links = phone.locator("#month-agenda a")
        assert links.count() == 4
        for i in range(4):  # every meeting is a finger-sized link inside the screen
            box = links.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
            assert box["height"] >= 44

        desk = new_page(viewport=DESK)
        visit(desk, path)
        fits(desk)
        assert desk.locator("#month-table").is_visible()
        assert not desk.locator("#month-agenda").is_visible()
        table = desk.locator("#month-table").bounding_box()
        sunday = desk.locator("#month-table thead th").nth(6).bounding_box()
        assert sunday["x"] + sunday["width"] <= table["x"] + table["width"] + 0.5
    finally:
        clock.set_frozen(None)


def test_studio_week_fits_a_phone(new_page):
    clock.set_frozen(studios.NOW)
    try:
        w = studios.build()
        studios.session_at(w, "2026-12-04 14:00", focus=LONG_TITLE)  # a Friday
        studios.session_at(w, "2026-12-06 09:00")  # a Sunday
        db.session.commit()
        phone = new_page(viewport=PHONE)
        visit(phone, f"/studios/{w.studio.id}?week=2026-11-30")
        fits(phone)
        days = phone.locator("ol.week .day > h3").all_inner_texts()
        assert [d.split()[-1] for d in days] == ["2026-12-04", "2026-12-06"]
        for day in phone.locator("ol.week .day").all():
            box = day.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        clock.set_frozen(None)


def test_vote_result_and_dashboard_charts_read_at_12_px_and_more(new_page, monkeypatch):
    clock.set_frozen(ow.T0)
    try:
        w = ow.build(monkeypatch)
        w.topic.title = LONG_TITLE
        db.session.commit()
        clock.set_frozen(ow.CLOSED)
        outcomes.publish(w.people["secretary"], w.topic, "决定：加装扶手。", 7)
        db.session.commit()
        clock.set_frozen(ow.CLOSED + 7 * DAY)
        outcomes.settle_due_outcomes()
        outcomes.mark_done(w.people["secretary"], w.topic)
        db.session.commit()
        outcomes.rate(w.people["r1"], w.topic, 4)
        outcomes.rate(w.people["r2"], w.topic, 5)
        db.session.commit()
        clock.set_frozen(ow.CLOSED + 30 * DAY)
        outcomes.settle_due_outcomes()  # the topic closes: its rating counts
        db.session.commit()

        for viewport in (PHONE, DESK):
            page = new_page(viewport=viewport)
            visit(page, f"/votes/{w.vote.id}")
            fits(page)
            [chart] = charts_read_well(page, 1)
            labels = [t["text"] for t in chart["texts"]]
            assert "同意" in labels and "3" in labels

            visit(page, f"/communities/{w.community.id}/dashboard")
            fits(page)
            charts = charts_read_well(page, 4)
            everything = " ".join(t["text"] for c in charts for t in c["texts"])
            assert "5 分中 4.5" in everything or "4.5" in everything
            # The long title is cut with "…", and its full text is the label's <title>.
            title = page.locator("svg.chart-svg text title", has_text=LONG_TITLE).first
            assert title.count() == 1
            assert "…" in everything
    finally:
        clock.set_frozen(None)
