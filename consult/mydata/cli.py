"""``flask --app consult mydata ...``: remove expired downloads (cron without the queue)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from consult import unit_of_work

mydata_cli = AppGroup("mydata", help="Downloads of \u201cmy data\u201d.")


@mydata_cli.command("expire")
@unit_of_work.command
def expire_command():
    """Remove the files of downloads past their 7 days (run hourly from cron without Redis)."""
    from consult.mydata.service import expire_exports

    click.echo(f"{expire_exports()} expired downloads removed.")
