"""``flask --app consult vote ...``: close due votes, remind electors who have not voted,
verify a published result, and the auditor's offline tally."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click
from flask.cli import AppGroup

from consult import unit_of_work

vote_cli = AppGroup("vote", help="Votes: closing, verifying, offline tally.")


@vote_cli.command("close")
@unit_of_work.command
def close_command():
    """Tally and publish every vote whose closing time has passed (run from cron)."""
    from consult.votes.service import close_due_votes

    n = close_due_votes()
    click.echo(f"{n} votes tallied.")


@vote_cli.command("verify")
@click.argument("vote_id", type=int)
@click.option("--ballots", "ballots_file", type=click.Path(exists=True, dir_okay=False),
              help="The published ballot list (CSV: tracker,option,units) to recompute from.")
@unit_of_work.command
def verify_command(vote_id: int, ballots_file: str | None):
    """Recompute a closed vote's result from its ballot list and compare it with the
    published result."""
    from sqlalchemy import select

    from consult.extensions import db
    from consult.votes import tally as tallying
    from consult.votes.models import Ballot, Elector, Vote
    from consult.votes.service import close

    vote = db.session.get(Vote, vote_id)
    if vote is None:
        raise click.ClickException(f"there is no vote {vote_id}")
    # A vote past its closing time is closed here as `vote close` would close it, in a unit of
    # its own: the stored result stays even when the check below fails.
    published = unit_of_work.command(close)(vote)
    if published is None:
        raise click.ClickException("the vote is still open: there is no result to verify")
    electors = {key: tallying.Elector(key, h, a) for key, h, a in db.session.execute(
        select(Elector.id, Elector.headcount, Elector.area).where(Elector.vote_id == vote.id))}
    elector_of = dict(db.session.execute(select(Ballot.tracker, Ballot.elector_id)
                                         .where(Ballot.vote_id == vote.id)).all())
    if ballots_file:
        text = Path(ballots_file).read_text(encoding="utf-8-sig")
        rows = [(r["tracker"], r["option"]) for r in csv.DictReader(io.StringIO(text))]
    else:
        rows = db.session.execute(select(Ballot.tracker, Ballot.option).where(
            Ballot.vote_id == vote.id, Ballot.counted.is_(True))).all()
    ballots = {}
    for tracker, option in rows:
        if tracker not in elector_of:
            raise click.ClickException(f"receipt {tracker} is not a ballot of this vote")
        if elector_of[tracker] in ballots:
            raise click.ClickException(f"receipt {tracker}: a second ballot of the same voter")
        ballots[elector_of[tracker]] = option
    recomputed = tallying.tally(vote.rule, electors.values(), ballots, options=vote.options,
                                quorum_percent=vote.quorum_percent).as_dict()
    keys = ("valid", "passed", "votes", "areas", "headcount_total", "headcount_participating",
            "area_total", "area_participating", "winners")
    differ = [k for k in keys if recomputed[k] != published[k]]
    for sentence in recomputed["sentences"]:
        click.echo(sentence)
    if differ:
        click.echo(f"MISMATCH with the published result in: {', '.join(differ)}", err=True)
        raise SystemExit(1)
    click.echo(f"The published result of vote {vote.id} matches the {len(ballots)} ballots.")


@vote_cli.command("tally")
@click.option("--rule", required=True,
              type=click.Choice(["simple_majority", "two_thirds", "civil_code_ordinary",
                                 "civil_code_major"]))
@click.option("--roster", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Roster CSV: grid,building,unit,area_m2,owner_name,owner_phone,owner_email")
@click.option("--ballots", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Ballots CSV: grid,building,unit,option (agree, oppose or abstain)")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def tally_command(rule: str, roster: str, ballots: str, as_json: bool):
    """The auditor's offline tally of an owners' vote; needs no database."""
    from consult.roster.parsing import RosterError
    from consult.votes.offline import OfflineError, tally_files

    try:
        outcome = tally_files(rule, Path(roster).read_bytes(), Path(ballots).read_bytes())
    except RosterError as error:
        raise click.ClickException("roster: " + "; ".join(
            f"line {e.line} {e.column}: {e.message}" for e in error.errors)) from None
    except OfflineError as error:
        raise click.ClickException(str(error)) from None
    data = outcome.result.as_dict()
    if as_json:
        keys = ("valid", "passed", "headcount_total", "headcount_participating",
                "headcount_agree", "area_total", "area_participating", "area_agree",
                "sentences")
        click.echo(json.dumps({k: data[k] for k in keys}, ensure_ascii=False, indent=2))
    else:
        for sentence in data["sentences"]:
            click.echo(sentence)


@vote_cli.command("remind")
@unit_of_work.command
def remind_command():
    """Remind electors who have not voted that a vote closes within 24 h (run from cron;
    each elector is reminded once per vote)."""
    from consult.votes.service import remind_electors

    n = remind_electors()
    click.echo(f"{n} reminders sent.")


@vote_cli.command("notify")
@unit_of_work.command
def notify_command():
    """Tell the electors of every announced vote whose opening time has come that voting is
    open (run from cron, e.g. every 5 minutes; each elector is told once per vote)."""
    from consult.votes.service import notify_opened_votes

    n = notify_opened_votes()
    click.echo(f"{n} electors told that voting opened.")
