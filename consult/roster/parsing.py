"""Reading a roster (花名册) file: the units of a community and their owners of record (业主).

Pure Python, no database: every rule is checked here, before an import writes anything.
:func:`parse_roster` returns a :class:`ParsedRoster`, or raises :class:`RosterError` carrying
every problem found (up to :data:`MAX_ERRORS`), each tied to a line and a column of the file so
the office can fix its spreadsheet in one go.

The file is CSV in UTF-8 (a byte-order mark is allowed, Excel writes one), with this header in
any order::

    grid,building,unit,area_m2,owner_name,owner_phone,owner_email

A unit with all three owner cells empty is unsold (it belongs to the developer). Co-owners share
one row: each owner cell lists them separated by ``;``, in the same order in every cell.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from consult.accounts.identity import normalise_email, normalise_phone

COLUMNS = ("grid", "building", "unit", "area_m2", "owner_name", "owner_phone", "owner_email")
MAX_ERRORS = 200

# The sizes of the columns these values are written to (a test keeps them in step with the
# models; this module stays free of the database).
MAX_LENGTH = {"grid": 80, "building": 80, "unit": 40, "owner_name": 50, "owner_email": 254}
MAX_AREA = Decimal("100000")  # exclusive; Numeric(10, 2) holds more, no home is that large
_CENT = Decimal("0.01")
# Plain decimal notation only: Decimal() alone would also take "1e3", "1_000" and "NaN".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Co-owners are separated by ";", or the full-width "；" a Chinese keyboard types.
_CO_OWNER_SEPARATOR = re.compile(r"[;；]")


@dataclass(frozen=True)
class RowError:
    """One problem: the file's line (the header is line 1), the column (``""`` when it concerns
    the whole line or file) and a message, translated when it is shown."""

    line: int
    column: str
    message: str


class RosterError(Exception):
    """The file cannot be imported. ``errors`` holds the first :data:`MAX_ERRORS` problems in
    line order; ``total`` counts them all."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors
        self.total = max(total or 0, len(errors))
        super().__init__(f"{self.total} problem(s) in the roster")

    @property
    def truncated(self) -> bool:
        return self.total > len(self.errors)


@dataclass(eq=False)
class Owner:
    """One person on the roster, however many units they own. Identity is by normalised phone
    or e-mail; ``line`` is where they first appear."""

    name: str
    phone: str | None
    email: str | None
    line: int
    # Where the phone and the e-mail were first given, for messages about conflicts.
    phone_line: int | None = None
    email_line: int | None = None


@dataclass(frozen=True)
class RosterRow:
    """One unit (户) with its owners; no owners means unsold."""

    line: int
    grid: str
    building: str
    unit: str
    area_m2: Decimal
    owners: tuple[Owner, ...]


@dataclass
class ParsedRoster:
    rows: list[RosterRow]
    owners: list[Owner]  # each person once, in order of first appearance


def parse_roster(data: bytes) -> ParsedRoster:
    """Check a whole roster file; raise :class:`RosterError` listing every problem."""
    text = _decode(data)
    if not text.strip():
        raise RosterError([RowError(1, "", _l("The file is empty."))])
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    parser = _Parser()
    end_of_previous = 0  # the last line of the record read before
    try:
        columns = parser.read_header(next(reader))
        if columns is None:
            raise parser.error()
        end_of_previous = reader.line_num
        for cells in reader:
            # A record may span several lines (a quoted cell with a line break): it starts on
            # the line after the end of the one before.
            parser.read_row(end_of_previous + 1, columns, cells)
            end_of_previous = reader.line_num
    except csv.Error as exc:
        parser.add(end_of_previous + 1, "", _l(
            "From this line on the file is not valid CSV (check the quotation marks): "
            "%(detail)s", detail=str(exc)))
    if not parser.errors.total and not parser.rows:
        parser.add(1, "", _l("The file has a header but no units under it."))
    if parser.errors.total:
        raise parser.error()
    return ParsedRoster(rows=parser.rows, owners=parser.owners)


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RosterError([RowError(line, "", _l(
            "The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."))]) from None
    if (nul := text.find("\x00")) >= 0:  # a binary file, or UTF-16 saved by mistake
        raise RosterError([RowError(text.count("\n", 0, nul) + 1, "", _l(
            "The file holds a NUL character, so it is not a CSV text file. In your spreadsheet, "
            "save it as “CSV UTF-8”."))])
    return text


@dataclass
class _Errors:
    kept: list[RowError] = field(default_factory=list)
    total: int = 0


class _Parser:
    """The state of one pass over the file: rows so far, people by phone and e-mail."""

    def __init__(self):
        self.errors = _Errors()
        self.rows: list[RosterRow] = []
        self.owners: list[Owner] = []
        self.by_phone: dict[str, Owner] = {}
        self.by_email: dict[str, Owner] = {}
        self.unit_lines: dict[tuple[str, str, str], int] = {}

    def add(self, line: int, column: str, message) -> None:
        # Keep counting past the cap, so the page can say how many there are in all.
        self.errors.total += 1
        if len(self.errors.kept) < MAX_ERRORS:
            self.errors.kept.append(RowError(line, column, message))

    def error(self) -> RosterError:
        kept = sorted(self.errors.kept, key=lambda e: e.line)  # stable: same-line order kept
        return RosterError(kept, self.errors.total)

    # --- header ---------------------------------------------------------------------------

    def read_header(self, header: list[str]) -> list[str] | None:
        """The column names in file order, or ``None`` (with errors) when they are wrong."""
        names = [h.strip().lower() for h in header]
        expected = ", ".join(COLUMNS)
        for position, name in enumerate(names, start=1):
            if not name:
                self.add(1, "", _l("Column %(n)d has no name in the header. The columns are: "
                                   "%(expected)s.", n=position, expected=expected))
            elif name not in COLUMNS:
                self.add(1, name, _l("Unknown column “%(name)s”. The columns are: %(expected)s.",
                                     name=name, expected=expected))
            elif names.index(name) != position - 1:
                self.add(1, name, _l("The column “%(name)s” appears twice.", name=name))
        for name in COLUMNS:
            if name not in names:
                self.add(1, name, _l("The column “%(name)s” is missing.", name=name))
        return None if self.errors.total else names

    # --- rows -----------------------------------------------------------------------------

    def read_row(self, line: int, columns: list[str], cells: list[str]) -> None:
        if not any(c.strip() for c in cells):
            return  # blank lines, and the ",,,,,," rows spreadsheets leave at the end
        if len(cells) != len(columns):
            self.add(line, "", _l("This line has %(found)d cells; the header has %(expected)d.",
                                  found=len(cells), expected=len(columns)))
            return
        row = {name: cell.strip() for name, cell in zip(columns, cells)}
        grid = self._name(line, row, "grid")
        building = self._name(line, row, "building")
        unit = self._name(line, row, "unit")
        area = self._area(line, row["area_m2"])
        owners = self._owners(line, row)
        if grid is None or building is None or unit is None:
            return
        key = (grid, building, unit)
        if key in self.unit_lines:
            self.add(line, "unit", _l(
                "The unit %(grid)s / %(building)s / %(unit)s is already on line %(other)d.",
                grid=grid, building=building, unit=unit, other=self.unit_lines[key]))
            return
        self.unit_lines[key] = line
        if area is not None and owners is not None:
            self.rows.append(RosterRow(line, grid, building, unit, area, owners))

    def _name(self, line: int, row: dict[str, str], column: str) -> str | None:
        value = row[column]
        if not value:
            self.add(line, column, _l("This cell is empty."))
            return None
        if len(value) > MAX_LENGTH[column]:
            self.add(line, column, _l("At most %(n)d characters.", n=MAX_LENGTH[column]))
            return None
        return value

    def _area(self, line: int, raw: str) -> Decimal | None:
        if not raw:
            self.add(line, "area_m2", _l("The floor area is missing."))
            return None
        if not _NUMBER.fullmatch(raw):
            self.add(line, "area_m2", _l(
                "“%(value)s” is not a number. Write the floor area in square metres, like 88.5.",
                value=raw))
            return None
        area = Decimal(raw)
        if not 0 < area < MAX_AREA:
            self.add(line, "area_m2", _l(
                "The floor area must be more than 0 and less than %(max)s m².", max="100000"))
            return None
        if area != area.quantize(_CENT):
            self.add(line, "area_m2", _l("At most two decimal places: “%(value)s”.", value=raw))
            return None
        return area.quantize(_CENT)

    def _owners(self, line: int, row: dict[str, str]) -> tuple[Owner, ...] | None:
        """The owners of one unit; ``()`` when unsold, ``None`` after an error."""
        names, phones, emails = (_split(row[c]) for c in
                                 ("owner_name", "owner_phone", "owner_email"))
        if not (names or phones or emails):
            return ()
        ok = True
        if not names:
            self.add(line, "owner_name", _l(
                "The owner's name is missing. Leave all three owner cells empty for an unsold "
                "unit."))
            return None
        for column, values in (("owner_phone", phones), ("owner_email", emails)):
            if values and len(values) != len(names):
                self.add(line, column, _l(
                    "%(found)d entries for %(owners)d owners. Separate co-owners with “;” in the "
                    "same order in every owner cell.", found=len(values), owners=len(names)))
                ok = False
        if not ok:
            return None
        owners: list[Owner] = []
        for i, name in enumerate(names):
            owner = self._owner(line, name, phones[i] if phones else "",
                                emails[i] if emails else "")
            if owner is None:
                ok = False
            elif owner in owners:
                self.add(line, "owner_name", _l("%(name)s is listed twice for this unit.",
                                                name=name))
                ok = False
            else:
                owners.append(owner)
        return tuple(owners) if ok else None

    def _owner(self, line: int, name: str, raw_phone: str, raw_email: str) -> Owner | None:
        """The person these cells describe: one already met on an earlier line, or a new one."""
        ok = True
        if not name:
            self.add(line, "owner_name", _l("An owner's name is missing."))
            ok = False
        elif len(name) > MAX_LENGTH["owner_name"]:
            self.add(line, "owner_name", _l("At most %(n)d characters.",
                                            n=MAX_LENGTH["owner_name"]))
            ok = False
        phone = normalise_phone(raw_phone) if raw_phone else None
        if raw_phone and phone is None:
            self.add(line, "owner_phone", _l(
                "“%(value)s” is not a phone number: give an 11-digit mobile number or a "
                "landline with its area code.", value=raw_phone))
            ok = False
        email = normalise_email(raw_email) if raw_email else None
        if raw_email and (email is None or len(email) > MAX_LENGTH["owner_email"]):
            self.add(line, "owner_email", _l("“%(value)s” is not an e-mail address.",
                                             value=raw_email))
            ok = False
        if not ok:
            return None
        if not phone and not email:
            self.add(line, "owner_phone", _l(
                "%(name)s needs a phone number or an e-mail address (the account is found and "
                "activated with it).", name=name))
            return None
        return self._identify(line, name, phone, email)

    def _identify(self, line: int, name: str, phone: str | None,
                  email: str | None) -> Owner | None:
        known_by_phone = self.by_phone.get(phone) if phone else None
        known_by_email = self.by_email.get(email) if email else None
        if known_by_phone and known_by_email and known_by_phone is not known_by_email:
            self.add(line, "owner_email", _l(
                "The phone number belongs to %(a)s (line %(a_line)d) but the e-mail address to "
                "%(b)s (line %(b_line)d).", a=known_by_phone.name,
                a_line=known_by_phone.phone_line, b=known_by_email.name,
                b_line=known_by_email.email_line))
            return None
        known = known_by_phone or known_by_email
        if known is None:
            owner = Owner(name, phone, email, line, phone_line=line if phone else None,
                          email_line=line if email else None)
            self._remember(owner)
            self.owners.append(owner)
            return owner
        if known.name != name:
            column, other_line = (("owner_phone", known.phone_line) if known_by_phone
                                  else ("owner_email", known.email_line))
            self.add(line, column, _l(
                "This is given for %(other)s on line %(other_line)d, not for %(name)s.",
                other=known.name, other_line=other_line, name=name))
            return None
        # One person has one phone and one e-mail address (each logs in to one account).
        if phone and known.phone and phone != known.phone:
            self.add(line, "owner_phone", _l(
                "%(name)s has the phone number %(other)s on line %(other_line)d.",
                name=name, other=known.phone, other_line=known.phone_line))
            return None
        if email and known.email and email != known.email:
            self.add(line, "owner_email", _l(
                "%(name)s has the e-mail address %(other)s on line %(other_line)d.",
                name=name, other=known.email, other_line=known.email_line))
            return None
        # An earlier line may have left the phone or the e-mail out: this one completes it.
        if phone and not known.phone:
            known.phone, known.phone_line = phone, line
        if email and not known.email:
            known.email, known.email_line = email, line
        self._remember(known)
        return known

    def _remember(self, owner: Owner) -> None:
        if owner.phone:
            self.by_phone[owner.phone] = owner
        if owner.email:
            self.by_email[owner.email] = owner


def _split(cell: str) -> list[str]:
    """Co-owners of one cell; ``[]`` for an empty cell. Positions are kept: ``"a;"`` is two."""
    if not cell:
        return []
    return [part.strip() for part in _CO_OWNER_SEPARATOR.split(cell)]
