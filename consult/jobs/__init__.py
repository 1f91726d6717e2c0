"""Background jobs: slow work (sending messages, digests, reminders, freezing a large electorate)
runs outside the request that asked for it.

With ``REDIS_URL`` set, jobs go to an RQ queue on Redis and a worker (``flask jobs worker``)
runs them; ``flask jobs cron`` runs the scheduled ones. Without Redis they run in the same
process right after the response is sent, so the demo stays one command.

    from consult.jobs import job, enqueue

    @job("votes.freeze")
    def freeze(vote_id: int) -> None: ...

    enqueue("votes.freeze", vote_id=vote.id)   # runs once the current unit of work commits
"""
from consult.jobs.service import checkpoint, enqueue, job, run_now

__all__ = ["checkpoint", "enqueue", "job", "run_now"]
