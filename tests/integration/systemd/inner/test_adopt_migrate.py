"""import --from-backend systemd adopts what runs; migrate --from local --to systemd carries the live counts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib

from tests.integration.systemd.inner.conftest import SystemdApp, eventually

FORMATION = """
[app]
name = "{app}"
env_file = [".env"]
env = { PRICE = "$5 100%" }

[processes.web]
command = "echo \\"$PROCFLEET_PROCESS\\" > seen.$PROCFLEET_PROCESS; exec sleep 1000"
port = 8000
stop_signal = "SIGINT"
stop_timeout = "2s"

[processes.clock]
entrypoint = ["sleep"]
args = ["1000"]
restart = "on-failure"
resources = { memory = "64M" }
"""


def test_adopt_reads_the_units_at_their_live_counts_and_changes_nothing(app: SystemdApp) -> None:
    """Deployed and scaled live; adopted into another folder: the same definition, the live counts, the same PIDs,
    and a plan from the adopted file with nothing to do."""
    (app.folder / ".env").write_text("GREETING='hi $x'\n")
    app.write(FORMATION, options="base_port = 7000")
    app.ok("deploy", "-q")
    app.ok("scale", "web=3", "-q")
    pids = [app.pid("web", n) for n in (1, 2, 3)]
    adopted = app.folder / "adopted" / "formation.toml"
    result = app.run_cli("import", "--from-backend", "systemd", "--app", app.name, "-f", str(adopted), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["counts"] == {"web": 3, "clock": 1} and report["backend"] == "systemd"
    written = tomllib.loads(adopted.read_text())
    assert written["app"]["env"] == {"GREETING": "hi $x", "PRICE": "$5 100%"}
    web = written["processes"]["web"]
    assert (web["command"], web["port"], web["stop_signal"], web["stop_timeout"]) == (
        'echo "$PROCFLEET_PROCESS" > seen.$PROCFLEET_PROCESS; exec sleep 1000', 8000, "SIGINT", "2s")
    clock = written["processes"]["clock"]
    assert (clock["entrypoint"], clock["args"], clock["restart"]) == (["sleep"], ["1000"], "on-failure")
    assert written["backends"]["systemd"]["base_port"] == 7000
    assert written["backends"]["systemd"]["working_directory"] == str(app.folder)
    plan = app.run_cli("plan", "-b", "systemd", "--exit-code", "-f", str(adopted))
    assert plan.code == 0, plan.out + plan.err
    assert [app.pid("web", n) for n in (1, 2, 3)] == pids


def test_migrate_from_local_to_systemd_with_the_live_counts(app: SystemdApp) -> None:
    """A local supervisor runs web at 2 (scaled live); migrate starts 2 web instances under systemd, drains local."""
    app.write(FORMATION.replace('env_file = [".env"]\n', "").replace("port = 8000\n", "port = 8000\ncount = 1\n"))
    env = {**os.environ, "NO_COLOR": "1"}
    supervisor = subprocess.Popen([sys.executable, "-m", "procfleet", "-b", "local", "deploy", "-q"], cwd=app.folder,
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        eventually(lambda: '"running": 1' in app.run_cli("-b", "local", "ps", "--json").out, timeout=20)
        app.run_cli("-b", "local", "scale", "web=2", "--wait")
        result = app.run_cli("migrate", "--from", "local", "--to", "systemd", "--drain")
        assert result.code == 0, result.err
        assert [app.active("web", n) for n in (1, 2)] == ["active", "active"]
        eventually((app.folder / "seen.web.2").exists)
        local = json.loads(app.run_cli("-b", "local", "ps", "--json").out)
        assert {name: t["running"] for name, t in local["types"].items()} == {"web": 0, "clock": 0}
    finally:
        subprocess.run([sys.executable, "-m", "procfleet", "-b", "local", "down", "-q"], cwd=app.folder, env=env,
                       timeout=30, check=False)
        supervisor.wait(timeout=30)
        time.sleep(0.1)
