"""scripts/pip_audit.sh never reports a pass for an audit that checked nothing (issue: "the
dependency audit passes without checking anything"). A stand-in pip-audit prints what the real
one prints in each case; a stand-in python lists the installed packages."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pip_audit.sh"
PACKAGES = ["flask==3.1.0", "jinja2==3.1.6", "werkzeug==3.1.3"]


def _not_found(name: str) -> str:
    return f"{name:<10} Dependency not found and could not be audited: {name} (1.0)"


def _run(tmp_path, output: str, status: int = 0, **env):
    fake_audit = tmp_path / "pip-audit"
    (tmp_path / "out.txt").write_text(output)
    fake_audit.write_text(f"#!/bin/sh\ncat {tmp_path / 'out.txt'}\nexit {status}\n")
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nprintf '%s\\n' " + " ".join(PACKAGES) + "\n")
    for stand_in in (fake_audit, fake_python):
        stand_in.chmod(0o755)
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True,
                          env={**os.environ, "PIP_AUDIT": str(fake_audit),
                               "PYTHON": str(fake_python), **env})


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="a bash script")


def test_an_audit_that_looked_nothing_up_says_skipped_not_passed(tmp_path):
    output = "No known vulnerabilities found\nName Skip Reason\n" + "\n".join(
        _not_found(p.split("==")[0]) for p in PACKAGES)
    result = _run(tmp_path, output)
    assert result.returncode == 0
    assert "SKIPPED" in result.stdout and "nothing was checked" in result.stdout
    assert "no known vulnerabilities" not in result.stdout.lower()


def test_a_skipped_audit_fails_where_an_audit_is_required(tmp_path):
    output = "\n".join(_not_found(p.split("==")[0]) for p in PACKAGES)
    result = _run(tmp_path, output, AUDIT_REQUIRED="1")
    assert result.returncode == 1
    assert "SKIPPED" in result.stdout


def test_a_partial_audit_counts_what_it_checked_and_names_the_rest(tmp_path):
    result = _run(tmp_path, "No known vulnerabilities found\n" + _not_found("werkzeug"))
    assert result.returncode == 0
    assert "checked 2 of 3 installed packages" in result.stdout
    assert "NOT CHECKED" in result.stdout and "werkzeug" in result.stdout


def test_a_full_clean_audit_passes(tmp_path):
    result = _run(tmp_path, "No known vulnerabilities found\n")
    assert result.returncode == 0
    assert "checked 3 of 3 installed packages" in result.stdout
    assert "NOT CHECKED" not in result.stdout


def test_a_vulnerability_found_fails_and_shows_it(tmp_path):
    output = ("Found 1 known vulnerability in 1 package\nName  Version ID\n"
              "jinja2 3.1.6 GHSA-xxxx-yyyy-zzzz\n")
    result = _run(tmp_path, output, status=1)
    assert result.returncode == 1
    assert "GHSA-xxxx-yyyy-zzzz" in result.stdout
