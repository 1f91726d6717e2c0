"""Paper ballots in the API: a grid worker or a secretary enters a returned paper (serial and
what it says), or confirms one another person entered, through the same service as the paper
ballot desk (:func:`consult.votes.paper.enter`). Not allowed to enter papers: 403; a serial
that is not one of the vote's papers: 404; a paper already counted, waiting for a resolution,
or entered by oneself, an option that is not the vote's, the vote not open: 409; a bad photo
does not arise (photos are sent on the web page)."""
from __future__ import annotations

from consult.api import schemas as s
from consult.api.core import answer, bp, refused_as, require_user, write
from consult.api.schemas import PaperBallotBody, VotePath
from consult.ratelimits import ballot_limit

_STATUS = {"first": "entered", "agree": "confirmed", "disagree": "disputed"}


@bp.post("/votes/<int:vote_id>/paper-ballots", **write(
    s.PaperEntryResult, "Votes", "Enter a returned paper ballot, or confirm another person's "
    "entry of it (双人核对)", description=s.PaperEntryResult.__doc__))
@ballot_limit
@refused_as(serial="not_found", option="conflict")
def paper_ballot(path: VotePath, body: PaperBallotBody):
    from consult.api.reads import vote_or_404
    from consult.votes import paper

    user = require_user()
    done = paper.enter(user, vote_or_404(path.vote_id), body.serial, body.option,
                       spoilt=body.spoilt)
    return answer(s.PaperEntryResult(vote_id=path.vote_id, serial=done.paper.serial,
                                     status=_STATUS[done.step]), 201)
