"""import --from-backend nomad: the job as Nomad holds it, at its live counts, read without changing anything."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.nomad.conftest import FORMATION, Agent, Project

# The docker driver maps the group port To the formation's port, so the job carries it back; with exec and raw_exec
# the task listens on the dynamic port itself, and procfleet's group meta keeps the formation's port (the last test).
DOCKER = """
[app]
name = "{app}"
image = "{image}"
env = {{ GREETING = "hello" }}

[processes.web]
command = "mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p $PORT -h /www"
count = 2
port = 8000
health = {{ http = "/", interval = "2s", timeout = "1s" }}
stop_timeout = "2s"

[processes.worker]
command = "sleep 3600"
stop_timeout = "2s"
resources = {{ cpu = 0.5, memory = "64M" }}
"""


def _has_server_additions(job: dict[str, Any] | None, group: str) -> None:
    """The group as the server stores it carries what no formation set: the constraints its KillSignal and Nomad
    service imply, each task's default workload identity, the service's Cluster and Namespace."""
    assert job is not None
    stored = next(g for g in job["TaskGroups"] if g["Name"] == group)
    implied = {(c["LTarget"], c["Operand"]) for c in stored["Constraints"]}
    assert {("${attr.os.signals}", "set_contains"), ("${attr.nomad.service_discovery}", "=")} <= implied
    assert all(task["Identity"]["Name"] == "default" for task in stored["Tasks"])
    service = stored["Services"][0]
    assert (service["Cluster"], service["Namespace"]) == ("default", "default")


def _no_warnings(stderr: str) -> None:
    """Nothing the server added is reported as not carried over."""
    assert "warning" not in stderr.lower() and "not carried over" not in stderr, stderr


def _marks(job: dict[str, Any] | None) -> tuple[Any, ...]:
    """What any change to a job moves: its version and both modify indexes."""
    assert job is not None
    return job["Version"], job["ModifyIndex"], job["JobModifyIndex"]


def test_adopt_writes_the_running_job_at_its_live_counts_and_changes_nothing(project: Project, agent: Agent) -> None:
    """Deployed elsewhere and scaled live: the adopted formation holds the live counts, Nomad sees only reads, and a
    plan from the adopted file right after changes nothing."""
    project.write(DOCKER, image=BUSYBOX_IMAGE)
    timeout = str(agent.timeout)
    assert project.cli("deploy", "-b", "nomad", "--timeout", timeout).code == 0
    assert project.cli("scale", "worker=3", "--wait", "-b", "nomad", "--timeout", timeout).code == 0
    before = _marks(agent.job(project.app))
    _has_server_additions(agent.job(project.app), "web")
    if agent.sim is not None:
        agent.sim.clear_requests()

    adopted = project.folder / "adopted" / "formation.toml"
    result = project.cli("import", "--from-backend", "nomad", "--app", project.app, "-f", str(adopted), "--json")
    assert result.code == 0, result.err
    _no_warnings(result.err)
    report = json.loads(result.out)
    assert (report["backend"], report["format"], report["app"]) == ("nomad", "nomad", project.app)
    assert report["counts"] == {"web": 2, "worker": 3} and report["source"] == f"nomad:job/{project.app}"
    assert report["warnings"] == []  # Nomad's own defaults in the job it returns are not reported
    written = tomllib.loads(adopted.read_text())
    assert written["app"] == {"name": project.app, "image": BUSYBOX_IMAGE, "env": {"GREETING": "hello"},
                              "backend": "nomad"}
    assert {name: p["count"] for name, p in written["processes"].items()} == {"web": 2, "worker": 3}
    assert written["processes"]["web"]["health"] == {"http": "/", "interval": "2s", "timeout": "1s"}
    assert written["processes"]["worker"]["resources"] == {"cpu": 0.5, "memory": "64M"}
    assert "resources" not in written["processes"]["web"]  # Nomad's defaults, 100 MHz and 300 MB, read as unset
    assert "backends" not in written
    assert adopted.read_text().startswith(f"# Adopted from Nomad job {project.app} version 1 at ")

    assert _marks(agent.job(project.app)) == before
    if agent.sim is not None:
        assert {(r.method, r.path) for r in agent.sim.requests} == {("GET", f"/v1/job/{project.app}")}
    plan = project.cli("plan", "-b", "nomad", "--exit-code", "-f", str(adopted), "--json")
    assert plan.code == 0, plan.out + plan.err
    assert {c["action"] for c in json.loads(plan.out)["changes"]} == {"unchanged"}
    _no_warnings(plan.err)


def test_adopt_never_overwrites_and_names_what_it_cannot_find(project: Project, agent: Agent) -> None:
    """An existing file needs --force (exit 2, untouched); an app that does not run is exit 1; both change nothing."""
    path = project.write(DOCKER, image=BUSYBOX_IMAGE)
    assert project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout)).code == 0
    original = path.read_text()
    refused = project.cli("import", "--from-backend", "nomad", "--app", project.app)
    assert refused.code == 2 and "already exists: pass --force" in refused.err
    assert path.read_text() == original
    missing = project.cli("import", "--from-backend", "nomad", "--app", "nothing-here", "--force")
    assert missing.code == 1 and 'nothing called "nothing-here" runs on nomad' in missing.err
    assert path.read_text() == original
    forced = project.cli("import", "--from-backend", "nomad", "--app", project.app, "--force")
    assert forced.code == 0, forced.err
    assert project.cli("plan", "-b", "nomad", "--exit-code").code == 0


def test_a_job_procfleet_did_not_register_is_adopted_with_a_warning(project: Project, agent: Agent) -> None:
    """A job registered by hand: its formation is written, with a warning that deploy will not take it over."""
    job: dict[str, Any] = {"Job": {"ID": project.app, "TaskGroups": [{"Name": "api_server", "Count": 2, "Tasks": [
        {"Name": "api", "Driver": "raw_exec", "Config": {"command": "/bin/sh", "args": ["-c", "sleep 600"]}}]}]}}
    assert agent.http("POST", "/v1/jobs", json=job).status_code == 200
    try:
        before = _marks(agent.job(project.app))
        result = project.cli("import", "--from-backend", "nomad", "--app", project.app)
        assert result.code == 0, result.err
        assert f"Nomad job {project.app} was not registered by procfleet" in result.err
        assert 'process type renamed "api-server"' in result.err
        written = tomllib.loads((project.folder / "formation.toml").read_text())
        assert written["processes"]["api-server"] == {"command": "sleep 600", "count": 2, "restart": "on-failure",
                                                      "stop_signal": "SIGINT", "stop_timeout": "5s"}
        assert _marks(agent.job(project.app)) == before
    finally:
        agent.http("DELETE", f"/v1/job/{project.app}", params={"purge": "true"})


def test_with_raw_exec_the_port_comes_back_from_procfleets_meta(project: Project, agent: Agent) -> None:
    """raw_exec listens on the dynamic port itself, so no `To` holds the formation's port: the group's
    `procfleet.port` meta does, and with it the http check; the adopted formation plans no change."""
    project.write(FORMATION)
    assert project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout)).code == 0
    job = agent.job(project.app)
    assert job is not None and job["TaskGroups"][0]["Meta"]["procfleet.port"] == "8000"
    _has_server_additions(job, "web")
    # What the server added does not read as a change of the formation that was deployed.
    deployed = project.cli("plan", "-b", "nomad", "--exit-code", "--json")
    assert deployed.code == 0, deployed.out + deployed.err
    assert {c["action"] for c in json.loads(deployed.out)["changes"]} == {"unchanged"}
    _no_warnings(deployed.err)
    adopted = project.folder / "adopted.toml"
    result = project.cli("import", "--from-backend", "nomad", "--app", project.app, "-f", str(adopted))
    assert result.code == 0, result.err
    _no_warnings(result.err)
    web = tomllib.loads(adopted.read_text())["processes"]["web"]
    assert web["port"] == 8000 and web["health"]["http"] == "/"
    plan = project.cli("plan", "-b", "nomad", "--exit-code", "-f", str(adopted), "--json")
    assert plan.code == 0, plan.out
    changes = {c["process"]: c["action"] for c in json.loads(plan.out)["changes"]}
    assert changes == {"web": "unchanged", "worker": "unchanged"}
    _no_warnings(plan.err)
