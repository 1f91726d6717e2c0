"""Paper ballots (书面表决票) over HTTP and through the service: printing, double entry, who may
enter, disagreements and their resolution, photos, precedence over online ballots and the
notices, the channels in the ballot list and the result, the API."""
from __future__ import annotations

import csv
import io
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import Role
from consult.audit.models import AuditEntry
from consult.community.models import Grid
from consult.extensions import db
from consult.notifications.models import Notification
from consult.votes import paper, service
from consult.votes.models import Ballot, Elector
from consult.votes.paper_forms import SPOILT
from consult.votes.paper_models import PaperBallot, PaperEntry
from tests import api_world, factories
from tests.votes.test_votes import T0, estate, minutes_resolved, open_  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def in_main(page: str) -> str:
    """The page's <main>: what it shows, without the header's and the tab bar's icons."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]



@pytest.fixture(autouse=True)
def during_the_vote():
    clock.set_frozen(T0 + timedelta(hours=1))
    yield
    clock.set_frozen(None)


@pytest.fixture
def desk(estate):
    """The estate's owners' vote, open; grid workers of its grid (two) and of another grid, a
    second secretary, a representative and the secretary of another community."""
    c, topic, people = estate
    vote = open_(estate)
    grid = c.grids[0]
    other_grid = Grid(community_id=c.id, name="2网格")
    db.session.add(other_grid)
    db.session.flush()
    people["gw"] = factories.grid_worker(grid, "赵网格员")
    people["gw2"] = factories.grid_worker(grid, "周网格员")
    people["gw_other"] = factories.grid_worker(other_grid, "吴网格员")
    people["secretary2"] = factories.office_holder(c, Role.SECRETARY, "第二秘书")
    people["rep"] = factories.representative(c, "李代表")
    people["other_secretary"] = factories.office_holder(factories.community("别处社区"),
                                                        Role.SECRETARY, "外秘书")
    db.session.commit()
    return c, vote, people


def print_all(vote, people) -> dict[str, str]:
    """Print the whole electorate; {units label or elector key: serial}."""
    paper.print_papers(people["secretary"], vote)
    db.session.commit()
    return {e.units_label or e.key: p.serial for p, e in db.session.execute(
        select(PaperBallot, Elector).join(Elector, Elector.id == PaperBallot.elector_id))}


def serial_of(vote, person) -> str:
    elector = service.electors_of(person, vote)[0]
    return db.session.scalar(select(PaperBallot.serial).where(
        PaperBallot.elector_id == elector.id))


def enter(client, login, person, vote, serial, option, photo=None):
    login(person)
    data = {"serial": serial, "option": option}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo[0]), photo[1])
    return client.post(f"/votes/{vote.id}/papers/entries", data=data,
                       content_type="multipart/form-data")


def counted(vote, person) -> Ballot | None:
    elector = service.electors_of(person, vote)[0]
    return db.session.scalar(select(Ballot).where(Ballot.elector_id == elector.id,
                                                  Ballot.counted.is_(True)))


# --- printing -----------------------------------------------------------------------------------

def test_a_grid_worker_prints_a_building_one_paper_per_elector(desk, client, login):
    c, vote, people = desk
    building = c.grids[0].buildings[0]  # 王 (units 1 and 3), 李 and 张 (unit 2)
    login(people["gw"])
    desk_page = client.get(f"/votes/{vote.id}/papers").get_data(as_text=True)
    assert f'value="{building.id}"' in desk_page and 'value="all"' not in desk_page
    response = client.post(f"/votes/{vote.id}/papers/print", data={"building": building.id})
    assert response.status_code == 302 and "/papers/sheets?building=" in response.location
    html = client.get(response.location).get_data(as_text=True)
    serials = re.findall(r'<code class="serial">([A-Z0-9-]+)</code>', html)
    assert len(serials) == 2 == db.session.scalar(select(func.count(PaperBallot.id)))
    assert in_main(html).count('<svg') == 2 and 'class="paper-qr"' in html and "style=" not in html
    assert "王" in html and "李" in html and "张" in html  # a named vote names the owners
    assert "幸福里社区" in html and vote.question in html and "Signature" in html
    # printing again keeps the serials
    client.post(f"/votes/{vote.id}/papers/print", data={"building": building.id})
    again = client.get(response.location).get_data(as_text=True)
    assert re.findall(r'<code class="serial">([A-Z0-9-]+)</code>', again) == serials


def test_a_secretary_prints_the_whole_electorate(desk, client, login):
    c, vote, people = desk
    login(people["secretary"])
    response = client.post(f"/votes/{vote.id}/papers/print", data={"building": "all"})
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    serials = re.findall(r'<code class="serial">([A-Z0-9-]+)</code>', html)
    assert len(serials) == len(set(serials)) == vote.electorate_size == 5
    assert html.count('class="paper-ballot"') == 5 and in_main(html).count("<svg") == 5
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "vote.paper_print")) == 1


def test_a_secret_vote_prints_no_names(estate, client, login):
    vote = open_(estate, secret=True)
    _, _, people = estate
    login(people["secretary"])
    client.post(f"/votes/{vote.id}/papers/print", data={"building": "all"})
    html = client.get(f"/votes/{vote.id}/papers/sheets?building=all").get_data(as_text=True)
    assert html.count('class="paper-ballot"') == 5 and "王" not in html and "钱" not in html


@pytest.mark.parametrize("who, building, status", [
    ("gw", "all", 403),  # the whole electorate is for secretaries
    ("gw_other", 0, 403),  # a building of another grid
    ("王", 0, 403), ("rep", 0, 403), ("other_secretary", 0, 403),
])
def test_who_may_not_print(desk, client, login, who, building, status):
    c, vote, people = desk
    login(people[who])
    value = "all" if building == "all" else c.grids[0].buildings[building].id
    assert client.post(f"/votes/{vote.id}/papers/print",
                       data={"building": value}).status_code == status
    assert db.session.scalar(select(func.count(PaperBallot.id))) == 0


def test_a_closed_vote_prints_no_papers(desk, client, login):
    c, vote, people = desk
    clock.set_frozen(T0 + timedelta(days=8))
    login(people["secretary"])
    response = client.post(f"/votes/{vote.id}/papers/print", data={"building": "all"})
    assert response.status_code == 302
    assert "Voting has closed" in client.get(response.location).get_data(as_text=True)
    assert db.session.scalar(select(func.count(PaperBallot.id))) == 0


# --- double entry -------------------------------------------------------------------------------

def test_entered_by_a_grid_worker_confirmed_by_a_secretary_counts(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["钱"])
    typed = serial.lower().replace("-", " ")  # as typed on a phone
    response = enter(client, login, people["gw"], vote, typed, "agree")
    assert response.status_code == 302
    html = client.get(response.location).get_data(as_text=True)
    assert "must now enter it again" in html and serial in html  # in "waiting"
    assert counted(vote, people["钱"]) is None
    # the confirming person is not shown what the first one read
    login(people["secretary"])
    page = client.get(f"/votes/{vote.id}/papers").get_data(as_text=True)
    assert serial not in page
    response = enter(client, login, people["secretary"], vote, serial, "agree")
    assert response.status_code == 302
    assert "both entries agree" in client.get(response.location).get_data(as_text=True)
    ballot = counted(vote, people["钱"])
    assert ballot.option == "agree" and ballot.channel == "paper"
    assert ballot.cast_by_id == people["secretary"].id
    assert [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "paper_ballots")
        .order_by(AuditEntry.id))] == ["vote.paper_entry", "vote.paper_confirmation"]
    vote_page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert 'id="paper-confirmed">1' in vote_page and 'id="paper-printed">5' in vote_page
    # the same serial twice counts once
    response = enter(client, login, people["gw2"], vote, serial, "oppose")
    assert response.status_code == 409
    assert "already entered" in response.get_data(as_text=True)
    assert counted(vote, people["钱"]).option == "agree"
    assert db.session.scalar(select(func.count(Ballot.id))) == 1


def test_another_grid_worker_of_the_grid_confirms(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    enter(client, login, people["gw"], vote, serial, "oppose")
    assert enter(client, login, people["gw2"], vote, serial, "oppose").status_code == 302
    assert counted(vote, people["孙"]).option == "oppose"


def test_nobody_confirms_their_own_entry(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    enter(client, login, people["gw"], vote, serial, "agree")
    response = enter(client, login, people["gw"], vote, serial, "agree")
    assert response.status_code == 409
    assert "You entered this paper yourself" in response.get_data(as_text=True)
    assert counted(vote, people["孙"]) is None
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 1


@pytest.mark.parametrize("who, status", [
    ("gw_other", 403), ("王", 403), ("rep", 403), ("other_secretary", 403),
])
def test_who_may_not_enter(desk, client, login, who, status):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    assert enter(client, login, people[who], vote, serial, "agree").status_code == status
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0


def test_a_visitor_is_sent_to_log_in(desk, client):
    c, vote, people = desk
    response = client.post(f"/votes/{vote.id}/papers/entries", data={"serial": "x"})
    assert response.status_code == 302 and "/login" in response.location


def test_a_wrong_serial_is_said_next_to_the_field_and_kept(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    response = enter(client, login, people["gw"], vote, "ABCD-EFGH-JKMN", "agree")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "No paper ballot of this vote" in html
    assert 'value="ABCD-EFGH-JKMN"' in html


def test_a_closed_vote_takes_no_paper(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    enter(client, login, people["gw"], vote, serial, "agree")
    clock.set_frozen(T0 + timedelta(days=7))
    response = enter(client, login, people["secretary"], vote, serial, "agree")
    assert response.status_code == 409 and "Voting has closed" in response.get_data(as_text=True)
    assert counted(vote, people["孙"]) is None


def test_a_spoilt_paper_is_recorded_but_keeps_the_online_ballot(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    service.cast(people["钱"], vote, "oppose")
    db.session.commit()
    serial = serial_of(vote, people["钱"])
    enter(client, login, people["gw"], vote, serial, SPOILT)
    assert enter(client, login, people["gw2"], vote, serial, SPOILT).status_code == 302
    assert db.session.scalar(select(PaperBallot.status).where(
        PaperBallot.serial == serial)) == "spoilt"
    ballot = counted(vote, people["钱"])
    assert ballot.channel == "online" and ballot.option == "oppose"
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind.like("vote.ballot_replaced%"))) == 0


# --- disagreements ------------------------------------------------------------------------------

def test_a_disagreement_is_shown_and_a_secretary_resolves_it(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    enter(client, login, people["gw"], vote, serial, "agree")
    response = enter(client, login, people["secretary"], vote, serial, "oppose")
    assert response.status_code == 302
    assert "the two entries differ" in client.get(response.location).get_data(as_text=True)
    assert counted(vote, people["孙"]) is None
    for who in ("gw", "secretary", "secretary2"):
        login(people[who])
        html = client.get(f"/votes/{vote.id}/papers").get_data(as_text=True)
        assert serial in html and "赵网格员 read “Agree”" in html, who
    login(people["gw2"])  # entered neither: not shown to them
    assert serial not in client.get(f"/votes/{vote.id}/papers").get_data(as_text=True)
    # a third entry is refused: it waits for a resolution
    assert enter(client, login, people["gw2"], vote, serial, "agree").status_code == 409
    disputed = db.session.scalar(select(PaperBallot).where(PaperBallot.serial == serial))
    url = f"/votes/{vote.id}/papers/{disputed.id}/resolve"
    login(people["gw"])
    assert client.get(url).status_code == 403  # grid workers do not resolve
    login(people["secretary"])  # one of the two who entered it
    assert client.post(url, data={"option": "oppose"}).status_code == 403
    login(people["secretary2"])
    assert client.get(url).status_code == 200
    response = client.post(url, data={"option": "agree"})
    assert response.status_code == 302
    assert counted(vote, people["孙"]).option == "agree"
    assert counted(vote, people["孙"]).channel == "paper"
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "vote.paper_resolution"))
    assert entry.actor_id == people["secretary2"].id
    assert [e["option"] for e in entry.details["entries"]] == ["agree", "oppose"]
    assert client.get(url).status_code == 404  # no longer waiting


# --- photos -------------------------------------------------------------------------------------

def test_a_photo_is_kept_outside_the_web_root_and_shown_to_secretaries(desk, app, client,
                                                                        login):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    response = enter(client, login, people["gw"], vote, serial, "agree", photo=(PNG, "纸.png"))
    assert response.status_code == 302
    entry = db.session.scalar(select(PaperEntry))
    assert entry.photo.endswith(".png") and "纸" not in entry.photo
    path = os.path.join(app.instance_path, "paper-photos", entry.photo)
    assert open(path, "rb").read() == PNG
    url = f"/paper-photos/{entry.id}"
    login(people["secretary"])
    photo = client.get(url)
    assert photo.status_code == 200 and photo.data == PNG
    assert photo.mimetype == "image/png"
    assert photo.headers["Content-Disposition"] == "inline"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    for who in ("gw", "王", "other_secretary"):
        login(people[who])
        assert client.get(url).status_code == 403, who
    client.post("/logout")


@pytest.mark.parametrize("content, name, message", [
    (b"just some text, not a picture", "paper.png", "must be a JPEG, PNG or WebP"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), "paper.png", "at most 5 MB"),
])
def test_a_bad_photo_is_refused(desk, app, client, login, content, name, message):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["孙"])
    response = enter(client, login, people["gw"], vote, serial, "agree", photo=(content, name))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and f'value="{serial}"' in html
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0
    folder = os.path.join(app.instance_path, "paper-photos")
    assert not os.path.isdir(folder) or not os.listdir(folder)


# --- precedence and notices ---------------------------------------------------------------------

def _confirm(client, login, people, vote, serial, option):
    enter(client, login, people["gw"], vote, serial, option)
    assert enter(client, login, people["gw2"], vote, serial, option).status_code == 302


def notices(person, kind):
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == person.id, Notification.kind == kind))


def test_a_paper_confirmed_after_an_online_ballot_counts_and_the_owners_are_told(
        desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    service.cast(people["李"], vote, "oppose")
    db.session.commit()
    clock.set_frozen(T0 + timedelta(hours=2))
    _confirm(client, login, people, vote, serial_of(vote, people["李"]), "agree")
    ballot = counted(vote, people["李"])
    assert (ballot.channel, ballot.option) == ("paper", "agree")
    for owner in ("李", "张"):  # co-owners of one elector
        assert notices(people[owner], "vote.ballot_replaced_by_paper") == 1
    assert notices(people["王"], "vote.ballot_replaced_by_paper") == 0
    assert service.compute(vote).votes["agree"] == 1


def test_an_online_ballot_after_a_paper_counts_and_the_owners_are_told(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    _confirm(client, login, people, vote, serial_of(vote, people["李"]), "agree")
    clock.set_frozen(T0 + timedelta(hours=2))
    service.cast(people["张"], vote, "oppose", replace_other=True)  # a paper ballot: confirmed
    db.session.commit()
    ballot = counted(vote, people["李"])
    assert (ballot.channel, ballot.option) == ("online", "oppose")
    # the co-owner is told; the one who just cast it is not told of their own act
    assert notices(people["李"], "vote.ballot_replaced_by_online") == 1
    assert notices(people["张"], "vote.ballot_replaced_by_online") == 0
    # a change of mind online, channel to channel the same, tells nobody again
    service.cast(people["张"], vote, "agree")
    db.session.commit()
    assert notices(people["李"], "vote.ballot_replaced_by_online") == 1


def test_the_ballot_list_and_the_result_show_channels(desk, client, login):
    c, vote, people = desk
    print_all(vote, people)
    service.cast(people["王"], vote, "agree")
    service.cast(people["钱"], vote, "agree")
    db.session.commit()
    _confirm(client, login, people, vote, serial_of(vote, people["孙"]), "oppose")
    clock.set_frozen(T0 + timedelta(days=7, minutes=5))
    service.close_due_votes()
    db.session.commit()
    client.post("/logout")
    rows = list(csv.reader(io.StringIO(client.get(f"/votes/{vote.id}/ballots.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Receipt code", "Option", "Homes", "Channel"]
    assert sorted(r[3] for r in rows[1:]) == ["online", "online", "paper (书面表决票)"]
    assert next(r for r in rows[1:] if r[3] == "paper (书面表决票)")[1] == "Oppose"
    result = client.get(f"/votes/{vote.id}/result.csv").get_data(as_text=True)
    assert "Ballots by channel: online,2" in result and "Ballots by channel: paper" in result
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert re.search(r'data-channel="paper"><th scope="row">[^<]+</th><td>1</td>', html)
    assert re.search(r'data-channel="online"><th scope="row">[^<]+</th><td>2</td>', html)
    items = client.get(f"/api/v1/votes/{vote.id}/ballots").get_json()["items"]
    assert sorted(i["channel"] for i in items) == ["online", "online", "paper"]


# --- the API ------------------------------------------------------------------------------------

def test_the_api_enters_and_confirms_through_the_same_service(desk, client):
    c, vote, people = desk
    print_all(vote, people)
    serial = serial_of(vote, people["钱"])
    url = f"/api/v1/votes/{vote.id}/paper-ballots"
    gw, gw2, resident = (api_world.auth(api_world.token(client, people[p]))
                         for p in ("gw", "gw2", "王"))
    response = client.post(url, json={"serial": serial.lower(), "option": "agree"}, headers=gw)
    assert response.status_code == 201 and response.get_json()["status"] == "entered"
    again = client.post(url, json={"serial": serial, "option": "agree"}, headers=gw)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert client.post(url, json={"serial": serial, "option": "agree"},
                       headers=resident).status_code == 403
    assert client.post(url, json={"serial": "ABCD-EFGH-JKMN", "option": "agree"},
                       headers=gw2).status_code == 404
    assert client.post(url, json={"serial": serial, "option": "maybe"},
                       headers=gw2).status_code == 409
    response = client.post(url, json={"serial": serial, "option": "agree"}, headers=gw2)
    assert response.status_code == 201 and response.get_json() == {
        "vote_id": vote.id, "serial": serial, "status": "confirmed"}
    assert counted(vote, people["钱"]).channel == "paper"
    spoilt = serial_of(vote, people["孙"])
    assert client.post(url, json={"serial": spoilt, "spoilt": True},
                       headers=gw).get_json()["status"] == "entered"
    assert client.post(url, json={"serial": spoilt, "option": "agree"},
                       headers=gw2).get_json()["status"] == "disputed"


def test_an_announced_vote_prints_but_takes_no_paper_before_it_opens(estate, client, login):
    c, topic, people = estate
    with clock.frozen(T0):
        vote = service.open_vote(people["secretary"], topic, service.VoteSpec(
            question="是否同意？", electorate="owners", rule="civil_code_ordinary",
            scope_key=f"community:{c.id}", opens_at=T0 + timedelta(days=16),
            closes_at=T0 + timedelta(days=23)))
        db.session.commit()
    gw = factories.grid_worker(c.grids[0], "赵网格员")
    db.session.commit()
    login(people["secretary"])
    assert client.post(f"/votes/{vote.id}/papers/print",
                       data={"building": "all"}).status_code == 302
    serial = db.session.scalar(select(PaperBallot.serial).limit(1))
    response = enter(client, login, gw, vote, serial, "agree")
    assert response.status_code == 409
    assert "Voting has not opened yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0
