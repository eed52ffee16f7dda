"""ps, logs, down and run on Nomad."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import pytest

from procfleet.loader import load
from procfleet_nomad.translate import translate
from tests.backends.nomad.formations import NOMAD_EXAMPLES, example
from tests.integration.nomad.conftest import FORMATION, Agent, Project


def test_ps_reads_the_job_its_scale_status_and_its_allocations(project: Project, agent: Agent) -> None:
    """Per type desired/placed/running/healthy; per allocation name, node, status."""
    project.write()
    assert project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout)).code == 0
    if agent.sim is not None:
        agent.sim.clear_requests()
    result = project.cli("ps", "-b", "nomad", "--json")
    assert result.code == 0, result.err
    status = json.loads(result.out)
    assert status["types"]["web"] == {"desired": 2, "running": 2, "healthy": 2, "placed": 2, "done": 0}
    assert status["types"]["worker"] == {"desired": 1, "running": 1, "healthy": None, "placed": 1, "done": 0}
    rows = [(i["name"], i["platform_name"], i["process"], i["state"], i["healthy"]) for i in status["instances"]]
    assert rows == [("web.1", f"{project.app}.web[0]", "web", "running", True),
                    ("web.2", f"{project.app}.web[1]", "web", "running", True),
                    ("worker.1", f"{project.app}.worker[0]", "worker", "running", None)]
    assert all(i["node"] for i in status["instances"])
    table = project.cli("ps", "-b", "nomad")
    assert "worker.1" in table.out
    if agent.sim is not None:
        assert [(r.method, r.path) for r in agent.sim.requests[:3]] == [
            ("GET", f"/v1/job/{project.app}"), ("GET", f"/v1/job/{project.app}/scale"),
            ("GET", f"/v1/job/{project.app}/allocations")]
        assert "nomad-sim-client" in table.out


def test_ps_of_an_app_that_is_not_deployed(project: Project) -> None:
    project.write()
    result = project.cli("ps", "-b", "nomad")  # as on every backend: nothing runs, which is not an error
    assert result.code == 0
    assert f"nothing of {project.app} runs on nomad" in result.err and "procfleet deploy -b nomad" in result.err
    logs = project.cli("logs", "-b", "nomad")
    assert logs.code == 1 and f"nothing to show: {project.app} is not deployed on nomad" in logs.err


@pytest.mark.scripted
def test_logs_through_the_client_fs_api(project: Project, agent: Agent) -> None:
    """stdout to stdout and stderr to stderr, each line prefixed with the time it was read and the instance,
    --tail per stream."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    for alloc in sim.allocations(project.app):
        name = alloc["Name"].removeprefix(f"{project.app}.")
        sim.write_log(alloc["ID"], alloc["TaskGroup"], f"{name} started\n{name} ready\n")
        sim.write_log(alloc["ID"], alloc["TaskGroup"], f"{name} warning\n", stream="stderr")
    result = project.cli("logs", "web", "-b", "nomad")
    assert result.code == 0, result.err
    assert [line[9:] for line in result.out.splitlines()] == ["web.1 | web[0] started", "web.1 | web[0] ready",
                                                              "web.2 | web[1] started", "web.2 | web[1] ready"]
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in result.out.splitlines())
    assert [line[9:] for line in result.err.splitlines()] == ["web.1 | web[0] warning", "web.2 | web[1] warning"]
    tail = project.cli("logs", "--tail", "1", "--no-timestamps", "-b", "nomad")
    assert tail.out.splitlines() == ["web.1    | web[0] ready", "web.2    | web[1] ready",
                                     "worker.1 | worker[0] ready"]
    logs = [r for r in sim.requests if r.path.startswith("/v1/client/fs/logs/")]
    assert {r.query["plain"][0] for r in logs} == {"true"}
    assert logs[-1].query["origin"] == ["end"]


@pytest.mark.scripted
def test_logs_follow_reads_every_stream_at_once(project: Project, agent: Agent) -> None:
    """-f streams each task's stdout and stderr, from the start or after the --tail lines (the simulator's
    stream ends with what exists; Nomad's goes on)."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    (worker,) = [a for a in sim.allocations(project.app) if a["TaskGroup"] == "worker"]
    sim.write_log(worker["ID"], "worker", "one\ntwo\n")
    sim.write_log(worker["ID"], "worker", "oops\n", stream="stderr")
    everything = project.cli("logs", "-f", "worker", "--no-timestamps", "-b", "nomad")
    assert everything.code == 0, everything.err
    assert everything.out.splitlines() == ["worker.1 | one", "worker.1 | two"]
    assert everything.err.splitlines() == ["worker.1 | oops"]
    sim.clear_requests()
    tail = project.cli("logs", "-f", "--tail", "1", "worker", "--no-timestamps", "-b", "nomad")
    assert tail.code == 0, tail.err
    assert tail.out.splitlines() == ["worker.1 | two"] and tail.err.splitlines() == ["worker.1 | oops"]
    asked = {(r.query["follow"][0], r.query["origin"][0]) for r in sim.requests if "/client/fs/logs/" in r.path}
    assert asked == {("false", "end"), ("true", "end")}  # the tail, then only what comes next


@pytest.mark.scripted
def test_logs_of_an_allocation_that_has_not_started(project: Project, agent: Agent) -> None:
    """Nomad answers 404 "task … not started yet" for a pending allocation (client/fs_endpoint.go): the others'
    logs are printed, that one gets a line saying why, and the exit status is 0 while any were printed."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    sim.set_auto_progress(run=False, healthy=False)
    assert project.cli("scale", "worker=2", "-b", "nomad").code == 0
    running = next(a for a in sim.allocations(project.app) if a["Name"].endswith("worker[0]"))
    sim.write_log(running["ID"], "worker", "working\n")
    result = project.cli("logs", "worker", "--no-timestamps", "-b", "nomad")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["worker.1 | working"]
    assert result.err.startswith("worker.2 | (no logs: ")
    assert 'task "worker" not started yet. No logs available' in result.err
    assert project.cli("logs", "worker", "-b", "nomad").code == 0
    for alloc in sim.allocations(project.app):
        if alloc["Name"].endswith("worker[0]"):
            sim.fail_allocation(alloc["ID"])
    sim.set_logs_available(False)
    assert project.cli("logs", "worker", "-b", "nomad").code == 1  # none could be read


@pytest.mark.scripted
def test_logs_since_skips_the_log_files_not_written_to_since(project: Project, agent: Agent) -> None:
    """Nomad keeps no time per line: --since lists each allocation's log files (fs/ls) and reads only those
    written to since then, from where they begin; a type quiet since has nothing to show (exit 0)."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    allocs = {alloc["TaskGroup"]: alloc for alloc in sim.allocations(project.app)}
    sim.write_log(allocs["web"]["ID"], "web", "early\n")
    sim.write_log(allocs["worker"]["ID"], "worker", "early\n")
    time.sleep(0.05)
    since = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    sim.write_log(allocs["worker"]["ID"], "worker", "late\n")
    recent = project.cli("logs", "--since", since, "--no-timestamps", "-b", "nomad")
    assert (recent.code, recent.out.splitlines()) == (0, ["worker.1 | early", "worker.1 | late"])  # the file whole
    assert any(r.path.startswith("/v1/client/fs/ls/") and r.query["path"] == ["alloc/logs"] for r in sim.requests)
    quiet = project.cli("logs", "web", "--since", since, "-b", "nomad")
    assert (quiet.code, quiet.out) == (0, "")
    assert quiet.err.startswith(f"nothing to show: no log line from web of {project.app} on nomad since ")
    sim.clear_requests()
    follow = project.cli("logs", "-f", "--since", since, "--no-timestamps", "web", "worker", "-b", "nomad")
    assert follow.out.splitlines() == ["worker.1 | early", "worker.1 | late"], follow.err
    asked = {(r.path.rsplit("/", 1)[-1][:8], r.query["type"][0], r.query["origin"][0]) for r in sim.requests
             if "/client/fs/logs/" in r.path}  # the worker's stdout from its start, every quiet stream from its end
    assert (allocs["worker"]["ID"][:8], "stdout", "start") in asked and all(
        origin == "end" for alloc, stream, origin in asked if (alloc, stream) != (allocs["worker"]["ID"][:8], "stdout"))


def test_logs_when_the_agent_cannot_serve_them(project: Project, agent: Agent) -> None:
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    sim.set_logs_available(False)
    result = project.cli("logs", "worker", "-b", "nomad")
    assert result.code == 1
    assert f"the logs of worker.1 are not available through {sim.address}" in result.err
    assert "No path to node" in result.err and "client node that runs allocation" in result.err


def test_down_deregisters_and_purge_purges(project: Project, agent: Agent) -> None:
    """down stops the job (it stays readable, Stop=true); --purge removes it; nothing left is not an error."""
    project.write()
    assert project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout)).code == 0
    assert project.cli("down", "-b", "nomad").code == 0
    assert (agent.job(project.app) or {})["Stop"] is True
    assert agent.live_allocations(project.app) == []
    stopped = project.cli("ps", "-b", "nomad", "--json")
    assert stopped.code == 0 and not json.loads(stopped.out)["instances"], stopped.out
    assert all(item["desired"] == 0 for item in json.loads(stopped.out)["types"].values()), stopped.out
    assert project.cli("down", "--purge", "-b", "nomad").code == 0
    assert agent.job(project.app) is None
    again = project.cli("down", "-b", "nomad")
    assert again.code == 0 and "nothing to stop" in again.err
    if agent.sim is not None:
        deletes = [(r.path, r.query.get("purge")) for r in agent.sim.requests if r.method == "DELETE"]
        assert deletes == [(f"/v1/job/{project.app}", None), (f"/v1/job/{project.app}", ["true"])]


def test_a_stopped_job_deploys_again(project: Project, agent: Agent) -> None:
    project.write()
    timeout = ("--timeout", str(agent.timeout))
    assert project.cli("deploy", "-b", "nomad", *timeout).code == 0
    assert project.cli("down", "-b", "nomad").code == 0
    result = project.cli("deploy", "-b", "nomad", *timeout)
    assert result.code == 0, result.err
    assert (agent.job(project.app) or {})["Stop"] is False
    assert len(agent.live_allocations(project.app)) == 3


def test_run_is_not_offered(project: Project) -> None:
    project.write()
    result = project.cli("run", "-b", "nomad", "--", "env")
    assert result.code == 2 and "nomad alloc exec" in result.err


@pytest.mark.parametrize("name", NOMAD_EXAMPLES)
def test_the_agent_validates_every_example_job(agent: Agent, name: str) -> None:
    """POST /v1/validate/job accepts each rendered example (the strict simulator also checks driver config)."""
    job = translate(example(name)).job
    answer = agent.http("POST", "/v1/validate/job", json={"Job": job})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ValidationErrors"] in (None, []), answer.json()["Error"]


def test_the_test_formation_is_valid_too(agent: Agent, project: Project) -> None:
    job = translate(load(project.write(FORMATION), project.folder, {})).job
    answer = agent.http("POST", "/v1/validate/job", json={"Job": job})
    assert answer.status_code == 200 and answer.json()["ValidationErrors"] in (None, []), answer.text
