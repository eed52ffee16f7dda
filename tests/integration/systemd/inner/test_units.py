"""What the units make systemd do: escaping, stop signal, restarts and the start limit, limits, ownership, run."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.integration.systemd.inner.conftest import SystemdApp, eventually

# A command with everything systemd would otherwise read itself: specifiers, variables, quotes, a backslash.
TRICKY = r'''printf '%s|' "100%" '%i %n' "$HOME" '$HOME' "a\\b" "it's" "$PORT" > out.txt; exec sleep 1000'''


def test_the_command_reaches_the_shell_as_written(app: SystemdApp) -> None:
    """`%` specifiers and `$` are left to the shell: systemd expands none of them."""
    app.write(f'''
    [app]
    name = "{{app}}"

    [processes.web]
    command = {json.dumps(TRICKY)}
    ''')
    app.ok("deploy", "-q")
    out = app.folder / "out.txt"
    eventually(out.exists)
    eventually(lambda: out.read_text().count("|") == 7)
    assert out.read_text() == f"100%|%i %n|{Path.home()}|$HOME|a\\b|it's|5000|"


def test_stop_signal_reaches_the_program_and_timeout_applies(app: SystemdApp) -> None:
    """stop_signal = SIGINT: the program's trap sees INT when scale stops it; the unit says TimeoutStopSec=3s."""
    app.write('''
    [app]
    name = "{app}"

    [processes.worker]
    command = "trap 'echo INT > stopped.txt; exit 0' INT; while true; do sleep 0.2; done"
    stop_signal = "SIGINT"
    stop_timeout = "3s"
    ''')
    app.ok("deploy", "-q")
    assert app.systemctl("show", "-p", "KillSignal", "--value", app.unit("worker", 1)) == "2"
    assert app.systemctl("show", "-p", "TimeoutStopUSec", "--value", app.unit("worker", 1)) == "3s"
    app.ok("scale", "worker=0", "-q")
    assert (app.folder / "stopped.txt").read_text() == "INT\n"


def test_a_crashing_instance_is_restarted_then_stopped_by_the_start_limit(app: SystemdApp) -> None:
    """restart = always: systemd starts it again (NRestarts grows); past crash_limit it gives up, and deploy says so
    with the instance's last output (exit 1)."""
    app.write('''
    [app]
    name = "{app}"

    [processes.web]
    command = "echo crashing now; exit 3"
    ''', options='backoff = "100ms"\ncrash_limit = 3')
    result = app.cli("deploy", "-q", "--timeout", "20")
    assert result.code == 1, result.err
    assert result.err.startswith(f"error: web.1 of {app.name} ") and "exit status 3" in result.err, result.err
    unit = app.unit("web", 1)
    eventually(lambda: app.active("web", 1) == "failed")
    restarts = int(app.systemctl("show", "-p", "NRestarts", "--value", unit))
    time.sleep(1.0)  # four backoffs: a unit still looping would have restarted again
    assert restarts >= 2 and int(app.systemctl("show", "-p", "NRestarts", "--value", unit)) == restarts
    assert app.active("web", 1) == "failed"
    web = next(i for i in app.ps()["instances"] if i["name"] == "web.1")
    assert web["state"] in ("crashed", "failed") and web["restarts"] == restarts


def test_on_failure_leaves_a_clean_exit_alone(app: SystemdApp) -> None:
    """restart = on-failure and exit 0: done, not restarted, and deploy does not wait for it, nor start it again
    because it ended before the deploy had looked for enabled instances that do not run."""
    app.write('''
    [app]
    name = "{app}"

    [processes.task]
    command = "echo done >> done.txt"
    restart = "on-failure"
    ''')
    app.ok("deploy", "-q", "--timeout", "20")
    task = next(i for i in app.ps()["instances"] if i["name"] == "task.1")
    assert task["state"] == "exited" and task["restarts"] == 0
    assert (app.folder / "done.txt").read_text() == "done\n"  # started once


def test_resources_become_cgroup_limits(app: SystemdApp) -> None:
    """cpu = 0.5 and memory = 64M as systemd applies them to the instance."""
    app.write('''
    [app]
    name = "{app}"

    [processes.web]
    command = "exec sleep 1000"
    resources = { cpu = 0.5, memory = "64M" }
    ''')
    app.ok("deploy", "-q")
    unit = app.unit("web", 1)
    assert app.systemctl("show", "-p", "CPUQuotaPerSecUSec", "--value", unit) == "500ms"
    assert app.systemctl("show", "-p", "MemoryMax", "--value", unit) == str(64 * 2**20)


def test_a_unit_procfleet_did_not_write_is_never_touched(app: SystemdApp) -> None:
    """A hand-written unit with the name a type would get: deploy refuses (exit 1) and the file stays as it was."""
    app.unit_dir().mkdir(parents=True, exist_ok=True)
    theirs = app.unit_dir() / f"{app.name}-web@.service"
    theirs.write_text("[Service]\nExecStart=/bin/sleep 1000\n")
    try:
        app.write('''
        [app]
        name = "{app}"

        [processes.web]
        command = "exec sleep 1000"
        ''')
        result = app.cli("deploy", "-q")
        assert result.code == 1 and "procfleet did not write it" in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert theirs.read_text() == "[Service]\nExecStart=/bin/sleep 1000\n"
        app.ok("down", "-q")
        assert theirs.exists()
    finally:
        theirs.unlink()


def test_run_passes_the_environment_and_the_exit_status(app: SystemdApp) -> None:
    """A one-off through systemd-run: the app's env, PROCFLEET_PROCESS=run.1, the type's next PORT, its status."""
    (app.folder / ".env").write_text("GREETING=hello\n")
    app.write('''
    [app]
    name = "{app}"
    env_file = [".env"]

    [processes.web]
    command = "exec sleep 1000"
    count = 2
    ''')
    app.ok("deploy", "-q")
    result = app.cli("run", "--type", "web", "--", "sh", "-c",
                     'echo "$GREETING $PROCFLEET_PROCESS $PORT $PWD" > run.txt; exit 7')
    assert result.code == 7
    assert (app.folder / "run.txt").read_text() == f"hello run.1 5002 {app.folder}\n"
    status = app.cli("run", "--", "sh", "-c", "exit 0")
    assert status.code == 0
