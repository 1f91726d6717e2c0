"""The minutes form shows only the fields of each topic's chosen resolution: the fragment the
form fetches when the kind changes (htmx), and the no-JavaScript "Show the fields" button that
re-renders the form without saving. Saving still takes what the chosen kind needs."""
from __future__ import annotations

import pytest

from consult import clock
from consult.extensions import db
from consult.halls import minutes as rules
from consult.halls import service
from tests.hall_world import NOW, TUESDAY, build

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def frozen_now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(app):
    return build()


@pytest.fixture
def meeting(world):
    m = service.schedule_meeting(
        world.secretary, world.community, hall_id=world.hall.id, day=TUESDAY, start="09:00",
        end="10:00", title="十二月居民议事会", topic_ids=[str(world.topic.id)])
    db.session.commit()
    return m


def html(response) -> str:
    return response.get_data(as_text=True)


def fields_url(meeting, topic_id, kind=None):
    url = f"/meetings/{meeting.id}/minutes/fields/{topic_id}"
    return url + (f"?res-{topic_id}-kind={kind}" if kind is not None else "")


def shown(page: str, p: str) -> set[str]:
    return {name for name in ("question", "options", "reason", "comment_days")
            if f'id="{p}{name}"' in page}


def test_a_new_form_shows_no_kind_fields_and_asks_for_the_kind(world, meeting, client, login):
    login(world.secretary)
    page = html(client.get(f"/meetings/{meeting.id}/minutes/edit"))
    p = f"res-{world.topic.id}-"
    assert shown(page, p) == set()
    assert f'id="{p}kind-note"' in page
    # Each kind's radio fetches its fields into the topic's block.
    assert f'hx-get="{fields_url(meeting, world.topic.id)}"' in page
    assert f'hx-target="#{p}kind-fields"' in page
    # Without JavaScript, a button re-renders the form with the chosen kind.
    assert f'id="{p}show-fields"' in page and "<noscript>" in page


@pytest.mark.parametrize("kind, fields", [
    ("vote", {"question", "options"}),
    ("no_action", {"reason"}),
    ("send_back", {"comment_days"}),
    ("", set()),
    ("nonsense", set()),
])
def test_the_fragment_has_only_the_chosen_kinds_fields(world, meeting, client, login, kind,
                                                      fields):
    login(world.secretary)
    response = client.get(fields_url(meeting, world.topic.id, kind), headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = html(response)
    p = f"res-{world.topic.id}-"
    assert shown(page, p) == fields
    assert page.lstrip().startswith(f'<div class="kind-fields stack" id="{p}kind-fields"')
    assert "<html" not in page  # a fragment, not a page
    assert (f'id="{p}kind-note"' in page) == (not fields)
    if kind == "vote":  # a vote starts with the usual three options
        assert "Agree\nOppose\nAbstain" in page


def test_the_fragment_shows_the_saved_draft_values(world, meeting, client, login):
    login(world.secretary)
    p = f"res-{world.topic.id}-"
    client.post(f"/meetings/{meeting.id}/minutes/edit", data={
        "present_count": "20", "residents_count": "15", "action": "save",
        p + "kind": "no_action", p + "reason": "已由物业解决。"})
    page = html(client.get(fields_url(meeting, world.topic.id, "no_action")))
    assert "已由物业解决。" in page and shown(page, p) == {"reason"}


def test_the_fragment_is_the_offices(world, meeting, client, login):
    url = fields_url(meeting, world.topic.id, "vote")
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(world.residents[0])
    assert client.get(url).status_code == 403
    login(world.secretary_elsewhere)
    assert client.get(url).status_code == 403
    login(world.secretary)
    assert client.get(fields_url(meeting, world.open_topic.id, "vote")).status_code == 404
    assert client.get(f"/meetings/999999/minutes/fields/{world.topic.id}").status_code == 404


def test_show_fields_without_javascript_keeps_what_was_typed_and_saves_nothing(
        world, meeting, client, login):
    login(world.secretary)
    p = f"res-{world.topic.id}-"
    response = client.post(f"/meetings/{meeting.id}/minutes/edit", data={
        "present_count": "20", "residents_count": "15", "body": "居民踊跃发言。",
        "action": "fields", p + "summary": "讨论热烈。", p + "kind": "send_back"})
    assert response.status_code == 200
    page = html(response)
    assert shown(page, p) == {"comment_days"}
    assert "讨论热烈。" in page and "居民踊跃发言。" in page
    assert f'id="{p}kind-send_back" checked' in page  # the chosen kind stays chosen
    assert f'id="{p}kind-vote" checked' not in page
    db.session.rollback()
    assert rules.draft_of(rules.minutes_of(meeting.id)) is None


def test_saving_takes_the_chosen_kinds_fields(world, meeting, client, login):
    login(world.secretary)
    p = f"res-{world.topic.id}-"
    response = client.post(f"/meetings/{meeting.id}/minutes/edit", data={
        "present_count": "20", "residents_count": "15", "action": "save",
        p + "summary": "讨论热烈。", p + "kind": "send_back", p + "comment_days": "10"})
    assert response.status_code == 302
    db.session.rollback()
    draft = rules.draft_of(rules.minutes_of(meeting.id))
    (resolution,) = draft.resolutions
    assert resolution.kind == "send_back" and resolution.comment_days == 10
    page = html(client.get(f"/meetings/{meeting.id}/minutes/edit"))
    assert shown(page, p) == {"comment_days"} and 'value="10"' in page


def test_an_error_on_a_field_of_another_kind_is_shown_with_its_field(world, meeting, client,
                                                                     login):
    login(world.secretary)
    p = f"res-{world.topic.id}-"
    response = client.post(f"/meetings/{meeting.id}/minutes/edit", data={
        "present_count": "20", "residents_count": "15", "action": "save",
        p + "kind": "vote", p + "question": "是否同意？", p + "options": "同意\n反对",
        p + "comment_days": "99"})
    assert response.status_code == 400
    page = html(response)
    assert shown(page, p) == {"question", "options", "comment_days"}
    assert f'id="{p}comment_days-error"' in page
