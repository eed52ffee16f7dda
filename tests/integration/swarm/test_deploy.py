"""deploy on a real swarm: the stack applied and waited for, and a second deploy restarting no task (issue 6, 3)."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

from tests.integration.engine_app import TICK, WEB, docker
from tests.integration.swarm.conftest import NO_IPVS, SwarmApp

pytestmark = pytest.mark.engine("swarm")

FORMATION = f"""
[app]
name = "{{app}}"
image = "{{image}}"
env = {{ GREETING = "hi" }}

[processes.web]
command = "{WEB}"
count = 2
port = 8080
health = {{ http = "/", interval = "1s" }}
stop_timeout = "0s"

[processes.worker]
command = "{TICK}"
stop_timeout = "0s"
""" + NO_IPVS


def test_deploy_runs_every_type_healthy_and_a_second_deploy_restarts_no_task(app: SwarmApp) -> None:
    """Two healthy web tasks on distinct host ports that answer, one worker; labels on services, containers and
    the network; progress shown while waiting. The same formation again: plan --exit-code says nothing is
    pending, and no task is replaced."""
    app.write(FORMATION)
    result = app.ok("deploy")
    assert "plan for" in result.err and "waiting:" in result.err
    assert "Creating service" not in result.err  # docker stack deploy's own lines only with -v
    assert "web.2" in result.out
    assert result.err.splitlines()[-1].startswith(f"{app.name} on swarm runs web 2 (2 healthy), worker 1")
    status = app.ps()
    assert status["types"]["web"] == {"desired": 2, "running": 2, "healthy": 2, "placed": None, "done": 0}
    assert status["types"]["worker"] == {"desired": 1, "running": 1, "healthy": None, "placed": None, "done": 0}
    ports = [i["ports"] for i in status["instances"] if i["process"] == "web"]
    assert len(set(ports)) == 2
    for published in ports:
        host_port = published.split("->")[0].rsplit(":", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=5) as response:
            assert response.read() == b"ok\n"
    spec = app.service("web")["Spec"]
    owned = {"procfleet.app": app.name, "procfleet.process": "web"}
    assert owned.items() <= spec["Labels"].items() and "procfleet.fingerprint" in spec["Labels"]
    container_labels = spec["TaskTemplate"]["ContainerSpec"]["Labels"]
    assert container_labels["procfleet.fingerprint"] == spec["Labels"]["procfleet.fingerprint"]
    assert spec["UpdateConfig"]["Order"] == "start-first" and spec["UpdateConfig"]["FailureAction"] == "rollback"
    assert spec["TaskTemplate"]["RestartPolicy"]["Condition"] == "any"
    assert spec["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] == 0
    assert spec["EndpointSpec"]["Mode"] == "dnsrr"
    task = app.inspect_task(next(iter(app.tasks("web"))))
    container = json.loads(docker("inspect", task["Status"]["ContainerStatus"]["ContainerID"]))[0]
    assert owned.items() <= container["Config"]["Labels"].items()
    network = json.loads(docker("network", "inspect", f"{app.name}_swarm"))[0]
    assert network["Labels"]["procfleet.app"] == app.name and network["Attachable"] is True

    before = app.tasks(every=True)
    assert app.cli("plan", "--exit-code").code == 0
    again = app.ok("deploy")
    assert "no changes: the platform already runs this formation" in again.err
    time.sleep(1)  # a task Swarm were replacing would show by now
    assert app.tasks(every=True) == before


def test_a_changed_type_is_updated_alone_with_its_stop_signal_and_a_removed_type_removed(app: SwarmApp) -> None:
    """plan shows the change (exit 3); deploy replaces that type's task, stopping the old one with stop_signal
    (long before stop_timeout); the other type keeps its tasks; a type gone from the file is removed."""
    trapped = FORMATION.replace(f'command = "{TICK}"\nstop_timeout = "0s"',
                                "command = \"trap 'echo got INT; exit 0' INT; echo ready; "
                                'while true; do sleep 0.2; done"\nstop_signal = "SIGINT"\nstop_timeout = "30s"')
    app.write(trapped)
    app.ok("deploy", "-q")
    web = app.tasks("web")
    old_worker = app.tasks("worker")
    app.write(trapped.replace('stop_timeout = "30s"', 'stop_timeout = "30s"\nenv = { N = "2" }'))
    pending = app.cli("plan", "--exit-code", "--json")
    assert pending.code == 3
    changes = {c["process"]: c for c in json.loads(pending.out)["changes"]}
    assert changes["worker"]["action"] == "change" and changes["worker"]["definition_changed"]
    assert [field["key"] for field in changes["worker"]["fields"]] == ["env.N"], changes["worker"]
    assert changes["web"]["action"] == "unchanged"
    app.ok("deploy", "-q")
    assert app.tasks("web") == web
    assert set(app.tasks("worker")).isdisjoint(old_worker)
    assert "N=2" in app.service("worker")["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    old = next(iter(old_worker))
    # SIGINT ended the old task: it said so and exited 0 by itself (SIGKILL, 30 s later, would leave 137)
    assert docker("service", "logs", "--raw", old).split() == ["ready", "got", "INT"]
    ended = app.inspect_task(old)["Status"]
    assert (ended["State"], ended["ContainerStatus"]["ExitCode"]) == ("shutdown", 0), ended

    app.write(trapped.split("[processes.worker]", maxsplit=1)[0] + NO_IPVS)
    removal = {c["process"]: c for c in json.loads(app.ok("plan", "--json").out)["changes"]}
    assert removal["worker"] == {"process": "worker", "action": "remove", "current": 1, "desired": 0,
                                 "reason": "removed", "definition_changed": False, "fields": []}
    app.ok("deploy", "-q")
    assert app.services() == [f"{app.name}_web"] and app.tasks("web") == web


def test_dollar_reaches_the_tasks_shell_unchanged_beside_a_compose_network(app: SwarmApp) -> None:
    """`echo $HOME $$ ${X:-y}` is what the task's shell runs; env values and env-file values arrive as written
    (the env file read with Compose's rules: single quotes are literal and not part of the value). The Compose
    project's network of the same app (`<app>_default`, as during a migration) does not get in the way."""
    docker("network", "create", f"{app.name}_default")
    (app.folder / "app.env").write_text("FROM_FILE='a$b c'\n")
    app.write("""
        [app]
        name = "{app}"
        image = "{image}"
        env_file = ["app.env"]
        env = { PRICE = "5$ or $HOME" }

        [processes.echo]
        command = 'echo $HOME $$ ${X:-y}; echo "$PRICE"; echo "$FROM_FILE"; exec sleep 600'
        stop_timeout = "0s"
    """)
    app.ok("deploy", "-q")
    container = app.service("echo")["Spec"]["TaskTemplate"]["ContainerSpec"]
    assert container["Args"] == ['echo $HOME $$ ${X:-y}; echo "$PRICE"; echo "$FROM_FILE"; exec sleep 600']
    assert {"PRICE=5$ or $HOME", "FROM_FILE=a$b c"} <= set(container["Env"])
    # The shell expands them: HOME is /root, $$ is its PID (a number), X is unset so ${X:-y} is y.
    lines = docker("service", "logs", "--raw", f"{app.name}_echo").splitlines()
    assert re.fullmatch(r"/root \d+ y", lines[0]) and lines[1:3] == ["5$ or $HOME", "a$b c"]
    app.ok("down")
    docker("network", "rm", f"{app.name}_default")  # not ours: down kept it (this fails if it is gone)


def test_count_rules_keep_counts_and_a_type_scaled_to_zero(app: SwarmApp) -> None:
    """A count in the file wins at deploy; a type without one keeps its live replicas (0 too); --keep-counts
    reads every live count first."""
    app.write(f"""
        [app]
        name = "{{app}}"
        image = "{{image}}"

        [processes.pinned]
        command = "{TICK}"
        count = 1
        stop_timeout = "0s"

        [processes.free]
        command = "{TICK}"
        stop_timeout = "0s"

        [processes.idle]
        command = "{TICK}"
        stop_timeout = "0s"
    """)
    app.ok("deploy", "-q")
    app.ok("scale", "pinned=3", "free=2", "idle=0")
    plan = {c["process"]: c for c in json.loads(app.ok("plan", "--json").out)["changes"]}
    assert (plan["pinned"]["action"], plan["pinned"]["current"], plan["pinned"]["desired"], plan["pinned"]["reason"]) \
        == ("scale", 3, 1, "file")
    assert (plan["free"]["action"], plan["free"]["desired"], plan["free"]["reason"]) == ("unchanged", 2, "kept")
    assert (plan["idle"]["action"], plan["idle"]["current"], plan["idle"]["desired"]) == ("unchanged", 0, 0)
    kept = {c["process"]: c["desired"] for c in json.loads(app.ok("plan", "--json", "--keep-counts").out)["changes"]}
    assert kept == {"pinned": 3, "free": 2, "idle": 0}
    app.ok("deploy", "-q", "--keep-counts")
    assert len(app.tasks("pinned")) == 3
    app.ok("deploy", "-q")
    assert app.service("pinned")["Spec"]["Mode"]["Replicated"]["Replicas"] == 1
    assert len(app.tasks("pinned")) == 1 and len(app.tasks("free")) == 2 and app.tasks("idle") == {}


def test_swarms_defaults_publish_through_the_routing_mesh(app: SwarmApp) -> None:
    """Without options: an ingress port Swarm picks and a VIP endpoint. The service converges (its probe runs in
    the task); answering on the mesh needs IPVS, which this machine's kernel lacks, so that part is not asked."""
    app.write(f"""
        [app]
        name = "{{app}}"
        image = "{{image}}"
        [processes.web]
        command = "{WEB}"
        port = 8080
        health = {{ http = "/", interval = "1s" }}
        stop_timeout = "0s"
    """)
    app.ok("deploy", "-q")
    endpoint = app.service("web")["Endpoint"]
    assert endpoint["Spec"]["Mode"] == "vip" and endpoint["VirtualIPs"]
    (port,) = endpoint["Ports"]
    assert port["PublishMode"] == "ingress" and port["TargetPort"] == 8080 and port["PublishedPort"] >= 30000
    web = next(i for i in app.ps()["instances"] if i["process"] == "web")
    assert web["ports"] == f"*:{port['PublishedPort']}->8080/tcp" and web["healthy"] is True
