"""Issue 3.4: Ctrl-C and SIGTERM stop every group gracefully, a second Ctrl-C kills, and nothing survives."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.integration.local.harness import LocalApp, eventually, pid_alive

# Reports the signal it gets; the sleep in the loop is in the same group and gets it too.
TRAPS = ("'''trap 'echo \"got INT\"; exit 0' INT; trap 'echo \"got TERM\"; exit 0' TERM; "
         "echo up; while :; do sleep 0.1; done'''")


def _ignores_sigint(pid: int) -> bool:
    # The shell echoes $! right after fork: the child may not have exec'd sleep with SIGINT ignored yet.
    proc = Path(f"/proc/{pid}")
    if proc.joinpath("comm").read_text().strip() != "sleep":
        return False
    ignored = next(line for line in proc.joinpath("status").read_text().splitlines() if line.startswith("SigIgn"))
    return bool(int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def test_ctrl_c_sends_each_stop_signal_to_the_whole_group_then_kills_what_is_left(app: LocalApp) -> None:
    """SIGINT: each type gets its own stop_signal; a grandchild that ignores it is SIGKILLed; exit 130."""
    app.write(f"""
        [processes.web]
        command = {TRAPS}
        [processes.celery]
        command = {TRAPS}
        stop_signal = "SIGINT"
        [processes.stubborn]
        # A background job of a non-interactive shell ignores SIGINT: only SIGKILL ends it.
        command = 'sleep 300 & echo "sleeper $!"; wait'
        stop_signal = "SIGINT"
        stop_timeout = "0.5s"
    """)
    supervisor = app.deploy()
    supervisor.wait_for("web.1", "^up$")
    supervisor.wait_for("celery.1", "^up$")
    sleeper = int(supervisor.wait_for("stubborn.1", r"^sleeper (\d+)$")[0][1])
    eventually(lambda: _ignores_sigint(sleeper), what="the background sleep to ignore SIGINT")

    supervisor.process.send_signal(signal.SIGINT)
    assert supervisor.exit_code() == 130
    supervisor.wait_for("web.1", "^got TERM$")
    supervisor.wait_for("celery.1", "^got INT$")
    supervisor.wait_for("system", r"^stubborn\.1 still running 0\.5s after SIGINT: SIGKILL$")
    assert not pid_alive(sleeper)


def test_sigterm_stops_gracefully_with_status_143(app: LocalApp) -> None:
    """SIGTERM to the supervisor: graceful stop of every instance, exit 143."""
    app.write(f"""
        [processes.web]
        command = {TRAPS}
        count = 2
    """)
    supervisor = app.deploy()
    for name in ("web.1", "web.2"):
        supervisor.wait_for(name, "^up$")  # its trap is set
    pids = app.pids()
    supervisor.process.send_signal(signal.SIGTERM)
    assert supervisor.exit_code() == 143
    for name in pids:
        supervisor.wait_for(name, "^got TERM$")
    assert not any(pid_alive(pid) for pid in pids.values())


def test_a_second_ctrl_c_kills_at_once(app: LocalApp) -> None:
    """An instance ignoring its stop signal with a long stop_timeout dies at the second Ctrl-C."""
    app.write("""
        [processes.web]
        command = '''trap '' TERM; echo up; while :; do sleep 0.1; done'''
        stop_timeout = "60s"
    """)
    supervisor = app.deploy()
    supervisor.wait_for("web.1", "^up$")
    pid = app.pids()["web.1"]
    supervisor.process.send_signal(signal.SIGINT)
    supervisor.wait_for("system", r"^web\.1 stopping \(SIGTERM")
    time.sleep(0.3)
    assert pid_alive(pid), "SIGTERM is ignored: only the second Ctrl-C can end it"
    supervisor.process.send_signal(signal.SIGINT)
    assert supervisor.exit_code() == 130
    supervisor.wait_for("system", r"^every process has stopped$")
    said = [line.text for line in supervisor.lines if line.name == "system"]
    # The second Ctrl-C's own SIGKILL ended it, not the 60s stop_timeout's.
    assert said.index("SIGINT again: killing every process now") < said.index("web.1 killed by SIGKILL"), said
    assert not supervisor.find("system", r"^web\.1 still running .* SIGKILL$")
    assert not pid_alive(pid)


def test_nothing_survives_a_supervisor_killed_with_sigkill(app: LocalApp) -> None:
    """kill -9 of the supervisor: the watchdog kills every instance and grandchild; a new deploy then works."""
    app.write("""
        [processes.web]
        command = 'sleep 300 & echo "sleeper $!"; wait'
        count = 2
    """)
    supervisor = app.deploy()
    sleepers = [int(supervisor.wait_for(name, r"^sleeper (\d+)$")[0][1]) for name in ("web.1", "web.2")]
    pids = sleepers + list(app.pids().values())
    assert all(pid_alive(pid) for pid in pids)
    supervisor.process.kill()
    supervisor.process.wait()
    eventually(lambda: not any(pid_alive(pid) for pid in pids), timeout=5, what="every process to be gone")

    again = app.deploy()  # the dead supervisor's socket is stale: replaced without a word
    again.wait_for("web.2", r"^sleeper \d+$")
    assert app.counts() == {"web": (2, 2)}


GRACEFUL = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: (print("cleaning up", flush=True), sys.exit(0)))
print("up", flush=True)
time.sleep(60)
"""


def test_a_simple_command_is_the_instance_itself(app: LocalApp) -> None:
    """No `exec` written: the program is still the instance's PID, gets the stop signal and reports its own exit."""
    (app.folder / "graceful.py").write_text(GRACEFUL)
    app.write("""
        [processes.worker]
        command = "python3 graceful.py"
    """)
    supervisor = app.deploy()
    supervisor.wait_for("worker.1", "^up$")
    pid = app.pids()["worker.1"]
    assert Path(f"/proc/{pid}/comm").read_text().strip().startswith("python")  # not a /bin/sh in between
    assert app.cli("down").returncode == 0
    supervisor.wait_for("worker.1", "^cleaning up$")
    supervisor.wait_for("system", r"^worker\.1 exited with status 0$")
