"""deploy on a real engine: the plan applied, waited for, and a second deploy recreating nothing."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.integration.compose.conftest import ComposeApp
from tests.integration.engine_app import TICK, WEB, docker

pytestmark = pytest.mark.engine("docker")

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
stop_timeout = "1s"

[processes.worker]
command = "{TICK}"
stop_timeout = "1s"

[backends.compose]
host_ip = "127.0.0.1"
"""


def test_deploy_runs_every_type_healthy_and_publishes_ports(app: ComposeApp) -> None:
    """Two healthy web containers on distinct ephemeral ports that answer, one worker; the status is printed."""
    app.write(FORMATION)
    result = app.ok("deploy")
    assert "plan for" in result.err and "waiting:" in result.err
    assert " Started" not in result.err  # Compose's own event lines only with -v
    assert result.err.splitlines()[-1] == f"{app.name} on compose runs web 2 (2 healthy), worker 1"
    assert "web.1" in result.out and "worker.1" in result.out  # the status table, under procfleet's names
    status = app.ps()
    assert status["types"]["web"] == {"desired": 2, "running": 2, "healthy": 2, "placed": None, "done": 0}
    assert status["types"]["worker"] == {"desired": 1, "running": 1, "healthy": None, "placed": None, "done": 0}
    ports = [i["ports"] for i in status["instances"] if i["process"] == "web"]
    assert len(set(ports)) == 2 and all(p.startswith("127.0.0.1:") for p in ports)
    for published in ports:
        host_port = published.split("->")[0].rsplit(":", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{host_port}/", timeout=5) as response:
            assert response.read() == b"ok\n"
    labels = app.inspect(f"{app.name}-web-1")["Config"]["Labels"]
    assert labels["procfleet.app"] == app.name and labels["procfleet.process"] == "web"
    assert json.loads(docker("network", "inspect", f"{app.name}_default"))[0]["Labels"]["procfleet.app"] == app.name


def test_second_deploy_recreates_nothing(app: ComposeApp) -> None:
    """Same formation again: plan --exit-code says nothing is pending, and every container keeps its ID."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    before = app.containers()
    started = {name: app.inspect(name)["State"]["StartedAt"] for name in before}
    assert app.cli("plan", "--exit-code").code == 0
    app.ok("deploy")
    assert app.containers() == before
    assert {name: app.inspect(name)["State"]["StartedAt"] for name in before} == started


def test_a_changed_type_is_recreated_alone_and_a_removed_type_removed(app: ComposeApp) -> None:
    """plan shows the change (exit 3); deploy recreates that type only; a type gone from the file goes."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    web = app.containers("web")
    app.write(FORMATION.replace('stop_timeout = "1s"\n\n[backends', 'stop_timeout = "1s"\nenv = { N = "2" }\n\n'
                                                                      "[backends"))
    pending = app.cli("plan", "--exit-code", "--json")
    assert pending.code == 3
    changes = {c["process"]: c for c in json.loads(pending.out)["changes"]}
    assert changes["worker"]["action"] == "change" and changes["worker"]["definition_changed"]
    assert [field["key"] for field in changes["worker"]["fields"]] == ["env.N"], changes["worker"]
    assert changes["web"]["action"] == "unchanged"
    old_worker = app.containers("worker")
    app.ok("deploy", "-q")
    assert app.containers("web") == web
    assert set(app.containers("worker").values()).isdisjoint(old_worker.values())
    assert "N=2" in app.inspect(f"{app.name}-worker-1")["Config"]["Env"]

    app.write(FORMATION.split("[processes.worker]", maxsplit=1)[0] + '[backends.compose]\nhost_ip = "127.0.0.1"\n')
    removal = {c["process"]: c for c in json.loads(app.ok("plan", "--json").out)["changes"]}
    assert removal["worker"] == {"process": "worker", "action": "remove", "current": 1, "desired": 0,
                                 "reason": "removed", "definition_changed": False, "fields": []}
    app.ok("deploy", "-q")
    assert app.containers("worker") == {} and app.containers("web") == web


def test_count_rules_and_keep_counts(app: ComposeApp) -> None:
    """A count in the file wins at deploy; a type without one keeps its live count; --keep-counts keeps both."""
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
    """)
    app.ok("deploy", "-q")
    app.ok("scale", "pinned=3", "free=2")
    plan = {c["process"]: c for c in json.loads(app.ok("plan", "--json").out)["changes"]}
    assert (plan["pinned"]["action"], plan["pinned"]["current"], plan["pinned"]["desired"], plan["pinned"]["reason"]) \
        == ("scale", 3, 1, "file")
    assert (plan["free"]["action"], plan["free"]["desired"], plan["free"]["reason"]) == ("unchanged", 2, "kept")
    kept = {c["process"]: c["desired"] for c in json.loads(app.ok("plan", "--json", "--keep-counts").out)["changes"]}
    assert kept == {"pinned": 3, "free": 2}
    app.ok("deploy", "-q", "--keep-counts")
    assert len(app.containers("pinned")) == 3
    app.ok("deploy", "-q")
    assert sorted(app.containers("pinned")) == [f"{app.name}-pinned-1"]
    assert len(app.containers("free")) == 2


def test_a_type_scaled_to_zero_stays_at_zero(app: ComposeApp) -> None:
    """No containers, but procfleet's copy remembers the 0: deploy keeps it (the platform owns the count)."""
    app.write(f"""
        [app]
        name = "{{app}}"
        image = "{{image}}"

        [processes.web]
        command = "{TICK}"
        stop_timeout = "0s"

        [processes.worker]
        command = "{TICK}"
        stop_timeout = "0s"
    """)
    app.ok("deploy", "-q")
    app.ok("scale", "worker=0")
    plan = {c["process"]: c for c in json.loads(app.ok("plan", "--json").out)["changes"]}
    assert (plan["worker"]["action"], plan["worker"]["current"], plan["worker"]["desired"]) == ("unchanged", 0, 0)
    app.ok("deploy", "-q")
    assert app.containers("worker") == {}


def test_never_overwrites_a_compose_file_it_did_not_write(app: ComposeApp) -> None:
    """A hand-written file where procfleet keeps its copy: deploy exits 2, the file is intact, nothing runs."""
    app.write(FORMATION)
    mine = app.folder / ".procfleet" / "compose" / f"{app.name}.yaml"
    mine.parent.mkdir(parents=True)
    mine.write_text("services:\n  mine:\n    image: x\n")
    result = app.cli("deploy")
    assert result.code == 2
    assert "was not written by procfleet: not overwriting it" in result.err
    assert mine.read_text() == "services:\n  mine:\n    image: x\n"
    assert app.containers() == {}
