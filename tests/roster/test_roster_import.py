"""Importing a roster (花名册) into the community tree, by function and by command line."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from consult.accounts.models import User
from consult.audit.log import verify_chain
from consult.audit.models import AuditEntry
from consult.community.models import Building, Community, Grid, Ownership, Unit
from consult.extensions import db
from consult.roster.importer import import_roster
from consult.roster.parsing import RosterError, parse_roster
from tests import factories
from tests.factories import roster_csv

# These tests check messages in English, the language the texts are written in.
pytestmark = pytest.mark.usefixtures("english")

ROWS = (
    ("1网格", "1栋", "0101", "88.50", "张三;李四", "13800138000;13900139000", ""),
    ("1网格", "1栋", "0102", "120", "王五", "", "wang@example.org"),
    ("1网格", "2栋", "0101", "75.25", "张三", "13800138000", ""),
    ("2网格", "5栋", "0301", "60", "", "", ""),
)


def run_import(data: bytes, community: str = "幸福社区", **kwargs):
    report = import_roster(community, parse_roster(data), **kwargs)
    db.session.commit()
    return report


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def table_counts() -> dict[str, int]:
    return {m.__name__: count(m) for m in (Community, Grid, Building, Unit, Ownership, User,
                                           AuditEntry)}


def unit(number: str, building: str = "1栋", grid: str = "1网格") -> Unit:
    return db.session.scalars(
        select(Unit).join(Building).join(Grid)
        .where(Grid.name == grid, Building.name == building, Unit.number == number)).one()


def owners_of(u: Unit) -> list[str]:
    return sorted(db.session.scalars(
        select(User.name).join(Ownership, Ownership.owner_id == User.id)
        .where(Ownership.unit_id == u.id)))


def test_import_creates_the_tree_and_owner_accounts(app):
    report = run_import(roster_csv(*ROWS))

    community = db.session.scalars(select(Community)).one()
    assert community.name == "幸福社区"
    assert sorted(g.name for g in community.grids) == ["1网格", "2网格"]
    assert unit("0101").area_m2 == Decimal("88.50")
    assert unit("0101", "2栋").area_m2 == Decimal("75.25")
    assert owners_of(unit("0101")) == ["张三", "李四"]
    assert owners_of(unit("0101", "2栋")) == ["张三"]
    assert owners_of(unit("0301", "5栋", "2网格")) == []  # unsold

    zhang = db.session.scalars(select(User).where(User.phone == "13800138000")).one()
    assert (zhang.name, zhang.email, zhang.password_hash) == ("张三", None, None)
    assert not zhang.can_log_in
    assert db.session.scalars(select(User).where(User.email == "wang@example.org")).one().name \
        == "王五"

    assert report.community_created
    assert report.counts() == {
        "community_created": 1, "grids_created": 2, "buildings_created": 3, "units_created": 4,
        "units_updated": 0, "units_unchanged": 0, "owners_created": 3, "owners_linked": 0,
        "ownerships_added": 4, "ownerships_removed": 0,
    }
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.object_type, entry.object_id, entry.community_id) == (
        "roster.import", "communities", community.id, community.id)
    assert entry.details["units_created"] == 4
    assert verify_chain().ok


def test_reimporting_the_same_file_changes_nothing(app):
    data = roster_csv(*ROWS)
    run_import(data)
    before = table_counts()

    report = run_import(data)

    assert table_counts() == before  # no new rows, and no audit entry either
    assert not report.changed
    assert report.units_unchanged == 4
    assert {k: v for k, v in report.counts().items() if k != "units_unchanged"} == dict.fromkeys(
        report.counts().keys() - {"units_unchanged"}, 0)


def test_a_changed_area_updates_only_that_unit(app):
    run_import(roster_csv(*ROWS))
    changed = list(ROWS)
    changed[1] = ("1网格", "1栋", "0102", "121.05", "王五", "", "wang@example.org")

    report = run_import(roster_csv(*changed))

    assert (report.units_updated, report.units_unchanged, report.units_created) == (1, 3, 0)
    assert unit("0102").area_m2 == Decimal("121.05")
    assert unit("0101").area_m2 == Decimal("88.50")
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) == 2 and entries[1].details["units_updated"] == 1


def test_ownership_follows_the_file(app):
    run_import(roster_csv(*ROWS))
    changed = list(ROWS)
    # 李四 sold his share to 赵六; the unsold unit was bought by 王五.
    changed[0] = ("1网格", "1栋", "0101", "88.50", "张三;赵六", "13800138000;13700137000", "")
    changed[3] = ("2网格", "5栋", "0301", "60", "王五", "", "wang@example.org")

    report = run_import(roster_csv(*changed))

    assert owners_of(unit("0101")) == ["张三", "赵六"]
    assert owners_of(unit("0301", "5栋", "2网格")) == ["王五"]
    assert (report.ownerships_added, report.ownerships_removed) == (2, 1)
    assert (report.owners_created, report.owners_linked) == (1, 1)  # 赵六 new, 王五 existing
    assert (report.units_updated, report.units_unchanged) == (2, 2)
    # 李四 keeps his account; he just no longer owns the unit.
    assert db.session.scalar(select(User).where(User.phone == "13900139000")) is not None


def test_selling_a_unit_back_to_the_developer_removes_its_owners(app):
    run_import(roster_csv(*ROWS))
    changed = list(ROWS)
    changed[2] = ("1网格", "2栋", "0101", "75.25", "", "", "")
    report = run_import(roster_csv(*changed))
    assert owners_of(unit("0101", "2栋")) == []
    assert report.ownerships_removed == 1


def test_units_not_in_the_file_are_left_alone(app):
    community = factories.community("幸福社区", units=2)  # 1网格 1栋 0101 and 0201
    someone = factories.user("原业主", phone="13600136000")
    factories.owner(someone, factories.units_of(community)[1])
    db.session.commit()

    report = run_import(roster_csv(ROWS[0]))

    assert not report.community_created
    assert (report.units_created, report.units_updated) == (0, 1)  # 0101 existed: area changes
    assert unit("0101").area_m2 == Decimal("88.50")
    assert owners_of(unit("0201")) == ["原业主"]
    assert count(Unit) == 2


def test_links_owners_to_registered_accounts_by_phone_or_email(app):
    registered = factories.user("张老三", phone="13800138000", email="zhang@example.org")
    by_email = factories.user("王五", email="wang@example.org")
    db.session.commit()

    report = run_import(roster_csv(*ROWS))

    assert owners_of(unit("0101", "2栋")) == ["张老三"]  # the account keeps its own name
    assert registered.id in db.session.scalars(
        select(Ownership.owner_id).where(Ownership.unit_id == unit("0101").id)).all()
    assert owners_of(unit("0102")) == ["王五"]
    assert (report.owners_created, report.owners_linked) == (1, 2)  # only 李四 is new
    assert db.session.get(User, registered.id).can_log_in
    assert count(User) == 3
    assert by_email.id in db.session.scalars(select(Ownership.owner_id)).all()


def test_phone_and_email_of_two_accounts_is_refused(app):
    factories.user("甲", phone="13800138000")
    factories.user("乙", email="zhang@example.org")
    db.session.commit()
    before = table_counts()
    roster = parse_roster(roster_csv(
        ("1网格", "1栋", "0101", "88", "张三", "13800138000", "zhang@example.org")))

    with pytest.raises(RosterError) as caught:
        import_roster("幸福社区", roster)
    db.session.rollback()

    [error] = caught.value.errors
    assert (error.line, error.column) == (2, "owner_email")
    assert "张三" in str(error.message)
    assert "甲" not in str(error.message) and "乙" not in str(error.message)  # not disclosed
    assert table_counts() == before


def test_owner_given_by_phone_and_by_email_is_one_account(app):
    account = factories.user("张三", phone="13800138000", email="zhang@example.org")
    db.session.commit()
    report = run_import(roster_csv(
        ("1网格", "1栋", "0101", "88", "张三", "13800138000", ""),
        ("1网格", "1栋", "0102", "88", "张三", "", "zhang@example.org")))
    assert (report.owners_created, report.owners_linked) == (0, 1)
    assert set(db.session.scalars(select(Ownership.owner_id))) == {account.id}


def test_two_owners_on_one_account_is_refused(app):
    factories.user("张三", phone="13800138000", email="zhang@example.org")
    db.session.commit()
    before = table_counts()
    roster = parse_roster(roster_csv(
        ("1网格", "1栋", "0101", "88", "张三", "13800138000", ""),
        ("1网格", "1栋", "0102", "88", "李四", "", "zhang@example.org")))
    with pytest.raises(RosterError) as caught:
        import_roster("幸福社区", roster)
    db.session.rollback()
    [error] = caught.value.errors
    assert (error.line, error.column) == (3, "owner_name")
    assert "line 2" in str(error.message)
    assert table_counts() == before


def test_a_failed_parse_writes_nothing(app):
    run_import(roster_csv(*ROWS))
    before = table_counts()
    broken = list(ROWS) + [("1网格", "1栋", "0103", "12.345", "", "", "")]
    with pytest.raises(RosterError):
        run_import(roster_csv(*broken))
    db.session.rollback()
    assert table_counts() == before
    assert unit("0101").area_m2 == Decimal("88.50")


def test_an_actor_is_recorded(app):
    admin = factories.user("管理员", platform_admin=True)
    db.session.commit()
    run_import(roster_csv(*ROWS), actor=admin)
    assert db.session.scalars(select(AuditEntry.actor_id)).one() == admin.id


def test_progress_reports_rows_written(app, monkeypatch):
    from consult.roster import importer

    monkeypatch.setattr(importer, "WRITE_BATCH", 3)
    seen = []
    run_import(roster_csv(*ROWS, ("2网格", "5栋", "0302", "60", "", "", "")),
               progress=seen.append)
    assert seen == [3, 5]


def test_twenty_thousand_rows(app):
    rows = factories.big_roster_rows(20_000)
    data = roster_csv(*rows)

    report = run_import(data, "大社区")

    assert report.units_created == count(Unit) == 20_000
    assert report.buildings_created == 200 and report.grids_created == 10
    owned = [r for r in rows if r[4]]
    co_owned = [r for r in owned if ";" in r[4]]
    assert report.ownerships_added == count(Ownership) == len(owned) + len(co_owned)
    distinct_people = {p for r in owned for p in r[5].split(";") if p} | {
        e for r in co_owned for e in r[6].split(";") if e}
    assert report.owners_created == count(User) == len(distinct_people)
    # Spot checks: a co-owned unit, an owner of two units, an unsold unit.
    assert owners_of(unit("0204", "1栋")) == ["业主7", "共有人7"]
    assert owners_of(unit("1304", "1栋")) == owners_of(unit("1402", "1栋")) == ["业主51"]
    assert owners_of(unit("0101", "1栋")) == []
    assert unit("0101", "1栋").area_m2 == Decimal("60.00")
    assert unit("2504", "200栋", "10网格").area_m2 == Decimal("79.99")

    # And a second pass finds nothing to do.
    again = run_import(data, "大社区")
    assert not again.changed and again.units_unchanged == 20_000


# --- the command line -------------------------------------------------------------------------

def test_cli_imports_and_creates_the_community(app, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(*ROWS, bom=True))

    result = app.test_cli_runner().invoke(
        args=["roster", "import", str(path), "--community", "新社区"])

    assert result.exit_code == 0, result.output
    assert "Imported into 新社区 (new community)" in result.output
    assert "units created: 4" in result.output
    db.session.remove()
    assert db.session.scalars(select(Community.name)).all() == ["新社区"]
    assert count(Unit) == 4


def test_cli_says_when_nothing_changed(app, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(*ROWS))
    runner = app.test_cli_runner()
    runner.invoke(args=["roster", "import", str(path), "--community", "新社区"])
    result = runner.invoke(args=["roster", "import", str(path), "--community", "新社区"])
    assert result.exit_code == 0, result.output
    assert "Nothing changed." in result.output
    assert "units unchanged: 4" in result.output


def test_cli_lists_errors_and_writes_nothing(app, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(*ROWS, ("1网格", "1栋", "0102", "abc", "", "", "")))

    result = app.test_cli_runner().invoke(
        args=["roster", "import", str(path), "--community", "新社区"])

    assert result.exit_code == 1
    assert "line 6, column unit: " in result.output
    assert "line 6, column area_m2: " in result.output
    assert "Nothing was imported: 2 problem(s)" in result.output
    db.session.remove()
    assert count(Community) == 0 and count(User) == 0


def test_cli_needs_a_community_name(app, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(*ROWS))
    result = app.test_cli_runner().invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 2
    assert "--community" in result.output
