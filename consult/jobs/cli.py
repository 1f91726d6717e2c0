"""``flask --app consult jobs ...``: the worker and the scheduler of the queue on Redis, and
running one job by hand."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from consult.jobs import schedule, service

jobs_cli = AppGroup("jobs", help="Background jobs: worker, scheduler, running one by hand.")


def _require_redis():
    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inside the "
                                   "web process and the cron lines of the README do the "
                                   "scheduled work.")


def worker_class(burst: bool):
    """RQ's SimpleWorker: each job runs in this process, so the app and its database pool are
    set up once and nothing is shared across a fork. A burst worker (run the queue, then stop)
    does not listen on RQ's command channel: closing that listener takes up to a minute."""
    from rq import SimpleWorker

    if not burst:
        return SimpleWorker

    class BurstWorker(SimpleWorker):
        def subscribe(self):
            pass

        def unsubscribe(self):
            pass

    return BurstWorker


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
def worker_command(burst: bool):
    """Run jobs from the queue on Redis (start one or more next to the web server)."""
    _require_redis()
    app = current_app._get_current_object()
    service.use_app(app)
    queue = service._rq_queue(app)
    worker_class(burst)([queue], connection=queue.connection).work(burst=burst,
                                                                  with_scheduler=True)


@jobs_cli.command("cron")
def cron_command():
    """Enqueue the scheduled jobs on their schedule (run exactly one of these)."""
    from rq.cron import CronScheduler

    _require_redis()
    app = current_app._get_current_object()
    scheduler = CronScheduler(connection=service._redis(app), name="consult-cron")
    for entry in schedule.SCHEDULE:
        scheduler.register(service.perform, service.QUEUE_NAME, args=(entry.name, {}),
                           cron=entry.cron, name=entry.name)
    scheduler.start()


@jobs_cli.command("run")
@click.argument("name")
def run_command(name: str):
    """Run one job now, in this process (e.g. ``flask jobs run messages.digests``)."""
    if name not in service.names():
        raise click.ClickException(f"No job is named {name}. Jobs: {', '.join(service.names())}")
    ok = service.run_now(name, {})
    if not ok:
        raise click.ClickException(f"{name} failed; see the log and the failures page.")
    click.echo(f"{name} done.")


@jobs_cli.command("list")
def list_command():
    """The scheduled jobs, their schedules (UTC) and the cron lines without a queue."""
    for entry in schedule.SCHEDULE:
        click.echo(f"{entry.cron:<14} {entry.name:<20} flask {entry.command:<18} {entry.what}")
