"""My data (issue 20): every kind of record appears in the page, the JSON and the CSV; another
person's never does; the page's queries do not grow with the history; the downloads are
prepared by a job, handed to their owner only, limited, and removed when they expire."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock
from consult.extensions import db
from consult.jobs import run_now
from consult.mydata import service
from consult.mydata.models import DataExport
from consult.mydata.sections import SECTIONS
from consult.notifications.models import Notification
from tests.mydata.world import MINE, THEIRS, build

# The sections the world fills from records carrying the person's word, and where.
WORDED = {"topics": "title", "comments": "body", "reports": "reason", "cosignatures": "topic",
          "follows": "topic", "reactions": "topic", "ballots": "question",
          "proxies": "proxy_name", "paper_ballots": "question", "registrations": "meeting",
          "reservations": "matter", "ratings": "comment", "objections": "body",
          "notifications": "text", "outbox": "subject", "tokens": "device",
          "account": "name"}


@pytest.fixture
def world(app):
    return build()


def _document(user):
    return service.build_document(user)


def test_every_kind_of_record_appears_and_only_mine(world):
    doc = _document(world.me)
    sections = doc["sections"]
    assert set(sections) == {s.key for s in SECTIONS}
    empty = [key for key, s in sections.items() if not s["rows"] and key != "exports"]
    assert not empty, f"sections without a row in a world that has one of each: {empty}"
    for key, column in WORDED.items():
        assert any(MINE in str(row[column]) for row in sections[key]["rows"]), key
    text = json.dumps(doc, ensure_ascii=False)
    assert THEIRS not in text
    assert world.neighbour.phone not in text and world.neighbour.email not in text
    # Comments and replies, the receipt, the reception record's follow-up and answer.
    assert {r["reply_to"] is None for r in sections["comments"]["rows"]} == {True, False}
    assert sections["ballots"]["rows"][0]["receipt"].startswith("RMI")
    reservation = sections["reservations"]["rows"][0]
    assert reservation["follow_up"] == f"{MINE}-0 follow-up"
    assert reservation["answer"] == f"{MINE}-0 answer"
    assert sections["homes"]["rows"][0]["area_m2"] == "88.50"
    assert sections["roles"]["rows"][0]["role"] == "secretary"
    assert [r["action"] for r in sections["account_events"]["rows"]] == [
        "account.password_change"]
    assert {r["kind"] for r in sections["grid_help"]["rows"]} == {"consent", "vote"}
    assert sections["account"]["rows"][0]["phone"] == world.me.phone


def test_secrets_never_appear(world):
    text = json.dumps(_document(world.me), ensure_ascii=False)
    assert "SECRET-CODE" not in text  # the text of a message with a code
    assert "token_hash" not in text and "password" not in text.lower().replace(
        "account.password_change", "")
    assert world.me.password_hash not in text
    # The proxy's phone is another person's: not shown.
    assert "13900000000" not in text


def test_page_shows_each_section_with_its_count(world, client, login):
    login(world.me)
    page = client.get("/me/data")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for s in SECTIONS:
        assert f'id="mydata-{s.key}"' in html
    assert f"{MINE}-0 comment" in html and THEIRS not in html
    assert page.headers["Cache-Control"] == "no-store"
    assert 'hx-history="false"' in html


@pytest.mark.parametrize("key", [s.key for s in SECTIONS])
def test_full_section_page(world, client, login, key):
    login(world.me)
    page = client.get(f"/me/data/sections/{key}")
    assert page.status_code == 200
    assert THEIRS not in page.get_data(as_text=True)


def test_unknown_section_is_not_found(world, client, login):
    login(world.me)
    assert client.get("/me/data/sections/nothing").status_code == 404


def test_fixed_number_of_queries_whatever_the_history(app, client, login, count_queries):
    from tests.mydata.world import add_records
    from tests import factories

    world = build(1)
    login(world.me)

    def queries() -> int:
        db.session.expire_all()
        with count_queries() as q:
            assert client.get("/me/data").status_code == 200
        return q.count

    one = queries()
    c = world.community
    studio = factories.studio(c)
    rep = factories.representative(c, "代表二", studios=[studio])
    session = factories.studio_session(studio, rep, clock.utcnow() + timedelta(days=9))
    add_records(world.me, c, "MORE", 49, rep=rep, hall=factories.hall(c), session=session,
                worker=factories.grid_worker(c.grids[0], "网格员二"), settings=False)
    db.session.commit()
    fifty = queries()
    assert one == fifty, (one, fifty)
    assert one <= len(SECTIONS) + 9  # a query a section with rows, one counting them all
    page = client.get("/me/data").get_data(as_text=True)
    assert "All 50 entries" in page or "全部 50" in page or "/me/data/sections/comments" in page


def test_full_section_pages_through_long_histories(app, client, login):
    from tests.mydata.world import add_records
    from tests import factories

    world = build(1)
    c = world.community
    studio = factories.studio(c)
    rep = factories.representative(c, "代表二", studios=[studio])
    session = factories.studio_session(studio, rep, clock.utcnow() + timedelta(days=9))
    add_records(world.me, c, "MORE", 110, rep=rep, hall=factories.hall(c), session=session,
                worker=factories.grid_worker(c.grids[0], "网格员二"), settings=False)
    db.session.commit()
    login(world.me)
    first = client.get("/me/data/sections/topics").get_data(as_text=True)
    second = client.get("/me/data/sections/topics?page=2").get_data(as_text=True)
    assert first.count("<tr>") == 101 and second.count("<tr>") == 12  # headers + rows
    assert client.get("/me/data/sections/topics?page=abc").status_code == 200


# --- downloads --------------------------------------------------------------------------------

def _ask(client, fmt):
    return client.post("/me/data/exports", data={"format": fmt})


def test_json_export_job_notifies_and_only_the_owner_downloads(world, app, client, login):
    login(world.me)
    assert _ask(client, "json").status_code == 302
    export = db.session.scalar(select(DataExport))
    assert export.status == "ready" and export.size > 0  # the job ran (JOBS_INLINE=now)
    assert export.expires_at - export.ready_at == timedelta(days=7)
    note = db.session.scalar(select(Notification).where(Notification.kind == "mydata.ready"))
    assert note.user_id == world.me.id and note.url == "/me/data"
    page = client.get("/me/data").get_data(as_text=True)
    assert f"/me/data/exports/{export.id}" in page
    got = client.get(f"/me/data/exports/{export.id}")
    assert got.status_code == 200 and got.mimetype == "application/json"
    assert "attachment" in got.headers["Content-Disposition"]
    doc = json.loads(got.get_data())
    assert doc["user_id"] == world.me.id
    assert MINE in json.dumps(doc, ensure_ascii=False)
    assert THEIRS not in json.dumps(doc, ensure_ascii=False)
    # Anyone else: as if there were nothing.
    other = app.test_client()
    login(world.neighbour, other)
    assert other.get(f"/me/data/exports/{export.id}").status_code == 404
    visitor = app.test_client()
    assert visitor.get(f"/me/data/exports/{export.id}").status_code == 302


def test_csv_export_is_a_zip_with_one_file_per_section_headers_translated(world, client,
                                                                           login):
    login(world.me)
    client.set_cookie("lang", "en")
    _ask(client, "csv")
    export = db.session.scalar(select(DataExport))
    got = client.get(f"/me/data/exports/{export.id}")
    assert got.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(got.get_data()))
    assert sorted(archive.namelist()) == sorted(f"{s.key}.csv" for s in SECTIONS)
    comments = archive.read("comments.csv").decode("utf-8-sig")
    assert comments.splitlines()[0].startswith("Comment number,Topic number")
    assert f"{MINE}-0 comment" in comments
    assert all(THEIRS not in archive.read(name).decode("utf-8-sig")
               for name in archive.namelist())



def test_csv_headers_in_chinese_for_a_reader_in_chinese(world, client, login):
    login(world.me)
    client.set_cookie("lang", "zh_Hans")
    _ask(client, "csv")
    export = db.session.scalar(select(DataExport))
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/me/data/exports/{export.id}").data))
    header = archive.read("comments.csv").decode("utf-8-sig").splitlines()[0].split(",")
    assert "议题" in header and "时间" in header  # "Topic", "When" in the reader's language


def test_csv_cells_cannot_run_as_formulas(world, client, login):
    from consult.topics.models import Topic

    topic = db.session.scalar(select(Topic).where(Topic.proposer_id == world.me.id))
    topic.title = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    data = zipfile.ZipFile(io.BytesIO(service.document_zip(world.me)))
    assert "'=HYPERLINK" in data.read("topics.csv").decode("utf-8-sig")


def test_one_being_prepared_at_a_time_and_five_a_day(world, app, client, login):
    login(world.me)
    # A job that has not run yet: the export stays "being prepared".
    app.config["JOBS_INLINE"] = "after-response"
    client.post("/me/data/exports", data={"format": "json"})
    assert db.session.scalar(select(DataExport)).status in ("preparing", "ready")
    db.session.execute(DataExport.__table__.update().values(status="preparing"))
    db.session.commit()
    page = client.get("/me/data").get_data(as_text=True)
    assert "hx-trigger=\"every 3s\"" in page and 'http-equiv="refresh"' in page
    fragment = client.get("/me/data/exports/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "every 3s" in fragment.get_data(as_text=True)
    again = client.post("/me/data/exports", data={"format": "csv"})
    assert again.status_code == 302
    assert db.session.query(DataExport).count() == 1
    with client.session_transaction() as sess:
        assert any(c == "error" for c, _m in sess["_flashes"])
    app.config["JOBS_INLINE"] = "now"
    db.session.execute(DataExport.__table__.update().values(status="ready"))
    db.session.commit()
    for _ in range(4):
        client.post("/me/data/exports", data={"format": "json"})
    assert db.session.query(DataExport).count() == 5
    client.post("/me/data/exports", data={"format": "json"})
    assert db.session.query(DataExport).count() == 5  # the sixth in a day is refused
    with clock.frozen(clock.utcnow() + timedelta(days=1, minutes=1)):
        client.post("/me/data/exports", data={"format": "json"})
    assert db.session.query(DataExport).count() == 6


def test_unknown_format_is_refused(world, client, login):
    login(world.me)
    response = client.post("/me/data/exports", data={"format": "xml"})
    assert response.status_code == 302
    assert db.session.query(DataExport).count() == 0


def test_expired_downloads_are_removed(world, app, client, login):
    login(world.me)
    _ask(client, "json")
    export = db.session.scalar(select(DataExport))
    path = service.export_dir() / export.file_path
    assert path.is_file()
    assert run_now("mydata.expire")
    db.session.expire_all()
    assert path.is_file() and export.status == "ready"  # not yet
    with clock.frozen(clock.utcnow() + timedelta(days=7, minutes=1)):
        assert client.get(f"/me/data/exports/{export.id}").status_code == 404
        assert run_now("mydata.expire")
    db.session.expire_all()
    assert not path.exists()
    assert export.status == "expired" and export.file_path is None


def test_expire_is_scheduled_and_has_a_command(app):
    from consult.jobs.schedule import SCHEDULE

    entry = next(e for e in SCHEDULE if e.name == "mydata.expire")
    result = app.test_cli_runner().invoke(args=entry.command.split())
    assert result.exit_code == 0, result.output
