"""No value can wedge the local supervisor: what cannot start says so, the rest runs, and down and Ctrl-C work."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from procfleet.cli import main
from tests.integration.local.harness import LocalApp, eventually, pid_alive

# Linux refuses to exec with any one argument or environment string past MAX_ARG_STRLEN (32 pages, 128 KiB):
# the formation is valid, and the spawn fails with E2BIG inside the running supervisor.
TOO_LONG = 200_000


@pytest.mark.parametrize(("table", "key"), [
    ('command = "sleep\\u0000 60"', "processes.web.command"),
    ('command = "sleep 60"\nenv = { GREETING = "hi\\u0000there" }', "processes.web.env.GREETING"),
], ids=["command", "env"])
def test_a_nul_byte_is_a_formation_error_and_no_supervisor_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   table: str, key: str) -> None:
    """exec cannot carry a NUL: the instance would stay `starting` forever. It is refused before anything runs."""
    path = tmp_path / "formation.toml"
    path.write_text(f'[app]\nname = "nul"\n[processes.web]\n{table}\n')
    for command in (["check"], ["deploy"]):
        assert main(["-f", str(path), *command]) == 2
        err = capsys.readouterr().err
        assert f"formation.toml: {key}:" in err and "NUL" in err and len(err.strip().splitlines()) == 1, err


def test_an_instance_that_cannot_be_spawned_says_so_and_the_rest_runs_and_stops(tmp_path: Path) -> None:
    app = LocalApp(tmp_path)
    app.write(f'''
        [processes.web]
        command = "sleep 60"
        stop_timeout = "1s"

        [processes.huge]
        command = "sleep 60"
        env = {{ BLOB = "{'x' * TOO_LONG}" }}
    ''')
    try:
        supervisor = app.deploy()
        supervisor.wait_for("system", r"^huge\.1 could not start: .*Argument list too long")
        web = supervisor.pid_of("web.1")
        assert app.counts()["web"] == (1, 1) and app.counts()["huge"][1] == 0
        assert "Traceback" not in supervisor.output()
        # a scale while one type cannot start reaches the supervisor as usual
        assert app.cli_process("scale", "web=2").returncode == 0
        eventually(lambda: app.counts()["web"] == (2, 2), what="web scaled to 2")
        supervisor.process.send_signal(signal.SIGINT)  # Ctrl-C in the supervisor's terminal
        assert supervisor.exit_code() in (0, 130)
        eventually(lambda: not pid_alive(web), what="web.1 stopped by Ctrl-C")
    finally:
        app.cleanup()


def test_down_stops_a_supervisor_whose_instance_cannot_be_spawned(tmp_path: Path) -> None:
    app = LocalApp(tmp_path)
    app.write(f'[processes.huge]\ncommand = "sleep 60"\nenv = {{ BLOB = "{"x" * TOO_LONG}" }}\n')
    try:
        supervisor = app.deploy()
        supervisor.wait_for("system", r"^huge\.1 could not start")
        done = subprocess.run([sys.executable, "-m", "procfleet", "down"], cwd=app.folder, env=app.env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert supervisor.exit_code() == 0 and "Traceback" not in supervisor.output()
    finally:
        app.cleanup()
