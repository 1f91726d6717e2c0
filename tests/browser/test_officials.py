"""Officials at work in Chromium, at phone (360×640) and desktop (1280×900) sizes: the
secretary answers a resident's comment officially in place (the answer is pinned at the top of
the thread at once, with her role, and stands under the comment), closes the comment period
early with a reason the timeline shows, and works her desk down to zero from its links until
the desk says nothing waits and the header count is gone. Then the officials' pages at 360 px:
the desk, the timing forms, the reception matters of the representative and of the resident —
no sideways scrolling, touch targets a finger can hit, axe-core on every page.

Locators use ids, classes and URLs, not visible words, except for texts typed in the test.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role
from consult.clock import utcnow
from consult.community.models import Residency, ResidencyStatus
from consult.extensions import db
from consult.outcomes.models import Objection, Outcome, OutcomeStatus
from consult.studios.models import Reservation
from consult.studios.reception import record_reception
from consult.topics.models import Comment, CommentReport, Topic
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, log_out, open_from_nav, path_of

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 900}
QUESTION = "电梯装好后，一楼住户要不要分摊费用？"
ANSWER = "一楼住户不分摊建设费用，维护费用按户均摊，详见公告。"
CLOSING = "已收集到足够意见，业主大会下周召开"
RUDE = "物业经理收了好处，大家别信他！"
SECRETARY_PHONE = "13800000001"
TOUCH_PX = 44  # 2.75rem at the default size: the site's least height for what is tapped


# --- checks ------------------------------------------------------------------------------------

def fits(page) -> None:
    """Nothing scrolls sideways: the document is no wider than the viewport."""
    widths = page.evaluate("({scroll: document.documentElement.scrollWidth,"
                           " client: document.documentElement.clientWidth})")
    assert widths["scroll"] <= widths["client"], (
        f"{page.url} scrolls sideways: content {widths['scroll']} px in {widths['client']} px")


_TARGETS = """(scope) => {
  const small = [];
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const name = el => el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.className;
  for (const el of document.querySelectorAll(scope)) {
    for (const t of el.querySelectorAll(
        'button, summary, a.button, select, textarea, input:not([type=hidden])')) {
      if (!seen(t)) continue;
      let box = t.getBoundingClientRect();
      let least = %d;
      if (t.type === 'radio' || t.type === 'checkbox') {
        // the label is what a finger hits; WCAG 2.2 asks 24 px at the least
        const label = t.closest('label') || document.querySelector(`label[for="${t.id}"]`);
        if (!label) { small.push(name(t) + ' has no label'); continue; }
        box = label.getBoundingClientRect();
        least = 24;
      }
      if (box.height < least || box.width < 24) {
        small.push(`${name(t)} ${Math.round(box.width)}x${Math.round(box.height)}`);
      }
    }
    for (const a of el.querySelectorAll('.desk-line > a')) {
      const r = a.getBoundingClientRect();
      if (r.height < %d) small.push(`desk link ${a.getAttribute('href')} ${Math.round(r.height)} px`);
    }
  }
  return small;
}""" % (TOUCH_PX, TOUCH_PX)


def touch_targets(page, scope: str = "main") -> None:
    """Buttons, disclosure summaries, fields and the desk's links are at least 44 px high;
    a radio or check box's label at least 24 px."""
    small = page.evaluate(_TARGETS, scope)
    assert not small, f"{page.url}: too small to tap: {small}"


def header_count(page) -> str | None:
    badge = page.locator("header nav a[href='/me/desk'] .badge")
    return badge.inner_text() if badge.count() else None


def open_desk(page) -> None:
    open_from_nav(page, "/me/desk")
    page.wait_for_url("**/me/desk")


def lines(page, kind: str):
    return page.locator(f"#desk-{kind} .desk-line")


# --- the world -----------------------------------------------------------------------------------

class World:
    pass


def _world() -> World:
    """A community in the middle of things: a topic open for comment four days with a
    resident's question, and four kinds of work on the secretary's desk — a proposal waiting
    for review, a reported comment, a residency request, an unanswered objection."""
    w = World()
    now = utcnow()
    w.c = factories.community("幸福里社区", grids=1, buildings=1, units=6)
    homes = factories.units_of(w.c)
    w.secretary = factories.office_holder(w.c, Role.SECRETARY, "钱淑芬", phone=SECRETARY_PHONE)
    w.wang = factories.resident(w.c, "王秀兰", unit=homes[0], phone="13900000001")
    w.li = factories.resident(w.c, "李建华", unit=homes[1], phone="13900000002")
    w.zhao = factories.resident(w.c, "赵大海", unit=homes[2], phone="13900000003")

    w.lift = factories.topic(w.c, w.wang, title="三号楼加装电梯", days=10)
    w.lift.stage_changed_at = now - timedelta(days=4)  # comments opened four days ago
    w.question = Comment(topic_id=w.lift.id, author_id=w.li.id, body=QUESTION,
                         created_at=now - timedelta(days=1))
    db.session.add(w.question)
    w.lift.comment_count = 1

    # 1. a proposal waiting for review
    w.proposal = factories.topic(w.c, w.zhao, title="小区增设快递柜", stage="in_review")
    # 2. a reported comment
    w.parking = factories.topic(w.c, w.wang, title="地面停车位划线")
    w.rude = Comment(topic_id=w.parking.id, author_id=w.zhao.id, body=RUDE, open_report_count=1)
    db.session.add(w.rude)
    w.parking.comment_count = 1
    db.session.flush()
    db.session.add(CommentReport(comment_id=w.rude.id, reporter_id=w.li.id, reason="人身攻击"))
    # 3. a residency request
    w.applicant = factories.resident(w.c, "孙小梅", unit=homes[3],
                                     status=ResidencyStatus.PENDING)
    w.residency = db.session.scalar(select(Residency).where(Residency.user_id == w.applicant.id))
    # 4. an objection to a published outcome, not answered
    w.fence = factories.topic(w.c, w.wang, title="更换小区围栏", stage="publicised")
    w.outcome = Outcome(topic_id=w.fence.id, community_id=w.c.id, decision="更换为铁艺围栏。",
                        act=True, status=OutcomeStatus.PUBLICISED.value,
                        published_at=now - timedelta(days=1),
                        window_ends_at=now + timedelta(days=6))
    db.session.add(w.outcome)
    db.session.flush()
    w.objection = Objection(outcome_id=w.outcome.id, author_id=w.li.id, body="请先公布报价。")
    db.session.add(w.objection)
    db.session.commit()
    return w


# --- the secretary's day -------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_secretary_answers_closes_early_and_clears_the_desk(new_page, viewport):
    w = _world()
    page = new_page(viewport=viewport)
    visit(page, "/")
    log_in(page, SECRETARY_PHONE, factories.PASSWORD)
    assert header_count(page) == "4"
    open_desk(page)
    assert page.locator("#desk-total").count() == 1
    for kind in ("review", "reports", "residencies", "objections"):
        assert lines(page, kind).count() == 1, kind
    fits(page)

    # She answers 李建华's question officially, in place.
    lift_path = f"/topics/{w.lift.id}"
    visit(page, lift_path)
    assert page.locator("#official-answers").count() == 0
    assert page.locator("#topic-answered").count() == 0
    qid = w.question.id
    page.locator(f"#thread-{qid} details.reply-tool summary").click()
    page.fill(f"#reply-{qid}-body", ANSWER)
    page.check(f"#reply-{qid}-official")
    page.locator(f"#reply-{qid}-submit").click()
    # under the comment it answers, marked as the official answer with her role ...
    reply = page.locator(f"#replies-{qid} article.comment-official", has_text=ANSWER)
    reply.wait_for()
    assert reply.locator(".official-badge").count() == 1
    assert reply.locator(".role-badge").inner_text() == "社区书记"
    # ... and pinned at the top of the thread at once, without a reload
    pinned = page.locator("#official-answers .official-answer", has_text=ANSWER)
    pinned.wait_for()
    assert pinned.locator(".role-badge").inner_text() == "社区书记"
    assert page.locator("#topic-answered").is_visible()
    assert path_of(page).split("#")[0] == lift_path  # no page load
    assert page.locator("#flashes .flash-success").count() == 1
    top = page.locator("#official-answers").bounding_box()["y"]
    assert top < page.locator("#comment-list").bounding_box()["y"]
    check_a11y(page)
    fits(page)
    # the same after a reload: what htmx put in is what the page shows
    visit(page, lift_path)
    assert page.locator("#official-answers .official-answer", has_text=ANSWER).count() == 1
    db.session.rollback()
    answer = db.session.scalar(select(Comment).where(Comment.official.is_(True)))
    assert answer.parent_id == qid and answer.author_role == "secretary"

    # She closes the comment period early; an empty reason is refused, what she typed kept.
    page.locator("#comment-period details:has(#close-comments) summary").click()
    page.locator("#close-reason").evaluate("el => el.removeAttribute('required')")
    page.locator("#close-comments").click()
    check_a11y(page)
    assert path_of(page) == f"/topics/{w.lift.id}/comment-period/close"
    assert page.locator("#close-reason[aria-invalid=true]").count() == 1
    fits(page)
    page.fill("#close-reason", CLOSING)
    page.locator("main form[method=post] button[type=submit]").click()
    check_a11y(page)
    assert path_of(page).split("#")[0] == lift_path
    assert page.locator(".flash-success").count() == 1
    page.locator("#timeline-section summary").click()  # the timeline is folded
    assert CLOSING in page.locator("#timeline").inner_text()
    assert page.locator("#new-comment").count() == 0  # comments are closed
    assert page.locator("#comment-period").count() == 0
    db.session.rollback()
    assert db.session.get(Topic, w.lift.id).comment_until <= utcnow()

    # She works the desk down, each piece from its own link.
    open_desk(page)
    lines(page, "review").locator("a").click()
    check_a11y(page)
    assert path_of(page) == f"/topics/{w.proposal.id}"
    page.locator("#accept").click()
    check_a11y(page)
    assert page.locator("#topic-stage").get_attribute("data-stage") == "commenting"
    assert header_count(page) == "3"

    open_desk(page)
    assert lines(page, "review").count() == 0
    lines(page, "reports").locator("a").click()
    check_a11y(page)
    assert path_of(page) == f"/moderation#queue-{w.rude.id}"
    page.fill(f"#hide-{w.rude.id}-reason", "未经证实的指控")
    page.locator(f"#hide-{w.rude.id}-submit").click()
    check_a11y(page)
    assert page.locator(f"#queue-{w.rude.id}").count() == 0
    assert header_count(page) == "2"

    open_desk(page)
    assert lines(page, "reports").count() == 0
    lines(page, "residencies").locator("a").click()
    check_a11y(page)
    rid = w.residency.id
    page.fill(f"#reason-{rid}", "已当面核对房产证和身份证原件")
    page.locator(f"#claim-{rid} button[value=verify]").click()
    check_a11y(page)
    assert page.locator(f"#claim-{rid}").count() == 0
    assert header_count(page) == "1"

    open_desk(page)
    assert lines(page, "residencies").count() == 0
    lines(page, "objections").locator("a").click()
    check_a11y(page)
    oid = w.objection.id
    assert path_of(page) == f"/topics/{w.fence.id}#objection-{oid}"
    page.fill(f"#o{oid}-answer", "报价单已张贴在公示栏。")
    page.locator(f"#answer-{oid}").click()
    check_a11y(page)
    assert "报价单已张贴在公示栏。" in page.locator(f"#objection-{oid}").inner_text()
    assert header_count(page) is None  # nothing waits: no count in the header

    open_desk(page)
    assert page.locator("#desk-clear").is_visible()
    assert page.locator("#desk-total").count() == 0
    assert page.locator("main .desk-line").count() == 0
    assert header_count(page) is None
    fits(page)
    db.session.rollback()
    assert db.session.get(Residency, rid).status == ResidencyStatus.VERIFIED.value
    assert db.session.get(Comment, w.rude.id).hidden_at is not None


# --- 360 px checks -------------------------------------------------------------------------------

def test_the_desk_and_the_timing_forms_fit_a_phone(new_page):
    w = _world()
    page = new_page(viewport=PHONE)
    visit(page, "/")
    log_in(page, SECRETARY_PHONE, factories.PASSWORD)
    open_desk(page)
    fits(page)
    touch_targets(page)

    # The comment period: both forms opened.
    visit(page, f"/topics/{w.lift.id}")
    for details in page.locator("#comment-period details").all():
        details.locator("summary").click()
    assert page.locator("#close-reason").is_visible() and page.locator("#extend-day").is_visible()
    check_a11y(page)
    fits(page)
    touch_targets(page, "#comment-period")
    # an extension refused (no reason) comes back on a page of its own, what was typed kept
    page.fill("#extend-day", (utcnow() + timedelta(days=20)).date().isoformat())
    page.fill("#extend-time", "18:00")
    page.locator("#extend-reason").evaluate("el => el.removeAttribute('required')")
    page.locator("#extend-comments").click()
    check_a11y(page)
    assert path_of(page) == f"/topics/{w.lift.id}/comment-period/extend"
    assert page.locator("#extend-time").input_value() == "18:00"
    fits(page)
    touch_targets(page)

    # The publicity window of a published outcome.
    visit(page, f"/topics/{w.fence.id}")
    page.locator("#publicity summary").click()
    assert page.locator("#publicity-reason").is_visible()
    check_a11y(page)
    fits(page)
    touch_targets(page, "#publicity")
    touch_targets(page, f"#objection-{w.objection.id}")
    page.fill("#publicity-day", (w.outcome.window_ends_at + timedelta(days=3)).date().isoformat())
    page.fill("#publicity-time", "12:00")
    page.fill("#publicity-reason", "春节期间居民外出较多")
    page.locator("#extend-publicity").click()
    check_a11y(page)
    page.locator("#timeline-section summary").click()  # the timeline is folded
    assert "春节期间居民外出较多" in page.locator("#timeline").inner_text()
    fits(page)


def test_reception_matters_fit_a_phone(new_page):
    from tests.studio_world import NOW, build, local, session_at

    clock.set_frozen(NOW)
    try:
        world = build(n_residents=1)
        resident = world.residents[0]
        resident.phone = "13900000009"
        session = session_at(world, "2026-11-29 09:00")
        reservation = Reservation(
            session_id=session.id, resident_id=resident.id, slot_start=local("2026-11-29 09:00"),
            slot_end=local("2026-11-29 09:20"), category="property",
            matter="三号楼电梯每周停运两次，老人上下楼困难，希望尽快维修并公布维保记录")
        db.session.add(reservation)
        db.session.flush()
        record_reception(world.rep, reservation, "attended", "电梯每周停运两次",
                         "联系物业维保单位，两周内答复")
        db.session.commit()
        rid = reservation.id

        # The representative's desk lists the reception matter once it is overdue; here it
        # is not, so she follows it from the session page.
        page = new_page(viewport=PHONE)
        visit(page, "/")
        log_in(page, "13800000011", factories.PASSWORD)
        visit(page, f"/studio-sessions/{session.id}")
        fits(page)
        touch_targets(page, "#reservations")
        page.locator(f"#record-{rid}").click()
        check_a11y(page)
        fits(page)
        touch_targets(page)
        page.locator("#matter-handling").click()
        check_a11y(page)
        assert path_of(page).endswith("#matter")
        # a due date in the past is refused, the form kept
        page.fill("#due_on", "2026-11-01")
        page.locator("#matter-due").click()
        check_a11y(page)
        fits(page)
        assert page.locator("#due_on").input_value() == "2026-11-01"
        page.fill("#due_on", "2026-12-10")
        page.locator("#matter-due").click()
        check_a11y(page)
        page.fill("#answer", "已联系维保单位，12月5日前更换曳引机，维保记录贴在电梯口。")
        page.locator("#matter-answer").click()
        check_a11y(page)
        fits(page)
        touch_targets(page)
        log_out(page)

        # The resident reads the answer and rates it.
        log_in(page, "13900000009", factories.PASSWORD)
        visit(page, "/me/reservations")
        assert "12月5日前更换曳引机" in page.locator(f"#matter-facts-{rid}").inner_text()
        fits(page)
        touch_targets(page)
        page.check("input[name=rating][value='2']")
        page.locator(f"#rate-{rid}").click()  # a low rating needs its reason: refused, kept
        check_a11y(page)
        fits(page)
        assert page.locator("input[name=rating][value='2']").is_checked()
        page.fill(f"#reason-{rid}", "只换了零件，没有说明以后怎么保证不再停运")
        page.locator(f"#rate-{rid}").click()
        check_a11y(page)
        fits(page)
        db.session.rollback()
        entry = db.session.get(Reservation, rid).record
        assert (entry.rating, entry.matter_status) == (2, "handling")
        # the studio's public page counts matters, never names
        visit(page, f"/studios/{world.studio.id}")
        fits(page)
        assert resident.name not in page.locator("main").inner_text()
    finally:
        clock.set_frozen(None)
