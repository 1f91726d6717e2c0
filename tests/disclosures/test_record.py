"""The access record (查阅记录): written when an official's page shows a resident's whole phone
or a grid's not-voted list, one row per resident, in one statement; not written for masked
numbers; committed although the request is a GET."""
from __future__ import annotations

import csv
import io

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import User
from consult.disclosures.models import DataView
from consult.extensions import db
from consult.votes import service as votes
from tests import factories
from tests.grids.world import build

pytestmark = pytest.mark.usefixtures("english", "at_t0")


def recorded() -> dict[int, DataView]:
    """The committed record, by subject (the request's session is gone: read afresh)."""
    db.session.rollback()
    return {v.subject_id: v for v in db.session.scalars(select(DataView))}


def test_a_grid_worker_opening_the_not_voted_list_is_recorded_per_owner(estate, client, login):
    p = estate.people
    votes.cast(p["wang"], estate.vote, "agree")
    db.session.commit()
    login(p["worker"])
    response = client.get(f"/grids/{estate.grid.id}?show=not_voted")
    assert response.status_code == 200
    rows = recorded()
    owners = {o.id: o.name for o in db.session.scalars(select(User))
              if o.name.startswith("业主")}
    assert len(owners) == 2
    # 王 voted: only his phone was shown (in the homes table); 李 has not, with his phone;
    # the roster-only owners without a phone are on the not-voted list.
    assert rows[p["wang"].id].fields == "phone"
    assert rows[p["li"].id].fields == "phone,not_voted"
    for owner_id in owners:
        assert rows[owner_id].fields == "not_voted"
    assert set(rows) == {p["wang"].id, p["li"].id, *owners}  # nobody of the other grid
    row = rows[p["li"].id]
    assert (row.viewer_id, row.viewer_name, row.viewer_role) == (p["worker"].id, "网格员甲",
                                                                 "grid_worker")
    assert (row.endpoint, row.page, row.object_ref) == ("grids.show", "grid",
                                                        f"grid:{estate.grid.id}")
    assert row.community_id == estate.community.id and estate.grid.name in row.object_name


def test_the_not_voted_csv_is_recorded_with_its_vote(estate, client, login):
    p = estate.people
    votes.cast(p["wang"], estate.vote, "agree")
    db.session.commit()
    login(p["worker"])
    response = client.get(f"/grids/{estate.grid.id}/votes/{estate.vote.id}/not-voted.csv")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["13900000012"] == [r[3] for r in lines[1:] if r[3]]  # whole, for the worker
    rows = recorded()
    assert p["wang"].id not in rows
    assert rows[p["li"].id].fields == "phone,not_voted"
    assert len(rows) == 3  # 李 and the two roster-only owners
    assert {r.page for r in rows.values()} == {"grid_not_voted_csv"}
    assert rows[p["li"].id].object_ref == f"grid:{estate.grid.id}/vote:{estate.vote.id}"
    assert rows[p["li"].id].endpoint == "grids.not_voted_csv"


def test_a_secretary_shown_whole_phones_is_recorded_as_the_secretary(estate, client, login):
    p = estate.people
    login(p["secretary"])
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert "13900000011" in html
    rows = recorded()
    assert rows[p["wang"].id].viewer_role == "secretary"
    assert "phone" in rows[p["wang"].id].fields


@pytest.mark.parametrize("who", ["admin", "platform_admin"])
def test_masked_phones_are_not_recorded_as_phones(estate, client, login, who):
    """An administrator sees the numbers masked: no phone in the record; the not-voted list
    they were shown is recorded all the same."""
    p = estate.people
    viewer = p.get(who) or factories.user("平台管理员", platform_admin=True)
    db.session.commit()
    votes.cast(p["wang"], estate.vote, "agree")
    db.session.commit()
    login(viewer)
    html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert "139****0011" in html and "13900000011" not in html
    rows = recorded()
    assert p["wang"].id not in rows  # voted: only his (masked) phone was shown
    assert rows[p["li"].id].fields == "not_voted"
    assert all("phone" not in r.fields for r in rows.values())
    assert {r.viewer_role for r in rows.values()} == {who}


def test_a_page_showing_only_masked_numbers_records_nothing(estate, client, login):
    p = estate.people
    login(p["admin"])
    html = client.get(f"/admin/communities/{estate.community.id}/roles").get_data(as_text=True)
    assert p["worker"].name in html
    assert recorded() == {}


def test_an_announced_vote_lists_nobody_as_not_voted(estate, client, login):
    """Before a vote opens nobody has voted: the list says nothing about anyone."""
    p = estate.people
    login(p["admin"])
    with clock.frozen(estate.vote.opens_at - timedelta(hours=1)):  # both votes announced
        html = client.get(f"/grids/{estate.grid.id}").get_data(as_text=True)
    assert "Announced" in html and "is announced or open" not in html
    assert recorded() == {}


def test_the_resident_page_records_the_residents_phone(estate, client, login):
    p = estate.people
    login(p["worker"])
    html = client.get(f"/grids/{estate.grid.id}/residents/{p['wang'].id}").get_data(
        as_text=True)
    assert "13900000011" in html
    rows = recorded()
    assert set(rows) == {p["wang"].id}
    assert (rows[p["wang"].id].page, rows[p["wang"].id].fields) == ("grid_resident", "phone")


def test_the_viewers_own_data_is_not_recorded(estate, client, login):
    p = estate.people
    factories.owner(p["worker"], estate.grid.buildings[0].units[0])
    p["worker"].phone = "13900000099"
    db.session.commit()
    login(p["worker"])
    client.get(f"/grids/{estate.grid.id}")
    assert p["worker"].id not in recorded()


def _grid_of(owners_not_voted: int, name: str):
    """A grid whose not-voted list holds ``owners_not_voted`` owners (wang, and for an even
    count one roster owner too, have voted)."""
    homes = (owners_not_voted + 2) // 2
    e = build(homes_per_building=homes, name=name)
    votes.cast(e.people["wang"], e.vote, "agree")
    if (2 * homes - 1) > owners_not_voted:
        other = db.session.scalars(select(User).where(  # this estate's: the newest
            User.name == "业主0").order_by(User.id)).all()[-1]
        votes.cast(other, e.vote, "agree")
    db.session.commit()
    return e


def test_the_record_takes_one_statement_with_5_or_50_owners(app, client, login,
                                                             count_queries):
    counts, inserts = {}, {}
    for n, name in ((5, "小网格社区"), (50, "大网格社区")):
        e = _grid_of(n, name)
        login(e.people["worker"])
        client.get("/")
        for path in (f"/grids/{e.grid.id}?show=not_voted",
                     f"/grids/{e.grid.id}/votes/{e.vote.id}/not-voted.csv"):
            before = db.session.scalar(select(func.count()).select_from(DataView))
            with count_queries() as q:
                assert client.get(path).status_code == 200
            db.session.rollback()
            after = db.session.scalar(select(func.count()).select_from(DataView))
            assert after - before == n, (path, after - before)
            key = path.split("/")[-1].split("?")[0] if "csv" in path else "page"
            counts[(n, key)] = q.count
            inserts[(n, key)] = [s for s in q.statements if "INSERT INTO data_views" in s]
    assert counts[(5, "page")] == counts[(50, "page")], counts
    assert counts[(5, "not-voted.csv")] == counts[(50, "not-voted.csv")], counts
    assert all(len(found) == 1 for found in inserts.values()), inserts
