"""ps, logs, run and down on a real swarm (issue 6, point 5)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.engine_app import TICK, WEB, docker
from tests.integration.swarm.conftest import NO_IPVS, SwarmApp

pytestmark = pytest.mark.engine("swarm")

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
""" + NO_IPVS


def test_ps_logs_and_run(app: SwarmApp) -> None:
    """ps: per type desired/running, per task node/state/ports. logs: by type, --tail per task, -f. run: a
    one-off with the app's image and env on the stack's network, argv kept literal, its status passed on."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    table = app.ok("ps").out
    assert "desired" in table and "worker.2" in table and "node" in table
    assert f"{app.name}_worker.2" in app.ok("ps", "--wide").out  # the task's own name, for docker's CLI
    data = app.ps()
    assert data["backend"] == "swarm" and data["app"] == app.name
    assert data["types"]["worker"] == {"desired": 2, "running": 2, "healthy": None, "placed": None, "done": 0}
    hostname = docker("info", "--format", "{{.Name}}").strip()
    web = next(i for i in data["instances"] if i["process"] == "web")
    assert (web["name"], web["platform_name"], web["state"], web["node"], web["healthy"]) == \
        ("web.1", f"{app.name}_web.1", "running", hostname, None)
    assert web["ports"].endswith("->8080/tcp") and web["uptime"] is not None

    time.sleep(1.5)
    everything = app.ok("logs", "worker").out
    assert "started worker.1" in everything and "started worker.2" in everything and "tick" in everything
    tail = app.ok("logs", "worker", "--tail", "1").out.splitlines()
    assert len(tail) == 2 and all(line.rstrip().endswith("| tick") for line in tail)
    assert {line.split("|")[0].split()[-1] for line in tail} == {"worker.1", "worker.2"}  # not Swarm's own prefix
    unknown = app.cli("logs", "wroker")
    assert unknown.code == 2 and 'did you mean "worker"' in unknown.err
    follow = subprocess.Popen([sys.executable, "-m", "procfleet", "logs", "-b", "swarm", "-f", "--tail", "0"],
                              cwd=app.folder, stdout=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1"})
    try:
        assert follow.stdout is not None
        assert "tick" in follow.stdout.readline()  # a new line within about a second
    finally:
        follow.terminate()
        follow.wait(timeout=10)
        if follow.stdout is not None:
            follow.stdout.close()

    result = app.cli("run", "--", "sh", "-c", 'echo "$GREETING from $PROCFLEET_PROCESS"; wget -q -O- http://web:8080/;'
                     " exit 7")
    assert result.code == 7
    assert "hello there from web" in result.out and "ok" in result.out.splitlines()
    literal = app.cli("run", "--type", "worker", "--", "echo", "$HOME", "a b")
    assert literal.code == 0 and literal.out.strip() == "$HOME a b"
    assert docker("ps", "-aq", "--filter", f"label=procfleet.app={app.name}",
                  "--filter", "label=procfleet.oneoff=true").strip() == ""


def test_down_removes_the_stack_and_nothing_else(app: SwarmApp) -> None:
    """Services and, once down returns, the stack's network are gone; an unrelated service keeps running."""
    unrelated = f"{app.name}-unrelated"
    docker("service", "create", "-d", "--name", unrelated, "--label", "procfleet.app=someone-else",
           BUSYBOX_IMAGE, "sleep", "600")
    try:
        app.write(FORMATION)
        app.ok("deploy", "-q")
        result = app.ok("down")
        assert f"{app.name} is down on swarm" in result.err
        assert app.services() == []
        label = f"label=com.docker.stack.namespace={app.name}"
        assert docker("network", "ls", "-q", "--filter", label).strip() == ""
        assert docker("service", "ls", "-q", "--filter", f"name={unrelated}").strip()
        assert app.ok("down").code == 0  # again: nothing to do, still fine
    finally:
        docker("service", "rm", unrelated, check=False)


def test_refuses_a_stack_it_does_not_own(app: SwarmApp) -> None:
    """A stack of the same name deployed without procfleet: deploy, scale and down refuse; its service stays."""
    theirs = app.folder / "theirs.yaml"
    theirs.write_text(f'version: "3.8"\nservices:\n  db:\n    image: {BUSYBOX_IMAGE}\n    command: sleep 600\n')
    docker("stack", "deploy", "--resolve-image", "never", "-c", str(theirs), app.name)
    app.write(FORMATION)
    for command in (("deploy",), ("scale", "web=2"), ("down",)):
        result = app.cli(*command)
        assert result.code == 1
        assert f'the stack "{app.name}" has services procfleet did not create for {app.name} ({app.name}_db)' in \
            result.err
    assert app.services() == [f"{app.name}_db"]
