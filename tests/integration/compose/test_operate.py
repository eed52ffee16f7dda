"""ps, logs, run and down on a real engine."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.integration.compose.conftest import ComposeApp
from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.engine_app import TICK, WEB, docker

pytestmark = pytest.mark.engine("docker")

FORMATION = f"""
[app]
name = "{{app}}"
image = "{{image}}"
env = {{ GREETING = "hello there" }}

[processes.web]
command = "{WEB}"
count = 1
port = 8080
stop_timeout = "0s"

[processes.worker]
command = 'echo "started $PROCFLEET_PROCESS"; {TICK}'
count = 2
stop_timeout = "0s"
"""


def test_ps_table_and_json(app: ComposeApp) -> None:
    """Per type desired/running/healthy; per container name, state, health, published ports."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    table = app.ok("ps").out
    assert "desired" in table and "worker.2" in table and "127.0.0.1:" not in table
    assert f"{app.name}-worker-2" in app.ok("ps", "--wide").out  # the container's own name, for docker's CLI
    data = app.ps()
    assert data["backend"] == "compose" and data["app"] == app.name
    assert data["types"]["worker"] == {"desired": 2, "running": 2, "healthy": None, "placed": None, "done": 0}
    web = next(i for i in data["instances"] if i["process"] == "web")
    assert (web["name"], web["platform_name"]) == ("web.1", f"{app.name}-web-1")
    assert web["state"] == "running" and web["healthy"] is None
    assert web["ports"].endswith("->8080/tcp")


def test_logs_by_type_tail_and_follow(app: ComposeApp) -> None:
    """logs TYPE --tail N prints N lines per container; -f keeps printing until interrupted."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    time.sleep(2)
    everything = app.ok("logs", "worker").out
    assert "started worker" in everything and "tick" in everything
    tail = app.ok("logs", "worker", "--tail", "1").out.splitlines()
    assert len(tail) == 2 and all("tick" in line for line in tail)
    assert {line.split("|")[0].split()[-1] for line in tail} == {"worker.1", "worker.2"}  # procfleet's instance names
    unknown = app.cli("logs", "wroker")
    assert unknown.code == 2 and 'did you mean "worker"' in unknown.err

    follow = subprocess.Popen([sys.executable, "-m", "procfleet", "logs", "-b", "compose", "-f", "worker",
                               "--tail", "0"], cwd=app.folder, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "NO_COLOR": "1"})
    try:
        assert follow.stdout is not None
        line = follow.stdout.readline()  # a new line within about a second
        assert "tick" in line
    finally:
        follow.terminate()
        follow.wait(timeout=10)
        if follow.stdout is not None:
            follow.stdout.close()


def test_run_a_one_off_with_the_apps_image_and_env(app: ComposeApp) -> None:
    """run -- CMD: the app's image, env and network; argv reaches the container as given; its status is passed on."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    result = app.cli("run", "--", "sh", "-c", 'echo "$GREETING from $PROCFLEET_PROCESS"; wget -q -O- http://web:8080/;'
                     " exit 7")
    assert result.code == 7
    assert "hello there from web" in result.out and "ok" in result.out.splitlines()
    literal = app.cli("run", "--type", "worker", "--", "echo", "$HOME", "a b")
    assert literal.code == 0 and literal.out.strip() == "$HOME a b"
    assert docker("ps", "-aq", "--filter", f"label=procfleet.app={app.name}",
                  "--filter", "label=com.docker.compose.oneoff=True").strip() == ""


def test_down_removes_the_app_and_nothing_else(app: ComposeApp) -> None:
    """Containers, one-offs, network and procfleet's copy go; an unrelated container keeps running."""
    unrelated = f"{app.name}-unrelated"
    docker("run", "-d", "--name", unrelated, "--label", "procfleet.app=someone-else", BUSYBOX_IMAGE, "sleep", "600")
    try:
        app.write(FORMATION)
        app.ok("deploy", "-q")
        stored = app.folder / ".procfleet" / "compose" / f"{app.name}.yaml"
        assert stored.exists()
        result = app.ok("down")
        assert f"{app.name} is down on compose" in result.err
        assert app.containers() == {}
        assert docker("network", "ls", "-q", "--filter", f"name={app.name}_default").strip() == ""
        assert not stored.exists()
        assert app.inspect(unrelated)["State"]["Status"] == "running"
        assert app.ok("down").code == 0  # again: nothing to do, still fine
    finally:
        docker("rm", "-f", unrelated, check=False)


def test_refuses_a_project_it_does_not_own(app: ComposeApp, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A Compose project of the same name made without procfleet: deploy and down refuse, its container stays."""
    theirs = tmp_path_factory.mktemp("theirs") / "compose.yaml"
    theirs.write_text(f"services:\n  db:\n    image: {BUSYBOX_IMAGE}\n    command: sleep 600\n")
    docker("compose", "-p", app.name, "-f", str(theirs), "up", "-d")
    try:
        app.write(FORMATION)
        for command in ("deploy", "down"):
            result = app.cli(command)
            assert result.code == 1
            assert f'the Compose project "{app.name}" has containers procfleet did not create' in result.err
        assert app.inspect(f"{app.name}-db-1")["State"]["Status"] == "running"
    finally:
        docker("compose", "-p", app.name, "-f", str(theirs), "down", "-t", "0", check=False)
