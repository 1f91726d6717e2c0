"""The tally (计票): one pure function from a frozen electorate and the counted ballots to a result.

No database, no floats: headcounts are integers, areas :class:`~decimal.Decimal` with two places
summed exactly, ratios :class:`~fractions.Fraction`. The site, ``flask vote verify`` and the
auditor's offline ``flask vote tally`` all call :func:`tally`.

The rules (``../shared/DESIGN.md``, Civil Code art. 278 and its judicial interpretation):

* ``simple_majority``: passes when agree > oppose among the ballots cast.
* ``two_thirds``: passes when agree ≥ 2/3 of the ballots cast.
  Both may require a participation quorum (a percentage of the electorate's headcount).
* ``civil_code_ordinary``: valid only when the participating owners hold ≥ 2/3 of the total
  exclusive area AND are ≥ 2/3 of the owner headcount; passes when the agreeing owners hold
  > 1/2 of the participating area AND are > 1/2 of the participating headcount.
* ``civil_code_major``: the same participation test; passes when the agreeing owners hold
  ≥ 3/4 of the participating area AND are ≥ 3/4 of the participating headcount.

"以上" (≥) includes the boundary, "过半数" (> 1/2) does not. Abstentions count as participation
and never as agreement. A choice vote (more than agree / oppose / abstain) is won by the option
with the most ballots; equal leaders are reported as a tie.
"""
from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from flask_babel import lazy_gettext as _l

AGREE, OPPOSE, ABSTAIN = "agree", "oppose", "abstain"
YES_NO_OPTIONS = (AGREE, OPPOSE, ABSTAIN)


class Rule(str, enum.Enum):
    SIMPLE_MAJORITY = "simple_majority"
    TWO_THIRDS = "two_thirds"
    CIVIL_CODE_ORDINARY = "civil_code_ordinary"  # 一般事项
    CIVIL_CODE_MAJOR = "civil_code_major"  # 重大事项: 维修资金、改建重建、改变共有部分用途


CIVIL_CODE_RULES = frozenset({Rule.CIVIL_CODE_ORDINARY, Rule.CIVIL_CODE_MAJOR})
TWO_THIRDS = Fraction(2, 3)
HALF = Fraction(1, 2)
THREE_QUARTERS = Fraction(3, 4)


@dataclass(frozen=True)
class Elector:
    """One ballot's worth of the frozen electorate: a resident, a household, or an owner
    (all the units one owner or one set of co-owners hold; the developer for unsold units)."""

    key: int | str
    headcount: int = 1
    area: Decimal = Decimal("0")


@dataclass
class Result:
    rule: Rule
    options: tuple[str, ...]
    headcount_total: int
    headcount_participating: int
    area_total: Decimal
    area_participating: Decimal
    votes: dict[str, int]  # option -> headcount of ballots
    areas: dict[str, Decimal]  # option -> area of ballots
    valid: bool
    passed: bool | None  # None for a choice vote
    winners: list[str] = field(default_factory=list)  # choice vote: one, or several on a tie
    sentences: list[str] = field(default_factory=list)

    @property
    def headcount_agree(self) -> int:
        return self.votes.get(AGREE, 0)

    @property
    def area_agree(self) -> Decimal:
        return self.areas.get(AGREE, Decimal("0"))

    @property
    def is_choice(self) -> bool:
        return tuple(self.options) != YES_NO_OPTIONS

    @property
    def tie(self) -> bool:
        return len(self.winners) > 1

    def as_dict(self) -> dict:
        """The published form (and the offline tool's --json), areas as decimal strings."""
        return {
            "rule": self.rule.value, "valid": self.valid, "passed": self.passed,
            "headcount_total": self.headcount_total,
            "headcount_participating": self.headcount_participating,
            "headcount_agree": self.headcount_agree,
            "area_total": str(self.area_total),
            "area_participating": str(self.area_participating),
            "area_agree": str(self.area_agree),
            "votes": dict(self.votes), "areas": {k: str(v) for k, v in self.areas.items()},
            "winners": list(self.winners), "sentences": [str(s) for s in self.sentences],
        }


def ratio(part, whole) -> Fraction:
    """``part / whole`` exactly; an empty whole gives 0 (nothing can be met)."""
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def percent(value: Fraction) -> str:
    """``Fraction(7012, 10000)`` → ``"70.12%"``, rounded half up for display only."""
    shown = (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{shown}%"


_BOUND_LABELS = {TWO_THIRDS: "2/3", HALF: "1/2", THREE_QUARTERS: "3/4"}


def _bound(op: str, threshold: Fraction) -> str:
    return f"{op} {_BOUND_LABELS.get(threshold, percent(threshold))}"


def tally(rule: Rule | str, electorate: Iterable[Elector], ballots: Mapping[object, str], *,
          options: Iterable[str] = YES_NO_OPTIONS, quorum_percent: int | None = None) -> Result:
    """Compute the result. ``ballots`` maps an elector key to the option of its counted
    ballot (the last one cast); a key outside the electorate is an error, never ignored."""
    rule = Rule(rule)
    options = tuple(options)
    electors = {e.key: e for e in electorate}
    head_total = sum(e.headcount for e in electors.values())
    area_total = sum((e.area for e in electors.values()), Decimal("0"))
    votes: Counter[str] = Counter()
    areas: dict[str, Decimal] = {o: Decimal("0") for o in options}
    for key, option in ballots.items():
        if key not in electors:
            raise ValueError(f"ballot from {key!r}, who is not in the electorate")
        if option not in options:
            raise ValueError(f"ballot for unknown option {option!r}")
        votes[option] += electors[key].headcount
        areas[option] += electors[key].area
    head_part = sum(votes.values())
    area_part = sum(areas.values(), Decimal("0"))
    result = Result(rule, options, head_total, head_part, area_total, area_part,
                    {o: votes.get(o, 0) for o in options}, areas, valid=True, passed=None)

    if rule in CIVIL_CODE_RULES:
        _civil_code(result)
    else:
        _headcount_rule(result, quorum_percent)
    return result


def _civil_code(r: Result) -> None:
    area_share = ratio(r.area_participating, r.area_total)
    head_share = ratio(r.headcount_participating, r.headcount_total)
    r.valid = area_share >= TWO_THIRDS and head_share >= TWO_THIRDS
    r.sentences.append(_l(
        "Participating owners hold %(area)s of the exclusive area (%(area_bound)s) and are "
        "%(head)s of the owners (%(head_bound)s): %(verdict)s",
        area=percent(area_share), area_bound=_bound("≥", TWO_THIRDS),
        head=percent(head_share), head_bound=_bound("≥", TWO_THIRDS),
        verdict=_l("the vote is valid") if r.valid else _l("the vote is not valid")))
    if not r.valid:
        r.passed = False
        return
    agree_area = ratio(r.area_agree, r.area_participating)
    agree_head = ratio(r.headcount_agree, r.headcount_participating)
    if r.rule is Rule.CIVIL_CODE_ORDINARY:
        r.passed = agree_area > HALF and agree_head > HALF
        area_bound = head_bound = _bound(">", HALF)
    else:
        r.passed = agree_area >= THREE_QUARTERS and agree_head >= THREE_QUARTERS
        area_bound = head_bound = _bound("≥", THREE_QUARTERS)
    r.sentences.append(_l(
        "Agreeing owners hold %(area)s of the participating area (%(area_bound)s) and are "
        "%(head)s of the participating owners (%(head_bound)s): %(verdict)s",
        area=percent(agree_area), area_bound=area_bound, head=percent(agree_head),
        head_bound=head_bound,
        verdict=_l("the proposal passes") if r.passed else _l("the proposal does not pass")))


def _headcount_rule(r: Result, quorum_percent: int | None) -> None:
    turnout = ratio(r.headcount_participating, r.headcount_total)
    if quorum_percent:
        needed = Fraction(quorum_percent, 100)
        r.valid = turnout >= needed
        r.sentences.append(_l(
            "%(cast)d of %(total)d voted, a turnout of %(turnout)s (quorum ≥ %(quorum)d%%): "
            "%(verdict)s", cast=r.headcount_participating, total=r.headcount_total,
            turnout=percent(turnout), quorum=quorum_percent,
            verdict=_l("the vote is valid") if r.valid else _l("the vote is not valid")))
    else:
        r.sentences.append(_l("%(cast)d of %(total)d voted, a turnout of %(turnout)s.",
                              cast=r.headcount_participating, total=r.headcount_total,
                              turnout=percent(turnout)))
    if r.is_choice:
        _plurality(r)
        return
    if not r.valid:
        r.passed = False
        return
    agree, oppose = r.votes[AGREE], r.votes[OPPOSE]
    if r.rule is Rule.SIMPLE_MAJORITY:
        r.passed = agree > oppose
        r.sentences.append(_l(
            "%(agree)d agree and %(oppose)d oppose (%(abstain)d abstain); agree must outnumber "
            "oppose: %(verdict)s", agree=agree, oppose=oppose, abstain=r.votes[ABSTAIN],
            verdict=_l("the proposal passes") if r.passed else _l("the proposal does not pass")))
    else:
        share = ratio(agree, r.headcount_participating)
        r.passed = r.headcount_participating > 0 and share >= TWO_THIRDS
        r.sentences.append(_l(
            "%(agree)d of %(cast)d ballots agree, %(share)s (%(bound)s): %(verdict)s",
            agree=agree, cast=r.headcount_participating, share=percent(share),
            bound=_bound("≥", TWO_THIRDS),
            verdict=_l("the proposal passes") if r.passed else _l("the proposal does not pass")))


def _plurality(r: Result) -> None:
    if not r.valid or r.headcount_participating == 0:
        r.winners = []
        r.sentences.append(_l("No option wins."))
        return
    top = max(r.votes.values())
    r.winners = [o for o in r.options if r.votes[o] == top]
    if len(r.winners) > 1:
        r.sentences.append(_l("Tie: %(options)s have %(n)d ballots each.",
                              options=" / ".join(r.winners), n=top))
    else:
        r.sentences.append(_l("“%(option)s” has the most ballots: %(n)d.",
                              option=r.winners[0], n=top))
