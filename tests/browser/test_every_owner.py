"""Issue 13, "every owner can take part", end to end in Chromium, at a phone's width and a desk's:

* the secretary issues activation letters for a building; an owner of the roster (no account
  yet) activates with the code of their letter, lands logged in, finds the open owners' vote in
  "My to-do" and votes online;
* the secretary prints paper ballots; a grid worker enters five returned papers and the
  secretary confirms each by entering it again (double entry); one of them replaces an owner's
  earlier online ballot;
* an owner authorises a proxy on the vote's page; the proxy accepts and casts the ballot;
* after the close the result page counts every channel once: online, paper and proxy ballots
  add up to the owners who took part, and the ballot list names each ballot's channel.

Texts are asserted in English (the ``english`` fixture makes it the default language).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.accounts.models import Role, User
from consult.extensions import db
from consult.halls import minutes
from consult.votes import service
from consult.votes.models import Ballot, Vote
from tests import factories
from tests.browser.a11y import check_a11y, visit
from tests.browser.test_journey import log_in, path_of

pytestmark = pytest.mark.usefixtures("english")

OPENS = datetime(2026, 12, 1, 1, 0)  # 09:00 Beijing time
ANNOUNCED = OPENS - timedelta(days=15)  # the Civil Code's notice
DURING = OPENS + timedelta(hours=2)
AFTER = OPENS + timedelta(days=7, hours=1)  # closed
QUESTION = "是否同意使用公共收益更换单元门禁？"
OWNER_PASSWORD = "lotus pond 2024"
SECRETARY_PHONE = "13800000001"
GRID_WORKER_PHONE = "13800000002"
PROXY_PHONE = "13700000001"
# One home each, in unit order: the first five are on the roster only (no account yet).
OWNERS = ["业主甲", "业主乙", "业主丙", "业主丁", "业主戊",
          "业主己", "业主庚", "业主辛", "业主壬", "业主癸"]
ROSTER_ONLY = OWNERS[:5]
# Paper ballots returned: 己 voted online first (the paper, entered later, counts instead).
PAPERS = [("业主丙", "agree"), ("业主丁", "oppose"), ("业主戊", "abstain"),
          ("业主己", "agree"), ("业主辛", "agree")]
WIDTHS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def phone_of(name: str) -> str:
    return f"1390000000{OWNERS.index(name)}"


def build_world():
    """A community of one grid and one building of ten homes (88.50 m² each), one owner each;
    a secretary, a grid worker of the grid, a would-be proxy with an account; the topic resolved
    by published minutes and put to an owners' vote under the Civil Code's ordinary rule,
    announced 15 days before it opens."""
    with clock.frozen(ANNOUNCED):
        c = factories.community("幸福里社区", grids=1, buildings=1, units=10)
        grid = c.grids[0]
        building = grid.buildings[0]
        units = factories.units_of(c)
        people = {}
        for name, unit in zip(OWNERS, units):
            if name in ROSTER_ONLY:  # imported from the roster: no password, no residency
                person = User(name=name, phone=phone_of(name), password_hash=None)
                db.session.add(person)
                db.session.flush()
            else:
                person = factories.resident(c, name, unit=unit, phone=phone_of(name))
            factories.owner(person, unit)
            people[name] = person
        secretary = factories.office_holder(c, Role.SECRETARY, "钱秘书", phone=SECRETARY_PHONE)
        factories.grid_worker(grid, "赵网格员", phone=GRID_WORKER_PHONE)
        factories.user("代理人", phone=PROXY_PHONE)
        topic = factories.topic(c, people["业主己"], title="更换单元门禁", stage="deliberating")
        meeting = factories.meeting(factories.hall(c), ANNOUNCED - timedelta(days=2),
                                    topics=[topic])
        minutes.save_draft(secretary, meeting, minutes.DraftInput(
            present_count=12, residents_count=9, body="会议讨论了门禁方案。",
            resolutions=[minutes.ResolutionInput(
                topic.id, summary="交业主表决", kind="vote", question=QUESTION,
                options="同意\n反对\n弃权")]))
        minutes.publish(secretary, meeting)
        vote = service.open_vote(secretary, topic, service.VoteSpec(
            question=QUESTION, electorate="owners", rule="civil_code_ordinary",
            scope_key=f"community:{c.id}", opens_at=OPENS, closes_at=OPENS + timedelta(days=7)))
        db.session.commit()
    assert vote.electorate_size == 10
    return c, building, vote, people


# Text that sticks out to the right of the window (a long link or number that does not wrap).
_OVERFLOWING_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    if (range.getBoundingClientRect().right > window.innerWidth + 0.5) {
      out.push(node.textContent.trim().slice(0, 60));
    }
  }
  return out;
}"""


def fits(page) -> None:
    """The page does not scroll sideways; if it does, say which text sticks out."""
    widths = page.evaluate(
        "({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url} scrolls sideways at {widths['inner']} px (content {widths['scroll']} px); "
        f"text sticking out: {page.evaluate(_OVERFLOWING_TEXT)}")


def flash_text(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def cell(page, table: str, row: str) -> str:
    return page.locator(f"{table} tr[data-channel={row}] td").inner_text().strip()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_owner_takes_part_online_on_paper_and_by_proxy(new_page, width):
    viewport = WIDTHS[width]
    clock.set_frozen(DURING)
    try:
        c, building, vote, people = build_world()
        # Two owners with accounts voted online earlier; 己 will hand in a paper ballot too.
        service.cast(people["业主壬"], vote, "agree")
        service.cast(people["业主己"], vote, "oppose")
        db.session.commit()
        vote_path = f"/votes/{vote.id}"

        # 1. The secretary issues the building's activation letters: one per roster owner.
        secretary = new_page(viewport=viewport)
        visit(secretary, "/")
        log_in(secretary, SECRETARY_PHONE, factories.PASSWORD)
        visit(secretary, f"/communities/{c.id}/activation")
        # Five owners of the building have no account yet: never activated.
        assert secretary.locator(f"#building-{building.id} td").last.inner_text() == "5"
        secretary.select_option("#scope", f"building:{building.id}")
        secretary.locator("main form[method=post] button[type=submit]").click()
        check_a11y(secretary)
        assert "5 codes issued." in flash_text(secretary)
        assert secretary.locator("article.letter").count() == 5
        letter = secretary.locator("article.letter", has_text="Dear 业主甲,")
        code = letter.locator(".letter-code").inner_text().strip()
        assert len(code) == 11 and code[5] == "-"
        fits(secretary)

        # 2. The owner activates: at the phone's width by the letter's link (QR code), at the
        # desk's by typing phone and code on the "Activate" page.
        owner = new_page(viewport=viewport)
        if width == "phone":
            visit(owner, f"/activate/{code}")
            assert owner.locator("#code").input_value() == code
        else:
            visit(owner, "/")
            owner.goto("/activate")
            check_a11y(owner)
            owner.fill("#identifier", phone_of("业主甲"))
            owner.fill("#code", code.lower().replace("-", " "))
        owner.fill("#password", OWNER_PASSWORD)
        owner.fill("#confirm", OWNER_PASSWORD)
        owner.check("#privacy")  # the privacy notice, never ticked beforehand
        owner.locator("main form[method=post] button[type=submit]").click()
        check_a11y(owner)
        assert path_of(owner) == "/me/residency"
        assert "Welcome, 业主甲. Your account is active" in flash_text(owner)
        assert owner.locator("header nav form[action='/logout']").count() == 1  # logged in
        fits(owner)

        # ... finds the vote in "My to-do" on the home page and votes from there.
        visit(owner, "/")
        to_do = owner.locator("#to-do")
        assert "My to-do" in to_do.inner_text() and QUESTION in to_do.inner_text()
        to_do.locator(f"a[href='{vote_path}']").click()
        check_a11y(owner)
        assert path_of(owner) == vote_path
        assert "2 of 10 have voted." in owner.locator("#turnout").inner_text()
        owner.check("#ballot-form input[value=agree]")
        owner.locator("#cast").click()
        check_a11y(owner)
        assert "You voted “Agree”" in owner.locator("#my-ballot").inner_text()
        fits(owner)
        visit(owner, "/")
        assert owner.locator("#to-do").count() == 0  # nothing left to do

        # 3. The secretary prints the paper ballots of the whole electorate ...
        visit(secretary, vote_path)
        secretary.locator("#paper-desk-link").click()
        check_a11y(secretary)
        secretary.select_option("#building", "all")
        secretary.locator("#print").click()
        check_a11y(secretary)
        assert "10 paper ballots to print." in secretary.locator("#sheet-count").inner_text()
        serials = {}
        for sheet in secretary.locator("article.paper-ballot").all():
            serials[sheet.locator(".paper-names").inner_text().strip()] = \
                sheet.locator("code.serial").inner_text().strip()
        assert sorted(serials) == sorted(OWNERS)
        fits(secretary)

        # ... a grid worker enters the five that came back ...
        worker = new_page(viewport=viewport)
        visit(worker, "/")
        log_in(worker, GRID_WORKER_PHONE, factories.PASSWORD)
        visit(worker, f"{vote_path}/papers")
        for name, option in PAPERS:
            worker.fill("#serial", serials[name])
            worker.check(f"#entry-form input[name=option][value={option}]")
            worker.locator("#enter").click()
            check_a11y(worker)
            assert "A second person must now enter it again" in flash_text(worker)
        assert worker.locator("#my-waiting li").count() == 5
        assert worker.locator("#paper-waiting").inner_text() == "5"
        fits(worker)

        # ... and the secretary confirms each by entering it again (typed as on a phone).
        visit(secretary, f"{vote_path}/papers")
        for name, option in PAPERS:
            secretary.fill("#serial", serials[name].lower().replace("-", " "))
            secretary.check(f"#entry-form input[name=option][value={option}]")
            secretary.locator("#enter").click()
            check_a11y(secretary)
            assert "both entries agree, and it is recorded" in flash_text(secretary)
        assert secretary.locator("#paper-confirmed").inner_text() == "5"
        assert secretary.locator("#paper-waiting").inner_text() == "0"
        assert secretary.locator("#paper-disputed").inner_text() == "0"
        fits(secretary)

        # 4. 庚 authorises a proxy on the vote's page ...
        granter = new_page(viewport=viewport)
        visit(granter, "/")
        log_in(granter, phone_of("业主庚"), factories.PASSWORD)
        visit(granter, vote_path)
        granter.locator("#grant-proxy summary").click()
        granter.fill("#grant-form #name", "代理人")
        granter.fill("#grant-form #phone", PROXY_PHONE)
        granter.locator("#grant-submit").click()
        check_a11y(granter)
        assert "代理人 has an account" in flash_text(granter)
        assert "has not accepted yet" in granter.locator("#proxies-given").inner_text()

        # ... the proxy finds the request in "My to-do", accepts it and votes for 庚's home.
        proxy = new_page(viewport=viewport)
        visit(proxy, "/")
        log_in(proxy, PROXY_PHONE, factories.PASSWORD)
        visit(proxy, "/")
        proxy.locator(f"#to-do a[href='{vote_path}']").click()
        check_a11y(proxy)
        asked = proxy.locator("article.proxy-asked")
        assert "业主庚 asks you to vote for" in asked.inner_text()
        asked.locator("button[id^=accept-]").click()
        check_a11y(proxy)
        assert "You accepted" in flash_text(proxy)
        proxy.locator("form[id^=proxy-ballot-] input[value=agree]").check()
        proxy.locator("button[id^=proxy-cast-]").click()
        check_a11y(proxy)
        assert "is recorded. Receipt:" in flash_text(proxy)
        assert "You voted “Agree” for them" in proxy.locator("article.proxy-asked").inner_text()
        fits(proxy)

        # 庚 sees who cast the home's ballot; 己 sees the paper ballot replaced the online one.
        visit(granter, vote_path)
        cast_by = granter.locator("#my-ballot .cast-by-other[data-channel=proxy]")
        assert "cast by your proxy 代理人" in cast_by.inner_text()
        assert "8 of 10 have voted." in granter.locator("#turnout").inner_text()

        db.session.rollback()
        counted = db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id,
                                                          Ballot.counted.is_(True))).all()
        assert Counter(b.channel for b in counted) == {"online": 2, "paper": 5, "proxy": 1}
        db.session.rollback()

        # 5. The vote closes; the scheduled close stores the result.
        clock.set_frozen(AFTER)
        assert service.close(db.session.get(Vote, vote.id))["passed"] is True
        db.session.commit()

        visit(secretary, vote_path)
        verdict = secretary.locator("#verdict")
        assert verdict.get_attribute("data-valid") == "true"
        assert verdict.get_attribute("data-passed") == "true"
        assert "Passed." in verdict.inner_text()
        # 8 of the 10 owners took part (80% of area and headcount); 6 of the 8 agree.
        sentences = secretary.locator("#sentences").inner_text()
        assert "are 80.00% of the owners" in sentences
        assert "are 75.00% of the participating owners" in sentences
        by_channel = {row: int(cell(secretary, "#ballots-by-channel", row))
                      for row in ("online", "paper", "proxy")}
        assert by_channel == {"online": 2, "paper": 5, "proxy": 1}  # 己 once, on paper
        channel_table = secretary.locator("#ballots-by-channel").inner_text()
        assert "online" in channel_table and "paper (书面表决票)" in channel_table \
            and "proxy (委托)" in channel_table
        building_row = secretary.locator("#turnout-by-building tbody tr")
        assert building_row.locator("td").all_inner_texts() == ["10", "8"]
        assert sum(by_channel.values()) == 8
        fits(secretary)

        # The ballot list: one line per owner who took part, with its channel.
        response = secretary.request.get(f"{vote_path}/ballots.csv")
        assert response.ok
        rows = list(csv.DictReader(io.StringIO(response.text().lstrip("\ufeff"))))
        # (in the reader's language, here English: words, not the stored codes)
        assert len(rows) == 8 == len({r["Homes"] for r in rows})
        assert Counter(r["Channel"] for r in rows) == {"online": 2, "paper (书面表决票)": 5,
                                                       "proxy (委托)": 1}
        assert Counter(r["Option"] for r in rows) == {"Agree": 6, "Oppose": 1, "Abstain": 1}
    finally:
        clock.set_frozen(None)
