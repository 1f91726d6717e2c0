"""``flask --app consult activation issue``: codes for a scope's owners into a new CSV file,
readable by its owner only."""
from __future__ import annotations

import csv
import io
import os
import stat

import pytest
from sqlalchemy import func, select

from consult.activation import service
from consult.activation.models import ActivationCode
from consult.audit.models import AuditEntry
from consult.extensions import db
from consult.privacy.rules import current as current_privacy


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["activation", "issue", *args])
    db.session.rollback()  # see what the command committed
    return result


def codes() -> int:
    return db.session.scalar(select(func.count(ActivationCode.id)))


def test_the_whole_community_into_a_file_of_mode_0600(app, w, tmp_path):
    path = tmp_path / "codes.csv"
    result = run(app, "--community", "幸福社区", "--csv", str(path))
    assert result.exit_code == 0, result.output
    assert "Issued 8 activation codes" in result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == ["phone", "email", "name", "units", "code", "link"]
    by_name = {r[2]: r for r in rows[1:]}
    assert len(by_name) == 8 and "王居民" not in by_name
    first = by_name["业主0"]
    assert first[0] == "13900000000" and first[1] == ""
    assert first[3] == "1网格 1栋 0101; 2网格 1栋 0201"
    assert first[5] == f"http://127.0.0.1:5000/activate/{first[4]}"
    assert by_name["业主1"][:2] == ["", "owner1@example.org"]
    assert codes() == 8
    assert set(db.session.scalars(select(ActivationCode.channel))) == {"file"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activation.issue"))
    assert entry.actor_id is None and entry.details["count"] == 8
    # The codes in the file work.
    user = service.activate(first[0], first[4].lower(), "a good password",
                            privacy_version=current_privacy().id)
    assert user.id == w.owners[0].id


def test_an_existing_file_is_never_overwritten(app, w, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("keep me")
    result = run(app, "--community", "幸福社区", "--csv", str(path))
    assert result.exit_code == 1 and "exists already" in result.output
    assert path.read_text() == "keep me" and codes() == 0


def test_a_grid_and_a_building_by_name(app, w, tmp_path):
    result = run(app, "--community", "幸福社区", "--grid", "2网格", "--csv",
                 str(tmp_path / "grid.csv"))
    assert result.exit_code == 0 and "Issued 5 activation codes for 2网格" in result.output
    result = run(app, "--community", "幸福社区", "--grid", "1网格", "--building", "2栋",
                 "--csv", str(tmp_path / "building.csv"))
    assert result.exit_code == 0 and "Issued 2 activation codes for 1网格 2栋" in result.output
    names = [r[2] for r in csv.reader(io.StringIO((tmp_path / "building.csv").read_text()))]
    assert names == ["name", "业主2", "业主3"]


@pytest.mark.parametrize("args, message", [
    (["--building", "1栋"], "Several grids have a building called '1栋' (1网格, 2网格): say "
                            "which with --grid."),
    (["--building", "9栋"], "has no building called '9栋'"),
    (["--grid", "9网格"], "has no grid called '9网格'"),
])
def test_a_scope_that_names_nothing_or_several_is_refused(app, w, tmp_path, args, message):
    path = tmp_path / "codes.csv"
    result = run(app, "--community", "幸福社区", *args, "--csv", str(path))
    assert result.exit_code == 1 and message in result.output
    assert not path.exists() and codes() == 0


def test_an_unknown_community_is_refused(app, w, tmp_path):
    result = run(app, "--community", "无此社区", "--csv", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "No community is called" in result.output
