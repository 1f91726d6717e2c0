"""The rules of a roster file (花名册), checked without a database."""
from __future__ import annotations

from decimal import Decimal

import pytest

from consult.accounts.models import User
from consult.community.models import Building, Grid, Unit
from consult.roster import parsing
from consult.roster.parsing import MAX_ERRORS, RosterError, parse_roster
from tests.factories import ROSTER_HEADER, roster_csv

HEADER = ",".join(ROSTER_HEADER)


def errors_of(data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(RosterError) as caught:
        parse_roster(data)
    return [(e.line, e.column, str(e.message)) for e in caught.value.errors]


def single_error(data: bytes) -> tuple[int, str, str]:
    errors = errors_of(data)
    assert len(errors) == 1, errors
    return errors[0]


def row(unit="0101", area="88.50", name="张三", phone="13800138000", email="",
        grid="1网格", building="1栋"):
    return (grid, building, unit, area, name, phone, email)


# --- the file as a whole ---------------------------------------------------------------------

@pytest.mark.parametrize("bom", [False, True])
def test_reads_a_file_with_or_without_bom(bom):
    roster = parse_roster(roster_csv(row(), bom=bom))
    [unit] = roster.rows
    assert (unit.line, unit.grid, unit.building, unit.unit) == (2, "1网格", "1栋", "0101")
    assert unit.area_m2 == Decimal("88.50")
    assert [(o.name, o.phone, o.email) for o in unit.owners] == [("张三", "13800138000", None)]


def test_columns_may_come_in_any_order_and_cells_are_trimmed():
    header = ("owner_email", "unit", "area_m2", "owner_name", "grid", "owner_phone", "building")
    data = roster_csv((" Zhang@Example.ORG ", " 0101 ", " 90 ", " 张三 ", " 1网格 ", "", " 2栋 "),
                      header=header)
    [unit] = parse_roster(data).rows
    assert (unit.grid, unit.building, unit.unit, unit.area_m2) == ("1网格", "2栋", "0101",
                                                                  Decimal("90.00"))
    assert unit.owners[0].email == "zhang@example.org"


def test_windows_line_endings_and_blank_lines_are_fine():
    data = (HEADER + "\r\n" + ",".join(row("0101")) + "\r\n\r\n,,,,,,\r\n"
            + ",".join(row("0102", phone="13900139000", name="李四")) + "\r\n").encode()
    assert [(r.line, r.unit) for r in parse_roster(data).rows] == [(2, "0101"), (5, "0102")]


def test_empty_file():
    assert single_error(b"") == (1, "", "The file is empty.")
    assert single_error(b"\xef\xbb\xbf  \n") == (1, "", "The file is empty.")


def test_header_only():
    line, column, message = single_error((HEADER + "\n").encode())
    assert (line, column) == (1, "")
    assert "no units" in message


def test_not_utf8_names_the_line():
    data = (HEADER + "\n").encode() + ",".join(row()).encode("gbk") + b"\n"
    line, column, message = single_error(data)
    assert (line, column) == (2, "")
    assert "UTF-8" in message


def test_a_nul_character_names_its_line_instead_of_failing_in_the_database():
    data = roster_csv(row(), row(unit="0102", name="李\x00四"))
    line, _column, message = single_error(data)
    assert line == 3 and "NUL" in message and "CSV UTF-8" in message
    # UTF-16 saved by mistake is full of NULs: the same clear answer from the first line.
    line, _column, message = single_error(HEADER.encode("utf-16-le"))
    assert line == 1 and "NUL" in message


def test_missing_columns_are_named():
    header = ("grid", "building", "unit", "area_m2", "owner_name")
    errors = errors_of(roster_csv(("1网格", "1栋", "0101", "90", ""), header=header))
    assert [(line, column) for line, column, _ in errors] == [(1, "owner_phone"),
                                                            (1, "owner_email")]
    assert all("missing" in message for _, _, message in errors)


def test_unknown_columns_are_named():
    header = (*ROSTER_HEADER, "remarks", "id_card")
    errors = errors_of(roster_csv((*row(), "", ""), header=header))
    assert [(line, column) for line, column, _ in errors] == [(1, "remarks"), (1, "id_card")]
    assert "Unknown column “remarks”" in errors[0][2]


def test_a_column_twice_is_an_error():
    header = (*ROSTER_HEADER, "unit")
    assert single_error(roster_csv((*row(), "0102"), header=header))[:2] == (1, "unit")


def test_a_line_with_too_many_cells():
    data = roster_csv((*row(), "extra"))
    line, column, message = single_error(data)
    assert (line, column) == (2, "")
    assert "8 cells" in message


# --- grid, building, unit ---------------------------------------------------------------------

@pytest.mark.parametrize("column", ["grid", "building", "unit"])
def test_names_are_required(column):
    values = dict(zip(ROSTER_HEADER, row()))
    values[column] = "  "
    assert single_error(roster_csv(tuple(values.values())))[:2] == (2, column)


@pytest.mark.parametrize("column, limit", [("grid", 80), ("building", 80), ("unit", 40)])
def test_names_fit_their_columns(column, limit):
    values = dict(zip(ROSTER_HEADER, row()))
    values[column] = "x" * limit
    parse_roster(roster_csv(tuple(values.values())))
    values[column] = "x" * (limit + 1)
    assert single_error(roster_csv(tuple(values.values())))[:2] == (2, column)


def test_length_limits_match_the_model_columns():
    assert parsing.MAX_LENGTH == {
        "grid": Grid.__table__.c.name.type.length,
        "building": Building.__table__.c.name.type.length,
        "unit": Unit.__table__.c.number.type.length,
        "owner_name": User.__table__.c.name.type.length,
        "owner_email": User.__table__.c.email.type.length,
    }


def test_the_same_unit_twice_names_both_lines():
    data = roster_csv(row("0101"), row("0102"), row("0101", name="李四", phone="13900139000"))
    line, column, message = single_error(data)
    assert (line, column) == (4, "unit")
    assert "line 2" in message


def test_the_same_unit_number_in_another_building_is_another_unit():
    roster = parse_roster(roster_csv(row("0101"), row("0101", building="2栋")))
    assert len(roster.rows) == 2


# --- area -------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [("88.5", "88.50"), ("120", "120.00"),
                                           ("0.01", "0.01"), ("99999.99", "99999.99"),
                                           ("12.340", "12.34")])
def test_area_accepted(raw, expected):
    [unit] = parse_roster(roster_csv(row(area=raw))).rows
    assert unit.area_m2 == Decimal(expected)
    assert str(unit.area_m2) == expected  # two places, as the Numeric(10, 2) column stores


@pytest.mark.parametrize("raw, words", [
    ("12.345", "two decimal places"),
    ("0", "more than 0"),
    ("0.00", "more than 0"),
    ("-3", "more than 0"),
    ("100000", "less than 100000"),
    ("abc", "not a number"),
    ("1e3", "not a number"),
    ("1,200", "not a number"),
    ("NaN", "not a number"),
    ("", "missing"),
])
def test_area_refused(raw, words):
    line, column, message = single_error(roster_csv(row(area=raw)))
    assert (line, column) == (2, "area_m2")
    assert words in message


# --- owners -----------------------------------------------------------------------------------

def test_a_unit_without_owner_is_unsold():
    [unit] = parse_roster(roster_csv(row(name="", phone="", email=""))).rows
    assert unit.owners == ()


def test_an_owner_needs_a_name():
    assert single_error(roster_csv(row(name="")))[:2] == (2, "owner_name")


def test_an_owner_needs_a_phone_or_an_email():
    line, column, message = single_error(roster_csv(row(phone="", email="")))
    assert (line, column) == (2, "owner_phone")
    assert "张三" in message


def test_phone_and_email_are_normalised():
    [unit] = parse_roster(roster_csv(row(phone="+86 138-0013-8000",
                                         email="Zhang.San@Example.ORG"))).rows
    assert (unit.owners[0].phone, unit.owners[0].email) == ("13800138000",
                                                            "zhang.san@example.org")


def test_invalid_phone_and_email_are_errors():
    errors = errors_of(roster_csv(row(phone="12345", email="not-an-address")))
    assert [(line, column) for line, column, _ in errors] == [(2, "owner_phone"),
                                                            (2, "owner_email")]
    assert "12345" in errors[0][2] and "not-an-address" in errors[1][2]


def test_co_owners_share_a_row():
    data = roster_csv(row(name="张三;李四", phone="13800138000;13900139000"),
                      row("0102", name="王五；赵六", phone="13700137000；",
                          email="；zhao@example.org"))
    first, second = parse_roster(data).rows
    assert [(o.name, o.phone) for o in first.owners] == [("张三", "13800138000"),
                                                         ("李四", "13900139000")]
    assert [(o.name, o.phone, o.email) for o in second.owners] == [
        ("王五", "13700137000", None), ("赵六", None, "zhao@example.org")]


def test_co_owner_cells_must_line_up():
    line, column, message = single_error(
        roster_csv(row(name="张三;李四", phone="13800138000")))
    assert (line, column) == (2, "owner_phone")
    assert "1 entries for 2 owners" in message


def test_a_co_owner_listed_twice_is_an_error():
    data = roster_csv(row(name="张三;张三", phone="13800138000;138 0013 8000"))
    assert single_error(data)[:2] == (2, "owner_name")


def test_one_owner_may_own_several_units():
    data = roster_csv(row("0101"), row("0102", phone="13800138000", email="z@example.org"),
                      row("0103", phone="", email="Z@example.org"))
    roster = parse_roster(data)
    assert len(roster.owners) == 1
    [owner] = roster.owners
    assert all(r.owners == (owner,) for r in roster.rows)
    # A later line completed the e-mail the first one left out.
    assert (owner.phone, owner.email, owner.line) == ("13800138000", "z@example.org", 2)


def test_same_phone_with_another_name_names_the_lines():
    data = roster_csv(row("0101"), row("0102", name="李四"))
    line, column, message = single_error(data)
    assert (line, column) == (3, "owner_phone")
    assert "张三 on line 2" in message and "李四" in message


def test_phone_and_email_of_two_different_people_names_the_lines():
    data = roster_csv(row("0101", phone="13800138000"),
                      row("0102", name="李四", phone="13900139000", email="li@example.org"),
                      row("0103", name="张三", phone="13800138000", email="li@example.org"))
    line, column, message = single_error(data)
    assert (line, column) == (4, "owner_email")
    assert "张三 (line 2)" in message and "李四 (line 3)" in message


def test_one_person_has_one_phone():
    data = roster_csv(row("0101", phone="13800138000", email="z@example.org"),
                      row("0102", phone="13900139000", email="z@example.org"))
    line, column, message = single_error(data)
    assert (line, column) == (3, "owner_phone")
    assert "13800138000 on line 2" in message


# --- reporting --------------------------------------------------------------------------------

def test_all_errors_are_collected_in_line_order():
    data = roster_csv(row("0101", area="abc"), row("0102", phone="1"), row("", area="0"),
                      row("0104"))
    errors = errors_of(data)
    assert [(line, column) for line, column, _ in errors] == [
        (2, "area_m2"), (3, "owner_phone"), (4, "unit"), (4, "area_m2")]


def test_line_numbers_count_lines_inside_quoted_cells():
    data = (HEADER + '\n1网格,1栋,0101,88,"张三\n(业主)",13800138000,\n'
            + '1网格,"1\n栋",0102,abc,,,\n'
            + "1网格,1栋,0103,-1,,,\n").encode()
    errors = errors_of(data)
    assert [(line, column) for line, column, _ in errors] == [(4, "area_m2"), (6, "area_m2")]


def test_a_broken_quote_is_reported_at_its_line():
    data = (HEADER + "\n" + ",".join(row()) + '\n1网格,1栋,"0102,88,,,\n').encode()
    assert single_error(data)[:2] == (3, "")


def test_errors_are_capped_but_counted():
    rows = [row(f"{i:04d}", area="x") for i in range(MAX_ERRORS + 50)]
    with pytest.raises(RosterError) as caught:
        parse_roster(roster_csv(*rows))
    assert len(caught.value.errors) == MAX_ERRORS
    assert caught.value.total == MAX_ERRORS + 50
    assert caught.value.truncated


def test_messages_are_translatable():
    with pytest.raises(RosterError) as caught:
        parse_roster(roster_csv(row(area="abc")))
    # Lazy strings: translated when shown, in the language of whoever reads them.
    assert type(caught.value.errors[0].message).__name__ == "LazyString"
