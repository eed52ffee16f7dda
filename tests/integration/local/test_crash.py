"""Issue 3.5: restarts per policy with capped exponential backoff, crash loops, and health checks."""

from __future__ import annotations

import sys

import pytest

from procfleet.backend import WaitOptions
from procfleet.errors import NotConverged
from tests.integration.local.harness import LocalApp, eventually

STEADY = """
    [processes.steady]
    command = "echo up; exec sleep 60"
    stop_timeout = "1s"
"""


def _states_until_crashed(app: LocalApp, name: str) -> list[tuple[str, str, int | None]]:
    """Every (state, detail, pid) the supervisor reports for an instance, each change once, until it is crashed."""
    seen: list[tuple[str, str, int | None]] = []

    def crashed() -> bool:
        instance = next((i for i in app.status().instances if i.name == name), None)
        if instance is None:
            return False
        now = (instance.state, instance.detail, instance.pid)
        if not seen or seen[-1] != now:
            seen.append(now)
        return instance.state == "crashed"

    eventually(crashed, what=f"{name} to be marked crashed")
    return seen


def test_a_crashing_instance_backs_off_exponentially_then_is_marked_crashed(app: LocalApp) -> None:
    """Delays 0.2s, 0.4s, then capped at 0.5s; the 4th exit in the window marks it crashed; others run on."""
    app.write(STEADY + """
        [processes.crasher]
        command = 'echo "run"; exit 3'
    """, local='backoff = "0.2s"\nbackoff_max = "0.5s"\ncrash_limit = 4\ncrash_window = "30s"\n')
    supervisor = app.deploy()
    seen = _states_until_crashed(app, "crasher.1")
    supervisor.wait_for("system", r"^crasher\.1 exited with status 3 and keeps dying \(4 exits within 30s\)")
    delays = [float(m[1]) for m in supervisor.find("system", r"^crasher\.1 exited with status 3: restarting in "
                                                             r"([\d.]+)s$")]
    assert delays == [0.2, 0.4, 0.5]
    assert [line.text for line in supervisor.lines if line.name == "crasher.1"] == ["run"] * 4
    # Each exit left it waiting, stopped, for its delay before the next start: the supervisor reported it so.
    backoffs = [(detail, pid) for state, detail, pid in seen if state == "backoff"]
    assert backoffs == [(f"exited with status 3; restarting in {delay:g}s", None) for delay in delays], seen
    assert [state for state, _, _ in seen][-1] == "crashed"

    status = app.status()
    crasher = next(i for i in status.instances if i.name == "crasher.1")
    assert crasher.state == "crashed" and crasher.restarts == 3 and crasher.pid is None
    assert "4 exits" in crasher.detail
    assert {t.name: t.running for t in status.types} == {"steady": 1, "crasher": 0}
    # A crashed instance fails a wait at once, naming it, instead of running into the timeout.
    with pytest.raises(NotConverged, match=r"^crasher\.1 keeps crashing \(.*4 exits.*\): the supervisor does not "
                                           r"restart it; its last output:\n  \| run"):
        app.backend().scale(app.formation(), {"crasher": 1}, WaitOptions(wait=True, timeout=60))
    # Deploying again gives it a fresh start (a new crash window); the steady instance is not touched.
    steady_pid = app.pids()["steady.1"]
    assert app.cli("deploy", "--no-wait", "-q").returncode == 0
    supervisor.wait_for("system", r"^crasher\.1 was marked crashed: starting it again for this deploy$")
    supervisor.wait_for("crasher.1", "^run$", count=5)
    assert app.pids()["steady.1"] == steady_pid


def test_restart_policies_never_and_on_failure(app: LocalApp) -> None:
    """never: left dead, the rest running; on-failure: a clean exit stays down, a failure is restarted."""
    app.write(STEADY + """
        [processes.once]
        command = 'echo ran; exit 1'
        restart = "never"
        [processes.clean]
        command = 'echo ran; exit 0'
        restart = "on-failure"
        [processes.failing]
        command = '''echo ran; [ -e failed-once ] && exec sleep 60; touch failed-once; exit 2'''
        restart = "on-failure"
        stop_timeout = "1s"
    """, local='backoff = "0.1s"\n')
    supervisor = app.deploy()
    supervisor.wait_for("failing.1", "^ran$", count=2)
    supervisor.wait_for("system", r"^once\.1 exited with status 1 \(restart = \"never\": leaving it stopped\)$")
    supervisor.wait_for("system", r"^clean\.1 exited with status 0 \(restart = \"on-failure\"")
    status = app.wait_status(lambda s: {i.name: i.state for i in s.instances}["failing.1"] == "running",
                             "failing.1 to be restarted")
    states = {i.name: (i.state, i.restarts) for i in status.instances}
    assert states == {"steady.1": ("running", 0), "once.1": ("exited", 0), "clean.1": ("exited", 0),
                      "failing.1": ("running", 1)}
    assert len(supervisor.find("once.1", "^ran$")) == 1 and len(supervisor.find("clean.1", "^ran$")) == 1
    # An unchanged redeploy returns at once, not at its timeout: clean.1 (exit 0) is done, and once.1's failure,
    # which its policy leaves as it is, fails the wait by its name, as on every backend
    again = app.cli("deploy", "--timeout", "20", "-q")
    assert again.returncode == 1, again.stderr
    assert again.stderr.startswith('error: once.1 exited with status 1 and restart = "never" does not start it '
                                   "again; its last output:\n  | ran"), again.stderr


def test_health_checks_drive_the_healthy_column(app: LocalApp) -> None:
    """http (2xx/3xx), tcp (a connect) and command (exit 0, instance env) checks, both ways for command."""
    tcp_server = ("import os, socket, time; s = socket.socket(); s.bind(('127.0.0.1', int(os.environ['PORT']))); "
                  "s.listen(); time.sleep(60)")
    app.write(f"""
        [processes.web]
        command = "exec {sys.executable} -m http.server $PORT --bind 127.0.0.1"
        port = 8000
        health = {{ http = "/", interval = "0.2s" }}
        stop_timeout = "1s"
        [processes.db]
        command = "exec {sys.executable} -c \\"{tcp_server}\\""
        port = 5432
        health = {{ tcp = true, interval = "0.2s" }}
        stop_timeout = "1s"
        [processes.job]
        command = "exec sleep 60"
        health = {{ command = "test -e ok-$PROCFLEET_PROCESS", interval = "0.2s", retries = 2 }}
        stop_timeout = "1s"
        [processes.broken]
        command = "exec {sys.executable} -m http.server $PORT --bind 127.0.0.1"
        port = 8001
        health = {{ http = "/missing", interval = "0.2s" }}
        stop_timeout = "1s"
    """)
    supervisor = app.deploy()
    healthy = app.wait_status(lambda s: {t.name: t.healthy for t in s.types} == {"web": 1, "db": 1, "job": 0,
                                                                                 "broken": 0}
                              and all(t.running == 1 for t in s.types), "web and db to pass their checks")
    assert {i.name: i.healthy for i in healthy.instances} == {"web.1": True, "db.1": True, "job.1": False,
                                                             "broken.1": False}
    (app.folder / "ok-job.1").touch()
    supervisor.wait_for("system", r"^job\.1 healthy$")
    assert {t.name: t.healthy for t in app.status().types}["job"] == 1
    (app.folder / "ok-job.1").unlink()
    supervisor.wait_for("system", r"^job\.1 unhealthy \(2 failed checks in a row\)$")
    assert {t.name: t.healthy for t in app.status().types}["job"] == 0
