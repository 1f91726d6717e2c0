"""Phone-first topic pages (issue 16): every topic page opens with its stage and the one thing
this reader can do now, before the rest of the page; jump links to the sections, and the long
ones fold. The topic list folds its filters behind one "Filter" button and shows the filters
in force as chips. Date fields show their day of the week."""
from __future__ import annotations

import re

import pytest

from consult import clock
from consult.accounts.models import User
from consult.extensions import db
from tests import access_world
from tests.access_world import NOW

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(app):
    w = access_world.build()
    db.session.commit()
    return w


def html(response) -> str:
    return response.get_data(as_text=True)


def person(world, persona: str) -> User:
    return db.session.get(User, world.people[persona].id)


def primary(page: str) -> tuple[str, str] | None:
    m = re.search(r'id="primary-action" data-action="(\w*)" data-state="(\w*)"', page)
    return (m.group(1), m.group(2)) if m else None


def before(page: str, first: str, then: str) -> bool:
    return first in page and then in page and page.index(first) < page.index(then)


ACTIONS = [  # topic of the access world, the resident's action, its control
    ("t_proposed", "cosign", 'id="cosign"'),
    ("t_open", "comment", 'href="#new-comment" id="primary-comment"'),
    ("t_voting", "vote", 'id="primary-vote"'),
    ("t_publicised", "object", 'href="#objection-form" id="primary-object"'),
    ("t_done", "rate", 'href="#rating-form" id="primary-rate"'),
]


def test_the_readers_one_action_comes_first(world, client, login):
    login(person(world, "resident"))
    for topic, action, control in ACTIONS:
        page = html(client.get(f"/topics/{world.ids[topic]}"))
        assert primary(page) == (action, "open"), topic
        assert control in page, topic
        # The stage and the action come before the description and every other section.
        assert before(page, 'id="topic-stage"', 'id="primary-action"')
        assert before(page, 'id="primary-action"', 'id="jump-links"')
        assert before(page, 'id="primary-action"', 'id="description"')
        if action == "vote":
            assert f'href="/votes/{world.ids["v_voting"]}" id="primary-vote"' in page
        if action in ("object", "rate"):  # the button leads to the form, further down
            assert ('id="objection-form"' if action == "object" else 'id="rating-form"') in page


def test_a_visitor_is_asked_to_log_in_first(world, client):
    for topic, login_text in [
            ("t_proposed", "Log in to co-sign"), ("t_open", "Log in to comment"),
            ("t_voting", "Log in to vote"), ("t_publicised", "Log in to lodge an objection")]:
        page = html(client.get(f"/topics/{world.ids[topic]}"))
        assert primary(page)[1] == "login", topic
        block = page[page.index('id="primary-action"'):page.index('id="jump-links"')]
        assert login_text in block and "/login?next=" in block, topic


def test_someone_who_may_not_act_is_told_why_where_the_action_would_be(world, client, login):
    login(person(world, "outsider"))
    page = html(client.get(f"/topics/{world.ids['t_open']}"))
    assert primary(page) == ("comment", "refused")
    block = page[page.index('id="primary-action"'):page.index('id="jump-links"')]
    assert 'class="muted"' in block and 'id="primary-comment"' not in block


def test_a_topic_with_nothing_to_do_has_no_action_block(world, client, login):
    login(person(world, "resident"))
    page = html(client.get(f"/topics/{world.ids['t_review']}"))
    assert primary(page) is None
    assert "The community office is reviewing it." in page


def test_the_office_is_asked_first_to_review_a_proposal_waiting_for_it(world, client, login):
    login(person(world, "secretary"))
    page = html(client.get(f"/topics/{world.ids['t_review']}"))
    assert primary(page) == ("review", "open")
    assert before(page, 'id="primary-action"', 'id="review"')  # the button leads to the forms
    assert 'href="#review" id="primary-review"' in page


def test_jump_links_name_the_sections_the_page_has_and_long_ones_fold(world, client, login):
    login(person(world, "resident"))
    page = html(client.get(f"/topics/{world.ids['t_publicised']}"))
    nav = page[page.index('id="jump-links"'):page.index("</nav>", page.index('id="jump-links"'))]
    targets = re.findall(r'href="#([\w-]+)"', nav)
    assert targets == ["description-section", "topic-meetings", "vote", "outcome", "comments",
                       "timeline-section"]
    for target in targets:  # every link leads to a section of the page
        assert f'id="{target}"' in page
    review = html(client.get(f"/topics/{world.ids['t_review']}"))
    nav = review[review.index('id="jump-links"'):review.index("</nav>", review.index('id="jump-links"'))]
    assert re.findall(r'href="#([\w-]+)"', nav) == ["description-section", "timeline-section"]
    # The description is open, the timeline and the audit log are folded.
    assert re.search(r'id="description-section">\s*<details class="fold" open>', page)
    assert re.search(r'id="timeline-section">\s*<details class="fold">', page)
    commenting = html(client.get(f"/topics/{world.ids['t_open']}"))
    assert 'href="#comments"' in commenting and 'id="comments"' in commenting


# --- the topic list -------------------------------------------------------------------------

def test_the_filters_fold_behind_one_button_before_the_first_topic(world, client):
    page = html(client.get("/topics"))
    assert re.search(r'<details class="filter-fold" id="filter-fold">\s*'
                     r'<summary class="button" id="filter-toggle">Filter</summary>', page)
    assert before(page, 'id="filter-fold"', 'class="card topic-card"')
    assert 'id="active-filters"' not in page  # no filter in force, no chips


def test_the_filters_in_force_show_as_chips_that_remove_them(world, client):
    page = html(client.get("/topics?stage=commenting&q=%E7%94%B5%E6%A2%AF&sort=newest&page=1"))
    assert 'id="filter-toggle">Filter <span class="filter-count">(2)</span>' in page
    chips = page[page.index('id="active-filters"'):page.index("</ul>", page.index('id="active-filters"'))]
    assert 'data-filter="stage"' in chips and "Stage: Open for comment" in chips
    assert 'data-filter="q"' in chips and "Search: 电梯" in chips
    assert 'data-filter="sort"' not in chips  # the default order is no filter
    # Each chip links to the list without that filter (and from its first page).
    assert 'href="/topics?q=%E7%94%B5%E6%A2%AF&amp;sort=newest" data-filter="stage"' in chips
    assert 'href="/topics?stage=commenting&amp;sort=newest" data-filter="q"' in chips


def test_an_unknown_filter_value_makes_no_chip(world, client):
    page = html(client.get("/topics?stage=nonsense&area=nowhere"))
    assert 'id="active-filters"' not in page


# --- the weekday beside a date field ----------------------------------------------------------

def test_a_date_field_shows_its_weekday(world, client, login):
    login(person(world, "secretary"))
    page = html(client.get(f"/communities/{world.ids['community']}/meetings/new"))
    assert re.search(r'<div class="with-weekday"><input[^>]*id="day"[^>]*type="date"', page) or \
        re.search(r'<div class="with-weekday"><input[^>]*type="date"[^>]*id="day"', page)
    assert 'id="day-weekday" data-weekday-of="day"' in page
    assert re.search(r'aria-describedby="[^"]*day-weekday', page)
    # Typed but refused: the weekday of what was typed is written by the server.
    response = client.post(f"/communities/{world.ids['community']}/meetings/new",
                           data={"day": "2026-12-01", "start": "09:00", "end": "08:00",
                                 "title": ""})
    assert 'data-weekday-of="day" aria-live="polite">Tuesday</span>' in html(response)
