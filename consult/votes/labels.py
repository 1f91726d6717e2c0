"""The words shown for a vote's electorates, rules and options: pure data, for the forms, the
pages, the CSV downloads and the outcome's draft decision alike."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.votes.models import Channel, Electorate
from consult.votes.paper_models import PaperStatus
from consult.votes.tally import Rule

ELECTORATE_LABELS = {
    Electorate.OWNERS.value: _l("Owners (业主): one ballot per owner, weighted by floor area"),
    Electorate.HOUSEHOLDS.value: _l("Households: one ballot per home"),
    Electorate.RESIDENTS.value: _l("Residents: one ballot per verified resident"),
}
RULE_LABELS = {
    Rule.CIVIL_CODE_ORDINARY.value: _l(
        "Civil Code, ordinary matters: 2/3 of area and owners take part; more than half of "
        "both agree"),
    Rule.CIVIL_CODE_MAJOR.value: _l(
        "Civil Code, major matters (repair fund, rebuilding, use of common parts): 2/3 take "
        "part; 3/4 of both agree"),
    Rule.SIMPLE_MAJORITY.value: _l("Simple majority: more agree than oppose"),
    Rule.TWO_THIRDS.value: _l("Two thirds: at least 2/3 of the ballots agree"),
}
CHANNEL_LABELS = {
    Channel.ONLINE.value: _l("online"),
    Channel.PAPER.value: _l("paper (书面表决票)"),
    Channel.PROXY.value: _l("proxy (委托)"),
}
# VoteProxy.channel: online, or a signed paper form recorded by a secretary
PROXY_CHANNEL_LABELS = {
    Channel.ONLINE.value: _l("Online, by the owner"),
    Channel.PAPER.value: _l("On a signed paper form"),
}

PAPER_STATUS_LABELS = {
    PaperStatus.PRINTED.value: _l("Printed"),
    PaperStatus.ENTERED.value: _l("Entered"),
    PaperStatus.DISPUTED.value: _l("Entries that differ"),
    PaperStatus.COUNTED.value: _l("Counted"),
    PaperStatus.SPOILT.value: _l("Spoilt"),
}
OPTION_LABELS = {"agree": _l("Agree"), "oppose": _l("Oppose"), "abstain": _l("Abstain")}


def option_label(option: str) -> str:
    """The reader's word for a yes/no option; a choice's own text stays as it is."""
    return str(OPTION_LABELS.get(option, option))
