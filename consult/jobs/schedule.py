"""The scheduled jobs: what cron ran before the queue existed, now one list that both read.

With Redis, ``flask jobs cron`` enqueues each entry on its schedule (RQ's cron scheduler) and
the workers run it. Without Redis, the README's cron lines run the same work through the
commands named here. Every entry is safe to run twice: each reminder and message goes once.
Times are UTC (the digest at 11:30 UTC is 19:30 in Asia/Shanghai).
"""
from __future__ import annotations

from dataclasses import dataclass

from consult.jobs.service import job


@dataclass(frozen=True)
class Scheduled:
    name: str      # the job
    cron: str      # when, as a cron expression in UTC
    command: str   # the CLI command that does the same without a queue
    what: str      # for the README and ``flask jobs list``


SCHEDULE: tuple[Scheduled, ...] = (
    Scheduled("topics.remind", "0 * * * *", "topics remind",
              "comment period ends within 24 h: tell followers"),
    Scheduled("topics.settle", "*/5 * * * *", "topics settle",
              "agenda topics whose comment period ended: to deliberation"),
    Scheduled("votes.close", "*/5 * * * *", "vote close", "tally votes whose time is up"),
    Scheduled("votes.remind", "0 * * * *", "vote remind",
              "vote closes within 24 h: electors who have not voted"),
    Scheduled("votes.notify", "*/5 * * * *", "vote notify",
              "announced votes that opened: tell their electors"),
    Scheduled("studios.remind", "0 * * * *", "studios remind", "tomorrow's studio sessions"),
    Scheduled("outcomes.settle", "*/5 * * * *", "outcomes settle",
              "publicity windows and rating periods that ended"),
    Scheduled("messages.send_due", "* * * * *", "messages send",
              "SMS held for quiet hours, and retries after a provider error"),
    Scheduled("messages.digests", "30 11 * * *", "messages digest",
              "the daily digest (19:30 in Asia/Shanghai)"),
    Scheduled("retention.purge", "15 19 * * *", "retention purge",
              "personal data past its retention period (03:15 in Asia/Shanghai)"),
    Scheduled("mydata.expire", "17 * * * *", "mydata expire",
              "downloads of “my data” past their 7 days: files removed"),
)


@job("topics.remind")
def _topics_remind() -> None:
    from consult.topics.service import send_comment_period_reminders

    send_comment_period_reminders()


@job("topics.settle")
def _topics_settle() -> None:
    from consult.halls.service import settle_agenda_topics

    settle_agenda_topics()


@job("votes.close")
def _votes_close() -> None:
    from consult.votes.service import close_due_votes

    close_due_votes()


@job("votes.remind")
def _votes_remind() -> None:
    from consult.votes.service import remind_electors

    remind_electors()


@job("votes.notify")
def _votes_notify() -> None:
    from consult.votes.service import notify_opened_votes

    notify_opened_votes()


@job("studios.remind")
def _studios_remind() -> None:
    from consult.studios.reminders import send_reminders

    send_reminders()


@job("outcomes.settle")
def _outcomes_settle() -> None:
    from consult.outcomes.service import settle_due_outcomes

    settle_due_outcomes()


@job("retention.purge")
def _retention_purge() -> None:
    from consult.retention.service import purge

    purge()
