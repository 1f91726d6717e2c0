"""The auditor's offline tally: a roster file and a ballots file in, the result out, with no
database. The owner electorate and the tally are the site's own functions."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from consult.roster.parsing import parse_roster
from consult.votes import tally as tallying
from consult.votes.electorate import UnitRecord, owner_electors

BALLOT_COLUMNS = ("grid", "building", "unit", "option")


class OfflineError(ValueError):
    """A problem with the input files; the message names the file line."""


@dataclass
class OfflineTally:
    result: tallying.Result
    ballots: int


def tally_files(rule: str, roster_bytes: bytes, ballots_bytes: bytes) -> OfflineTally:
    roster = parse_roster(roster_bytes)
    records = [UnitRecord((r.grid, r.building, r.unit), r.area_m2,
                          tuple(id(o) for o in r.owners)) for r in roster.rows]
    electors = owner_electors(records)
    elector_of_unit = {u: e.key for e in electors for u in e.unit_ids}
    ballots: dict[str, str] = {}
    line_of: dict[str, int] = {}
    text = ballots_bytes.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in BALLOT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise OfflineError(f"ballots line 1: missing column(s) {', '.join(missing)}")
    for row in reader:
        line = reader.line_num
        place = (row["grid"].strip(), row["building"].strip(), row["unit"].strip())
        option = row["option"].strip()
        if place not in elector_of_unit:
            raise OfflineError(f"ballots line {line}: unit {' '.join(place)} is not in the roster")
        if option not in tallying.YES_NO_OPTIONS:
            raise OfflineError(f"ballots line {line}: option must be agree, oppose or abstain, "
                               f"not {option!r}")
        key = elector_of_unit[place]
        if key == "developer":
            raise OfflineError(f"ballots line {line}: unit {' '.join(place)} is unsold; the "
                               f"developer does not vote here")
        if key in ballots:
            raise OfflineError(f"ballots lines {line_of[key]} and {line}: two ballots of the same "
                               f"owner")
        ballots[key] = option
        line_of[key] = line
    electorate = [tallying.Elector(e.key, e.headcount, e.area) for e in electors]
    return OfflineTally(tallying.tally(rule, electorate, ballots), len(ballots))
