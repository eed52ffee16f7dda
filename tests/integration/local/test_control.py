"""Issue 3.2: scale, ps, logs, down and deploy act on a running supervisor from another terminal."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import tomllib

import pytest

from procfleet.backend import Session, WaitOptions
from procfleet.errors import NotRunning, PlatformError
from procfleet_local import launch, runtime
from tests.integration.local.harness import DEADLINE, LocalApp, eventually, free_base_port, pid_alive

# Says when it gets SIGTERM, so a test can tell a graceful stop from a kill.
POLITE = """'''trap 'echo "$PROCFLEET_PROCESS got TERM"; exit 0' TERM; echo up; while :; do sleep 0.1; done'''"""


def test_scale_changes_the_formation_live_and_stops_the_highest_numbers_gracefully(app: LocalApp) -> None:
    """web=3 worker+2 clock-1: survivors keep their PIDs; the highest-numbered instances get SIGTERM."""
    app.write(f"""
        [processes.web]
        command = {POLITE}
        count = 1
        [processes.worker]
        command = {POLITE}
        count = 1
        [processes.clock]
        command = {POLITE}
        count = 2
    """)
    supervisor = app.deploy()
    for name in ("web.1", "worker.1", "clock.1", "clock.2"):
        supervisor.wait_for(name, "^up$")
    before = app.pids()

    done = app.cli("scale", "web=3", "worker+2", "clock-1", "--wait")
    assert done.returncode == 0, done.stderr
    assert app.counts() == {"web": (3, 3), "worker": (3, 3), "clock": (1, 1)}
    after = app.pids()
    for name in ("web.1", "worker.1", "clock.1"):
        assert after[name] == before[name], f"{name} was restarted"
    assert set(after) == {"web.1", "web.2", "web.3", "worker.1", "worker.2", "worker.3", "clock.1"}
    supervisor.wait_for("clock.2", "^clock.2 got TERM$")
    assert not supervisor.find("clock.1", "got TERM")

    backend, formation = app.backend(), app.formation()
    status = backend.scale(formation, {"web": 1}, WaitOptions(wait=True, timeout=10))
    assert [(t.name, t.running) for t in status.types if t.name == "web"] == [("web", 1)]
    for name in ("web.2", "web.3"):
        supervisor.wait_for(name, f"^{name} got TERM$")
    assert app.pids("web") == {"web.1": before["web.1"]}
    assert not pid_alive(after["web.3"])


def test_scale_wait_waits_for_health_and_ps_reports_every_instance(app: LocalApp) -> None:
    """--wait returns only once the new instances pass their check; ps --json shows counts and instances."""
    app.write(f"""
        [processes.web]
        # Serves only after a second, so a --wait that ignored health would return too early.
        command = "sleep 1; exec {sys.executable} -m http.server $PORT --bind 127.0.0.1"
        count = 1
        port = 8000
        health = {{ http = "/", interval = "0.2s", timeout = "1s" }}
        stop_timeout = "2s"
    """)
    app.deploy()
    done = app.cli("--json", "scale", "web=3", "--wait", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"]["types"]["web"] == {
        "desired": 3, "running": 3, "healthy": 3, "placed": None, "done": 0}

    shown = app.cli("ps", "--json")
    assert shown.returncode == 0, shown.stderr
    ps = json.loads(shown.stdout)
    assert ps["types"]["web"]["healthy"] == 3
    instances = {i["name"]: i for i in ps["instances"]}
    assert sorted(instances) == ["web.1", "web.2", "web.3"]
    for number, name in enumerate(sorted(instances)):
        row = instances[name]
        assert row["state"] == "running" and row["healthy"] is True and row["restarts"] == 0
        assert row["ports"] == str(app.base_port + number)
        assert pid_alive(row["pid"]) and row["uptime"] > 0


def test_scale_save_writes_the_counts_keeping_comments(app: LocalApp) -> None:
    """scale --save updates `count` in the file with tomlkit; comments and layout stay."""
    app.write(f"""
        # The shop's processes.
        [processes.worker]   # background jobs
        command = {POLITE}
        count = 1            # one is plenty at night
        stop_timeout = "2s"
    """)
    app.deploy()
    before = app.path.read_text()
    done = app.cli("scale", "worker=2", "--save", "--wait")
    assert done.returncode == 0, done.stderr
    after = app.path.read_text()
    assert after == before.replace("count = 1            #", "count = 2            #")
    assert tomllib.loads(after)["processes"]["worker"]["count"] == 2
    assert app.counts()["worker"] == (2, 2)


def test_logs_tail_filter_and_follow(app: LocalApp) -> None:
    """logs TYPE --tail N prints the last N lines of each instance; -f streams until the supervisor ends."""
    app.write("""
        [processes.web]
        command = 'echo web-hello; exec sleep 30'
        stop_timeout = "1s"
        [processes.worker]
        command = 'n=0; while :; do n=$((n+1)); echo "tick $n"; sleep 0.05; done'
        count = 2
        stop_timeout = "1s"
    """)
    supervisor = app.deploy()
    for name in ("worker.1", "worker.2"):
        supervisor.wait_for(name, "^tick 5$")
    supervisor.wait_for("web.1", "^web-hello$")

    shown = app.cli("logs", "worker", "--tail", "3")
    assert shown.returncode == 0, shown.stderr
    by_name: dict[str, list[int]] = {}
    for line in shown.stdout.splitlines():
        name, text = line.split(" | ", 1)
        by_name.setdefault(name.split()[1], []).append(int(text.removeprefix("tick ")))
    assert sorted(by_name) == ["worker.1", "worker.2"]
    for ticks in by_name.values():
        assert len(ticks) == 3 and ticks == list(range(ticks[0], ticks[0] + 3))

    everything = app.cli("logs").stdout
    assert re.search(r"^\d\d:\d\d:\d\d web\.1 {4}\| web-hello$", everything, re.M)  # aligned with worker.1
    assert re.search(r"^\d\d:\d\d:\d\d system   \| supervising ", everything, re.M)

    with subprocess.Popen([sys.executable, "-m", "procfleet", "logs", "-f", "web", "worker", "--tail", "0"],
                          cwd=app.folder, env=app.env, stdout=subprocess.PIPE, text=True) as follower:
        watchdog = threading.Timer(DEADLINE, follower.kill)  # a follower that hangs fails the test, not the run
        watchdog.start()
        try:
            assert follower.stdout is not None
            first = follower.stdout.readline()
            assert " | tick " in first  # a line written after the follower started
            app.backend().down(app.formation(), purge=False)
            rest = follower.communicate(timeout=DEADLINE)[0]
        finally:
            watchdog.cancel()
    assert follower.returncode == 0
    assert "system" not in rest  # only the asked-for types


def test_down_stops_everything_and_the_supervisor_exits_0(app: LocalApp) -> None:
    """down stops instances and their grandchildren gracefully; the supervisor exits 0 and its socket goes."""
    app.write("""
        [processes.web]
        command = 'sleep 300 & echo "sleeper $!"; wait'
        count = 2
        stop_timeout = "2s"
    """)
    supervisor = app.deploy()
    sleepers = [int(supervisor.wait_for(name, r"^sleeper (\d+)$")[0][1]) for name in ("web.1", "web.2")]
    shells = list(app.pids().values())
    where = runtime.address(app.formation(), app.folder, app.env)
    done = app.cli("down")
    assert done.returncode == 0, done.stderr
    assert supervisor.exit_code() == 0
    assert not any(pid_alive(pid) for pid in sleepers + shells)
    assert not where.socket.exists() and not where.lock.exists()
    again = app.cli("down")  # nothing left to stop: what was asked holds
    assert again.returncode == 0 and "nothing to stop" in again.stderr


def test_deploy_while_running_reconciles(app: LocalApp) -> None:
    """New types start, removed ones stop, a changed one restarts one instance at a time, the rest is untouched."""
    app.write(f"""
        [processes.web]
        command = {POLITE}
        count = 2
        [processes.worker]
        command = {POLITE}
        count = 2
        [processes.clock]
        command = {POLITE}
    """, local='backoff = "0.1s"\n')
    supervisor = app.deploy()
    for name in ("web.1", "web.2", "worker.1", "worker.2", "clock.1"):
        supervisor.wait_for(name, "^up$")
    before = app.pids()

    app.write(f"""
        [processes.web]
        command = {POLITE}
        count = 2
        [processes.worker]
        command = {POLITE}
        count = 2
        env = {{ VERSION = "2" }}
        [processes.beat]
        command = {POLITE}
    """, local='backoff = "0.1s"\n')
    plan = json.loads(app.cli("plan", "--json").stdout)
    assert {c["process"]: c["action"] for c in plan["changes"]} == {
        "web": "unchanged", "worker": "change", "beat": "add", "clock": "remove"}
    done = app.cli("deploy", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    after = app.pids()
    assert set(after) == {"web.1", "web.2", "worker.1", "worker.2", "beat.1"}
    assert after["web.1"] == before["web.1"] and after["web.2"] == before["web.2"]
    assert after["worker.1"] != before["worker.1"] and after["worker.2"] != before["worker.2"]
    supervisor.wait_for("clock.1", "^clock.1 got TERM$")
    # One at a time: worker.2 is stopped only after worker.1's replacement is up.
    supervisor.wait_for("system", f"^worker.2 started \\(pid {after['worker.2']},")
    events = [(line.name, line.text) for line in supervisor.lines]
    replaced = events.index(("system", f"worker.1 started (pid {after['worker.1']}, PORT={app.base_port + 100})"))
    assert events.index(("worker.2", "worker.2 got TERM")) > replaced
    assert not supervisor.find("web.1", "got TERM") and not supervisor.find("web.2", "got TERM")

    unchanged = json.loads(app.cli("plan", "--json").stdout)
    assert unchanged["pending"] is False
    assert app.cli("deploy").returncode == 0
    assert app.pids() == after


def test_deploy_restarts_for_what_local_runs_only(app: LocalApp) -> None:
    """A new image or resources (local uses neither) restart nothing; a new base_port moves instances to new ports."""
    web = f"""
        [processes.web]
        command = {POLITE}
        stop_timeout = "2s"
    """
    app.write(web, app='image = "shop:1"\n')
    supervisor = app.deploy()
    supervisor.wait_for("web.1", "^up$")
    before = app.pids()

    app.write(web + 'resources = { memory = "256M" }\n', app='image = "shop:2"\n')
    assert json.loads(app.cli("plan", "--json").stdout)["pending"] is False
    assert app.cli("deploy", "--timeout", "20").returncode == 0
    assert app.pids() == before

    app.base_port = free_base_port()
    app.write(web, app='image = "shop:2"\n')
    plan = json.loads(app.cli("plan", "--json").stdout)
    assert [c["action"] for c in plan["changes"]] == ["change"]
    assert app.cli("deploy", "--timeout", "20").returncode == 0
    supervisor.wait_for("web.1", "^web.1 got TERM$")
    ps = json.loads(app.cli("ps", "--json").stdout)
    (row,) = ps["instances"]
    assert row["pid"] != before["web.1"] and row["ports"] == str(app.base_port)


def test_control_without_a_supervisor_says_how_to_start_one(app: LocalApp) -> None:
    """scale and logs with no supervisor: one clear line, exit 1; down has nothing to stop; ps shows nothing runs."""
    app.write("""
        [processes.web]
        command = "sleep 30"
    """)
    for args in (("scale", "web=2"), ("logs",)):
        done = app.cli(*args)
        assert done.returncode == 1, args
        assert "procfleet deploy" in done.stderr and "Traceback" not in done.stderr
    down = app.cli("down")
    assert down.returncode == 0 and "nothing to stop" in down.stderr
    assert json.loads(app.cli("ps", "--json").stdout)["types"] == {}
    with pytest.raises(NotRunning, match="procfleet deploy"):
        app.backend().scale(app.formation(), {"web": 2}, WaitOptions())


def test_one_supervisor_per_app_and_stale_sockets_are_replaced(app: LocalApp) -> None:
    """A socket nobody answers is stale and replaced; a live supervisor refuses a second one."""
    app.write("""
        [processes.web]
        command = "echo up; exec sleep 30"
        stop_timeout = "1s"
    """)
    formation = app.formation()
    where = runtime.address(formation, app.folder, app.env)
    where.socket.parent.mkdir(mode=0o700, exist_ok=True)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(where.socket))
    stale.close()  # the file stays, as after a supervisor killed with SIGKILL
    assert app.backend().live(formation) == {}

    supervisor = app.deploy()
    supervisor.wait_for("web.1", "^up$")
    assert app.counts() == {"web": (1, 1)}
    assert stat.S_IMODE(os.stat(where.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(where.socket.parent).st_mode) == 0o700

    session = Session(out=io.StringIO(), err=io.StringIO(), environ=app.env, cwd=app.folder)
    with pytest.raises(PlatformError, match="already runs"):
        launch.run(formation, {"web": 1}, session, where)
    assert app.counts() == {"web": (1, 1)}  # the refused one touched nothing
    eventually(lambda: supervisor.process.poll() is None, what="the first supervisor to keep running")
