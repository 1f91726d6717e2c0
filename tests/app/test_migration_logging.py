"""Running the migrations inside a process that already logs (a test worker, ``flask restore``)
must not silence the app's logger. Alembic's env.py reads logging settings from alembic.ini,
and Python's fileConfig disables every logger that exists unless told not to: on PostgreSQL the
suite migrates extra databases mid-run, after which the development reset link was no longer
logged, and three password-reset tests failed depending on which tests ran first."""
from __future__ import annotations

import logging

from flask_migrate import upgrade

from consult import create_app
from tests.conftest import base_config


def test_migrating_leaves_the_apps_logger_working(app, tmp_path, caplog):
    app.logger.warning("before")  # the logger exists, as it does once any test has logged
    other = create_app(base_config(f"sqlite:///{tmp_path / 'other.sqlite3'}"))
    with other.app_context():
        upgrade()
    caplog.set_level(logging.INFO)
    app.logger.warning("after migrating")
    assert not app.logger.disabled
    assert "after migrating" in caplog.text
