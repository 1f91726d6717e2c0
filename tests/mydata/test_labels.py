"""My data in the reader's words: a column of stored codes ("agree", "online", "verified") shows
the words the rest of the site uses for them, in Chinese or in English, on the page, on each
section's page and in the CSV files; the JSON keeps the codes; a code without words is shown as
it is."""
from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale

from consult.extensions import db
from consult.mydata import service
from consult.mydata.models import DataExport
from consult.mydata.sections import SECTIONS, Column, section
from tests.mydata.world import build

LABELLED = {s.key: [c for c in s.columns if c.labels is not None] for s in SECTIONS}
# Every code some column has words for: none may be a cell's whole text.
CODES = {code for columns in LABELLED.values() for c in columns for code in c.labels}
BLANK = "–"


class _Tables(HTMLParser):
    """The tables of a "my data" page: {section key: [[cell text, ...] per row]}, the header
    row first. On the main page each table is inside <section id="mydata-KEY">; a section's
    own page has one table, filed under ``key``."""

    def __init__(self, key: str | None = None):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.key = key
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("id") or "").startswith("mydata-"):
            self.key = attrs["id"].removeprefix("mydata-")
        elif tag == "table" and self.key is not None:
            self.tables[self.key] = []
        elif tag == "tr" and self.key in self.tables:
            self.tables[self.key].append([])
        elif tag in ("td", "th") and self.key in self.tables:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.tables[self.key][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _tables(html: str, key: str | None = None) -> dict[str, list[list[str]]]:
    parser = _Tables(key)
    parser.feed(html)
    return parser.tables


def _words(app, language: str) -> dict[tuple[str, str], set[str]]:
    """(section, column) -> the words of its codes in ``language``."""
    with app.test_request_context("/"), force_locale(language):
        return {(key, c.key): {str(word) for word in c.labels.values()}
                for key, columns in LABELLED.items() for c in columns}


@pytest.fixture
def world(app):
    world = build()
    # The world has every kind of record but a download: one that failed.
    db.session.add(DataExport(user_id=world.me.id, format="csv", status="failed"))
    db.session.commit()
    return world


def _check_words(tables: dict, words: dict, keys) -> set[tuple[str, str]]:
    """Every cell of a coded column holds words for a code (or nothing), no cell anywhere is a
    code. Returns the (section, column) pairs that showed words."""
    shown = set()
    codes_only = CODES - set().union(*words.values())  # in English, "online" is both
    for key in keys:
        header, *rows = tables[key]
        columns = section(key).columns
        assert len(header) == len(columns), key
        for row in rows:
            codes = [cell for cell in row if cell in codes_only]
            assert not codes, f"{key}: codes shown as they are: {codes} in {row}"
            for index, column in enumerate(columns):
                if column.labels is None or row[index] == BLANK:
                    continue
                assert row[index] in words[key, column.key], (key, column.key, row[index])
                shown.add((key, column.key))
    return shown


# Words the site uses elsewhere for the same codes, as a reader sees them.
CHINESE = {("ballots", "option"): "同意", ("ballots", "channel"): "网上",
           ("residencies", "status"): "已认证", ("residencies", "relation"): "业主",
           ("roles", "role"): "秘书", ("topics", "stage"): "征求意见中",
           ("reactions", "value"): "同意", ("outbox", "channel"): "短信",
           ("account_events", "action"): "修改密码", ("exports", "format"): "CSV（zip 压缩包）"}
ENGLISH = {("ballots", "option"): "Agree", ("ballots", "channel"): "online",
           ("residencies", "status"): "Verified", ("residencies", "relation"): "Owner",
           ("roles", "role"): "Secretary", ("topics", "stage"): "Open for comment",
           ("reactions", "value"): "Agree", ("outbox", "channel"): "SMS",
           ("account_events", "action"): "Changed the password",
           ("exports", "format"): "CSV (zip)"}


@pytest.mark.parametrize("language, expected", [("zh_Hans", CHINESE), ("en", ENGLISH)])
def test_coded_columns_show_words_on_the_page_and_each_section(world, app, client, login,
                                                                language, expected):
    login(world.me)
    client.set_cookie("lang", language)
    words = _words(app, language)
    coded = [key for key, columns in LABELLED.items() if columns]
    page = _tables(client.get("/me/data").get_data(as_text=True))
    shown = _check_words(page, words, coded)
    # Every coded column of the world's records showed words, not only blanks.
    assert shown == {(key, c.key) for key in coded for c in LABELLED[key]}
    for (key, column), word in expected.items():
        index = [c.key for c in section(key).columns].index(column)
        assert word in [row[index] for row in page[key][1:]], (key, column, word)
    for key in coded:
        full = _tables(client.get(f"/me/data/sections/{key}").get_data(as_text=True), key)
        assert _check_words(full, words, [key]) == {p for p in shown if p[0] == key}, key


def test_a_code_without_words_is_shown_as_it_is(world, client, login):
    from consult.halls.models import Registration
    from consult.notifications.models import Notification

    registration = db.session.query(Registration).filter_by(user_id=world.me.id).one()
    db.session.add(Notification(user_id=world.me.id, kind="made.up", params={"text": "x"}))
    db.session.commit()
    login(world.me)
    client.set_cookie("lang", "zh_Hans")
    page = _tables(client.get("/me/data").get_data(as_text=True))
    kinds = [row[1] for row in page["notifications"][1:]]
    assert "made.up" in kinds and "其他通知" in kinds  # "generic" has words
    registration.status = "someday"
    db.session.commit()
    full = _tables(client.get("/me/data/sections/registrations").get_data(as_text=True),
                   "registrations")
    assert full["registrations"][1][3] == "someday"


def test_column_words_for_codes_and_nothing_else():
    column = Column("value", "Value", {"agree": "Agree"})
    assert column.shown("agree") == "Agree"
    assert column.shown("other") == "other"
    for value in (None, "", 3, True, ["agree"], {"agree": 1}):
        assert column.shown(value) == value
    assert Column("value", "Value").shown("agree") == "agree"


def test_csv_files_have_words_and_the_json_keeps_the_codes(world, app):
    with app.test_request_context("/"), force_locale("zh_Hans"):
        archive = zipfile.ZipFile(io.BytesIO(service.document_zip(world.me)))
    ballots = archive.read("ballots.csv").decode("utf-8-sig").splitlines()
    header, row = ballots[0].split(","), ballots[1].split(",")
    assert row[header.index("选择")] == "同意" and row[header.index("投票方式")] == "网上"
    roles = archive.read("roles.csv").decode("utf-8-sig")
    assert "秘书" in roles and "secretary" not in roles
    document = service.build_document(world.me)["sections"]
    assert document["ballots"]["rows"][0]["option"] == "agree"
    assert document["ballots"]["rows"][0]["channel"] == "online"
    assert document["residencies"]["rows"][0]["status"] == "verified"


def test_every_stored_code_has_words():
    """The dictionaries cover every value their codes can take, so that a new value is given
    words when it is added (it would otherwise be shown as a code)."""
    import re
    from pathlib import Path

    from consult.accounts.labels import ACTION_LABELS
    from consult.community.models import ResidencyStatus
    from consult.community.rules import RESIDENCY_STATUS_LABELS
    from consult.grids import rules as grid_rules
    from consult.halls.labels import REGISTRATION_STATUS_LABELS
    from consult.halls.models import RegistrationStatus
    from consult.messages import rules as message_rules
    from consult.messages.models import Status
    from consult.mydata import labels
    from consult.mydata.models import ExportFormat, ExportStatus
    from consult.privacy.models import CHANNELS
    from consult.privacy.rules import CHANNEL_LABELS
    from consult.votes.labels import PAPER_STATUS_LABELS
    from consult.votes.paper_models import PaperStatus

    def values(enum):
        return {member.value for member in enum}

    assert set(RESIDENCY_STATUS_LABELS) == values(ResidencyStatus)
    assert set(REGISTRATION_STATUS_LABELS) == values(RegistrationStatus)
    assert set(grid_rules.SOURCE_LABELS) == values(grid_rules.Source)
    assert set(grid_rules.ACT_LABELS) == values(grid_rules.Act)
    assert set(message_rules.STATUS_LABELS) == values(Status)
    assert set(PAPER_STATUS_LABELS) == values(PaperStatus)
    assert set(labels.FORMAT_LABELS) == values(ExportFormat)
    assert set(labels.EXPORT_STATUS_LABELS) == values(ExportStatus)
    assert set(CHANNEL_LABELS) == set(CHANNELS)
    # The account's actions in the audit log that "my data" lists, wherever they are recorded.
    root = Path(__file__).resolve().parents[2] / "consult"
    recorded = {m for path in root.rglob("*.py") for m in re.findall(
        r"[(=]\"((?:account\.|api\.token_)[a-z_]+)\"", path.read_text(encoding="utf-8"))}
    assert recorded and recorded <= set(ACTION_LABELS), recorded - set(ACTION_LABELS)


def test_headers_of_words_with_two_meanings_say_the_right_one_in_chinese(world, client, login):
    """'Home' (a flat, not the first page), 'Channel' (of a message, not of a ballot) and
    'For' (what a consent covers, not the homes of a proxy) each have their own words."""
    login(world.me)
    client.set_cookie("lang", "zh_Hans")
    page = _tables(client.get("/me/data").get_data(as_text=True))

    def header(key, column):
        return page[key][0][[c.key for c in section(key).columns].index(column)]

    assert header("residencies", "home") == header("homes", "home") == "房屋"
    assert header("outbox", "channel") == "发送方式"
    assert header("grid_help", "scope") == "适用范围"


def test_my_name_is_headed_as_a_persons_name_in_chinese(world, client, login):
    """'Name' of the account is a person's name (姓名), not the name of a thing (名称)."""
    login(world.me)
    client.set_cookie("lang", "zh_Hans")
    page = _tables(client.get("/me/data").get_data(as_text=True))
    names = [c.key for c in section("account").columns]
    assert page["account"][0][names.index("name")] == "姓名"


def test_e_mail_as_the_way_a_message_went_is_not_an_address_in_chinese(world, client, login):
    """The outbox's e-mails went by 电子邮件; the account's e-mail column is an address
    (电子邮箱)."""
    login(world.me)
    client.set_cookie("lang", "zh_Hans")
    page = _tables(client.get("/me/data/sections/outbox").get_data(as_text=True), "outbox")
    account = _tables(client.get("/me/data").get_data(as_text=True))["account"]
    channel = [c.key for c in section("outbox").columns].index("channel")
    assert {row[channel] for row in page["outbox"][1:]} == {"短信", "电子邮件"}
    assert account[0][[c.key for c in section("account").columns].index("email")] == "电子邮箱"


def test_where_i_agreed_is_not_headed_as_a_place_in_chinese(world, client, login):
    """'Where' an agreement was given (on the website, when registering) is 同意途径, not the
    place of a meeting (地点)."""
    login(world.me)
    client.set_cookie("lang", "zh_Hans")
    page = _tables(client.get("/me/data").get_data(as_text=True))
    channel = [c.key for c in section("consents").columns].index("channel")
    assert page["consents"][0][channel] == "同意途径"
    assert "在网站上" in {row[channel] for row in page["consents"][1:]}
