"""deploy, scale, ps, logs and down on a real systemd: units started, processes running, what they observed."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.integration.systemd.inner.conftest import SystemdApp, eventually

# Each instance writes what it sees into the app's folder, then sleeps (a worker prints a line a second).
FORMATION = """
[app]
name = "{app}"
env_file = [".env"]
env = { COLOR = "blue" }

[processes.web]
command = "echo \\"$PROCFLEET_PROCESS $PORT $COLOR $GREETING $PWD\\" > seen.$PROCFLEET_PROCESS; exec sleep 1000"
count = 2
stop_timeout = "2s"

[processes.worker]
command = "while true; do echo tick $PROCFLEET_PROCESS; sleep 1; done"
stop_timeout = "2s"
"""


def start(app: SystemdApp) -> None:
    """The formation and its env file written, deployed."""
    (app.folder / ".env").write_text("GREETING=hello\n")
    app.write(FORMATION)
    app.ok("deploy", "-q")


def seen(app: SystemdApp, name: str) -> str:
    """What instance `name` wrote."""
    path = app.folder / f"seen.{name}"
    eventually(lambda: path.exists() and path.read_text().endswith("\n"))
    return path.read_text().strip()


def test_deploy_runs_each_instance_with_its_number_port_and_env(app: SystemdApp) -> None:
    """Template instances @1, @2 run; each sees PROCFLEET_PROCESS=web.N, PORT on Foreman's scheme, the env and
    env file, and its folder; ps reports systemd's own PIDs."""
    (app.folder / ".env").write_text("GREETING='hi $there'\n")
    app.write(FORMATION)
    app.ok("deploy", "-q")
    assert seen(app, "web.1") == f"web.1 5000 blue hi $there {app.folder}"
    assert seen(app, "web.2") == f"web.2 5001 blue hi $there {app.folder}"
    assert [app.active("web", n) for n in (1, 2)] == ["active", "active"] and app.active("worker", 1) == "active"
    status = app.ps()
    assert status["types"]["web"]["desired"] == 2 and status["types"]["web"]["running"] == 2
    pids = {i["name"]: i["pid"] for i in status["instances"]}
    assert pids == {"web.1": app.pid("web", 1), "web.2": app.pid("web", 2), "worker.1": app.pid("worker", 1)}
    ports = {i["name"]: i["ports"] for i in status["instances"]}
    assert ports == {"web.1": "5000", "web.2": "5001", "worker.1": "5100"}
    assert app.systemctl("is-enabled", f"{app.name}.target") == "enabled"


def test_scale_starts_and_stops_the_highest_instances_only(app: SystemdApp) -> None:
    """scale worker=3 starts @2 and @3 and leaves @1 alone; scale worker=1 stops @3 and @2."""
    start(app)
    first = app.pid("worker", 1)
    app.ok("scale", "worker=3", "-q")
    assert [app.active("worker", n) for n in (1, 2, 3)] == ["active"] * 3 and app.pid("worker", 1) == first
    assert app.systemctl("is-enabled", app.unit("worker", 3)) == "enabled"
    app.ok("scale", "worker=1", "web-1", "-q")
    assert [app.active("worker", n) for n in (1, 2, 3)] == ["active", "inactive", "inactive"]
    assert app.pid("worker", 1) == first and app.active("web", 2) == "inactive"
    assert {t: v["running"] for t, v in app.ps()["types"].items()} == {"web": 1, "worker": 1}


def test_an_unchanged_deploy_restarts_nothing_and_a_changed_type_restarts_rolling(app: SystemdApp) -> None:
    """Same file: the same PIDs. A changed web: both web instances restarted (new PIDs, the new env), workers not."""
    start(app)
    before = {n: app.pid("web", n) for n in (1, 2)}
    worker = app.pid("worker", 1)
    plan = app.cli("plan", "--exit-code", "-q")
    assert plan.code == 0, plan.out + plan.err
    app.ok("deploy", "-q")
    assert {n: app.pid("web", n) for n in (1, 2)} == before and app.pid("worker", 1) == worker
    (app.folder / "seen.web.1").unlink()
    app.write(FORMATION.replace("count = 2\n", 'count = 2\nenv = { COLOR = "red" }\n'))
    result = app.ok("deploy")
    assert "web" in result.err and "change" in result.err
    after = {n: app.pid("web", n) for n in (1, 2)}
    assert all(after[n] != before[n] for n in (1, 2)) and app.pid("worker", 1) == worker
    assert seen(app, "web.1").startswith("web.1 5000 red")


def test_logs_from_the_journal_per_instance(app: SystemdApp) -> None:
    """`HH:MM:SS worker.1 | tick worker.1`; --tail N gives the last N lines of each instance."""
    start(app)
    app.ok("scale", "worker=2", "-q")
    time.sleep(2.5)
    out = app.ok("logs", "worker").out
    assert re.search(r"^\d\d:\d\d:\d\d worker\.1 \| tick worker\.1$", out, re.M), out
    assert re.search(r"^\d\d:\d\d:\d\d worker\.2 \| tick worker\.2$", out, re.M), out
    tail = app.ok("logs", "worker", "--tail", "1").out.splitlines()
    assert sorted(line.split(" | ")[0][9:].strip() for line in tail) == ["worker.1", "worker.2"]
    assert "Started" not in out  # systemd's own messages about the units are not the processes' lines


def test_down_stops_and_removes_everything_procfleet_wrote(app: SystemdApp) -> None:
    """No instance runs, no unit or env file is left; a second down says there is nothing to stop."""
    start(app)
    pid = app.pid("worker", 1)
    app.ok("down", "-q")
    assert app.active("worker", 1) == "inactive" and not Path(f"/proc/{pid}").exists()
    assert not list(app.unit_dir().glob(f"{app.name}[-.]*"))
    again = app.ok("down")
    assert "nothing to stop" in again.err
