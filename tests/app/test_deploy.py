"""The shipped systemd unit (scripts/systemd/consult.service) is valid, and gunicorn started as
it starts it comes back on the same port after its master was killed (issue: "restarting
gunicorn after its master was killed failed while orphaned workers held the port")."""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "scripts" / "systemd" / "consult.service"


def _setting(name: str) -> str:
    for line in UNIT.read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    raise AssertionError(f"{name} is not in the unit")


def test_the_unit_parses_without_a_warning(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    here = tmp_path / "consult.service"
    text = UNIT.read_text().replace("/srv/consult/.venv", str(Path(sys.executable).parent.parent))
    text = text.replace("/srv/consult", str(ROOT)).replace("EnvironmentFile=/etc/consult/env",
                                                           "EnvironmentFile=/dev/null")
    here.write_text(text.replace("User=consult", "User=root").replace("Group=consult",
                                                                      "Group=root"))
    result = subprocess.run(["systemd-analyze", "verify", str(here)], capture_output=True,
                            text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_unit_reloads_gracefully_and_kills_orphans():
    assert _setting("ExecReload") == "/bin/kill -s HUP $MAINPID"
    assert _setting("KillMode") == "mixed"
    assert _setting("Restart") == "on-failure"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _gunicorn(port: int, env: dict) -> subprocess.Popen:
    args = shlex.split(_setting("ExecStart"))[1:]
    args = [f"127.0.0.1:{port}" if a == "127.0.0.1:8000" else a for a in args]
    args[args.index("--workers") + 1] = "2"
    return subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), *args], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split()[2] == "Z")


def test_gunicorn_comes_back_on_its_port_after_the_master_is_killed(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/consult.sqlite3",
           "CONSULT_INSTANCE_PATH": str(tmp_path / "instance"), "PAGE_CACHE_SECONDS": "0"}
    env.pop("CONSULT_ENV", None)
    first = _gunicorn(port, env)
    second = None
    try:
        assert _healthy(port, 30), "gunicorn did not start"
        workers = _children(first.pid)
        assert workers
        first.send_signal(signal.SIGKILL)  # the master dies without telling its workers
        first.wait()
        # Outside systemd (which kills the unit's leftover processes itself) the orphaned
        # workers notice their parent is gone and leave, freeing the port.
        deadline = time.monotonic() + 20
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "orphaned workers kept running"
        second = _gunicorn(port, env)
        assert _healthy(port, 30), "a new gunicorn could not serve on the same port"
        assert second.poll() is None
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
