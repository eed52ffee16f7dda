"""deploy --backend nomad: one register with EnforceIndex, DESIGN §2's count rules, waiting, failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from procfleet.backend import Session, WaitOptions
from procfleet.errors import PlatformError
from procfleet.loader import load
from procfleet.plan import make_plan
from procfleet_nomad.backend import NomadBackend
from tests.integration.nomad.conftest import FORMATION, Agent, Project, eventually
from tests.nomad_sim.gotypes import SECOND, parse_duration


def test_deploy_ps_scale_plan_redeploy_down(project: Project, agent: Agent) -> None:
    """The whole round trip through `python -m procfleet`, against the simulator or a real agent."""
    project.write()
    timeout = str(agent.timeout)
    deployed = project.cli("deploy", "-b", "nomad", "--timeout", timeout, fresh=True)
    assert deployed.code == 0, deployed.err
    assert f"job {project.app} version 0 runs on" in deployed.err
    ps = project.cli("ps", "-b", "nomad", "--json", fresh=True)
    types = json.loads(ps.out)["types"]
    assert (types["web"]["desired"], types["web"]["running"], types["web"]["healthy"]) == (2, 2, 2)
    assert (types["worker"]["desired"], types["worker"]["running"], types["worker"]["healthy"]) == (1, 1, None)
    scaled = project.cli("scale", "worker=3", "--wait", "-b", "nomad", "--timeout", timeout, fresh=True)
    assert scaled.code == 0, scaled.err
    assert agent.counts(project.app) == {"web": 2, "worker": 3}
    assert project.cli("plan", "--exit-code", "-b", "nomad", fresh=True).code == 0  # worker's count is Nomad's to keep
    version = (agent.job(project.app) or {})["Version"]
    again = project.cli("deploy", "-b", "nomad", "--timeout", timeout, fresh=True)
    assert again.code == 0, again.err
    # nothing to change and every allocation up: nothing is registered at all, as terraform applies nothing
    assert "no changes: the platform already runs this formation" in again.err
    assert again.err.splitlines()[-1] == f"{project.app} on nomad runs web 2 (2 healthy), worker 3"
    assert (agent.job(project.app) or {})["Version"] == version
    down = project.cli("down", "--purge", "-b", "nomad", fresh=True)
    assert down.code == 0, down.err
    assert agent.job(project.app) is None


def test_first_deploy_is_one_register_with_enforce_index(project: Project, agent: Agent) -> None:
    """GET the job (404), POST /v1/jobs once with EnforceIndex and JobModifyIndex 0, then only reads."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    writes = [r for r in sim.requests if r.method != "GET"]
    assert [(r.method, r.path) for r in writes] == [("POST", "/v1/jobs")]
    body = writes[0].body
    assert (body["EnforceIndex"], body["JobModifyIndex"], body["PreserveCounts"]) == (True, 0, False)
    assert body["Job"]["ID"] == project.app
    assert sim.requests[0].method == "GET" and sim.requests[0].path == f"/v1/job/{project.app}"
    assert all(r.query.get("namespace") == ["default"] for r in sim.requests)
    assert agent.counts(project.app) == {"web": 2, "worker": 1}


def test_unchanged_deploy_makes_no_new_version(project: Project, agent: Agent) -> None:
    """A job that runs the formation, every allocation up: deploy registers nothing, so the version stays (and
    Nomad's own no-op detection, reference §1.7, is not even asked)."""
    project.write()
    timeout = str(agent.timeout)
    assert project.cli("deploy", "-b", "nomad", "--timeout", timeout).code == 0
    first = agent.job(project.app) or {}
    if agent.sim is not None:
        agent.sim.clear_requests()
    assert project.cli("deploy", "-b", "nomad", "--timeout", timeout).code == 0
    second = agent.job(project.app) or {}
    assert (second["Version"], second["JobModifyIndex"]) == (first["Version"], first["JobModifyIndex"])
    if agent.sim is not None:
        assert [r.path for r in agent.sim.requests if r.method != "GET"] == []


def test_deploy_force_puts_back_a_job_edited_outside_procfleet(project: Project, agent: Agent) -> None:
    """An edit made with Nomad's own tools (procfleet's meta left as it was) is not in the plan, which compares
    procfleet's fingerprints; `deploy --force` registers the formation's job all the same and puts it back."""
    project.write()
    timeout = str(agent.timeout)
    assert project.cli("deploy", "-b", "nomad", "--timeout", timeout).code == 0
    job = agent.job(project.app) or {}
    job["TaskGroups"][0]["Tasks"][0]["Env"] = {**(job["TaskGroups"][0]["Tasks"][0].get("Env") or {}),
                                                 "EDITED": "outside"}
    assert agent.http("POST", "/v1/jobs", json={"Job": job}).ok
    edited = (agent.job(project.app) or {})["Version"]

    def rolled_out() -> bool:  # the edit's own deployment done: every allocation up again
        deployment = agent.http("GET", f"/v1/job/{project.app}/deployment").json() or {}
        return deployment.get("JobVersion") == edited and deployment.get("Status") == "successful"

    eventually(rolled_out, timeout=agent.timeout, what="the edited job's deployment")
    assert project.cli("deploy", "-b", "nomad", "--timeout", timeout).code == 0
    assert (agent.job(project.app) or {})["Version"] == edited  # nothing changed by procfleet's lights
    forced = project.cli("deploy", "--force", "-b", "nomad", "--timeout", timeout)
    assert forced.code == 0, forced.err
    restored = agent.job(project.app) or {}
    assert restored["Version"] == edited + 1
    assert "EDITED" not in (restored["TaskGroups"][0]["Tasks"][0].get("Env") or {})


def test_count_rules_file_counts_return_platform_counts_stay_and_keep_counts(project: Project, agent: Agent) -> None:
    """DESIGN §2: a file count wins at deploy, an omitted count is kept, --keep-counts keeps all (PreserveCounts)."""
    project.write()
    timeout = ("--timeout", str(agent.timeout))
    assert project.cli("deploy", "-b", "nomad", *timeout).code == 0
    assert project.cli("scale", "web=5", "worker=4", "-b", "nomad", *timeout).code == 0
    redeployed = project.cli("deploy", "-b", "nomad", *timeout)
    assert redeployed.code == 0, redeployed.err
    assert agent.counts(project.app) == {"web": 2, "worker": 4}
    assert project.cli("scale", "web=5", "-b", "nomad", *timeout).code == 0
    version = (agent.job(project.app) or {})["Version"]
    if agent.sim is not None:
        agent.sim.clear_requests()
    kept = project.cli("deploy", "--keep-counts", "-b", "nomad", *timeout)
    assert kept.code == 0, kept.err
    assert agent.counts(project.app) == {"web": 5, "worker": 4}
    assert (agent.job(project.app) or {})["Version"] == version  # nothing changed, so no version either
    if agent.sim is not None:
        (register,) = [r for r in agent.sim.requests if r.method == "POST"]
        assert register.body["PreserveCounts"] is True
        assert [g["Count"] for g in register.body["Job"]["TaskGroups"]] == [5, 4]


def test_definition_change_is_a_new_version_and_waits_for_its_deployment(project: Project, agent: Agent) -> None:
    """A changed command replaces the allocations; deploy returns when the new version is healthy."""
    project.write()
    timeout = ("--timeout", str(agent.timeout))
    assert project.cli("deploy", "-b", "nomad", *timeout).code == 0
    project.write(FORMATION.replace("sleep 3600", "sleep 7200"))
    plan = project.cli("plan", "-b", "nomad", "--json")
    changes = {c["process"]: c for c in json.loads(plan.out)["changes"]}
    assert changes["worker"]["definition_changed"] and not changes["web"]["definition_changed"]
    result = project.cli("deploy", "-b", "nomad", *timeout)
    assert result.code == 0, result.err
    assert (agent.job(project.app) or {})["Version"] == 1
    live = agent.live_allocations(project.app)
    assert {a["JobVersion"] for a in live} == {1} and len(live) == 3


def test_no_wait_is_one_read_and_one_write(project: Project, agent: Agent) -> None:
    sim = agent.simulator()
    project.write()
    result = project.cli("deploy", "--no-wait", "-b", "nomad")
    assert result.code == 0, result.err
    assert [(r.method, r.path) for r in sim.requests] == [("GET", f"/v1/job/{project.app}"), ("POST", "/v1/jobs")]
    assert "not waiting" in result.err


@pytest.mark.scripted
def test_failed_deployment_reports_the_allocations_own_message(project: Project, agent: Agent) -> None:
    """Progress is shown while waiting; a failure names the allocation, its node and its task event."""
    sim = agent.simulator()
    sim.set_auto_progress(run=False, healthy=False)
    project.write()
    running = project.start("deploy", "-b", "nomad", "--timeout", "30")
    eventually(lambda: len(sim.allocations(project.app)) == 3, what="allocations")
    sim.start_allocations(project.app)
    web = next(a for a in sim.allocations(project.app) if a["TaskGroup"] == "web")
    sim.fail_allocation(web["ID"], "Exit Code: 3, Exit Message: \"address already in use\"")
    result = project.finish(running)
    assert result.code == 1
    assert f"the deployment of job {project.app} version 0 failed: Failed due to unhealthy allocations" in result.err
    assert f"error: web.1 (allocation {web['Name']} {web['ID'][:8]}) on nomad-sim-client" in result.err
    assert 'Exit Code: 3, Exit Message: "address already in use"' in result.err
    assert "waiting: web " in result.err  # the progress display
    assert "timed out" not in result.err  # the failure ended the wait, not --timeout 30


@pytest.mark.scripted
def test_deploy_that_does_not_converge_times_out(project: Project, agent: Agent) -> None:
    """Nothing runs: the wait ends at --timeout, each blocking read asking Nomad for no more than what is left."""
    sim = agent.simulator()
    sim.set_auto_progress(run=False, healthy=False)
    project.write()
    result = project.cli("deploy", "-b", "nomad", "--timeout", "1")
    assert result.code == 1
    assert f"timed out after 1s waiting for job {project.app} version 0: web 0/2 running (0 healthy)" in result.err
    assert "deployment" in result.err and "is running" in result.err
    waits = [parse_duration(r.query["wait"][0]) for r in sim.requests
             if r.path == f"/v1/job/{project.app}/allocations" and "index" in r.query]
    assert waits, [(r.path, r.query) for r in sim.requests]  # it did wait on Nomad, with blocking reads
    # each shorter than the 1s timeout and than the one before: a wait counting down to the deadline --timeout set
    assert all(wait < SECOND for wait in waits) and waits == sorted(set(waits), reverse=True), waits


def _backend(agent: Agent) -> NomadBackend:
    return NomadBackend(Session(environ=dict(agent.environ)))


def test_a_concurrent_change_is_detected_not_overwritten(project: Project, agent: Agent) -> None:
    """Someone scales between procfleet's read and its register: EnforceIndex refuses, and the scale stays."""
    path = project.write()
    assert project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout)).code == 0
    formation = load(path, project.folder, {})
    backend = _backend(agent)
    plan = make_plan(formation, "nomad", backend.live(formation), keep_counts=False)
    scaled = agent.http("POST", f"/v1/job/{project.app}/scale",
                        json={"Count": 7, "Target": {"Job": project.app, "Group": "worker"}})
    assert scaled.status_code == 200, scaled.text
    if agent.sim is not None:
        agent.sim.clear_requests()
    try:
        backend.apply(formation, plan, WaitOptions(wait=False))
    except PlatformError as exc:
        assert "the job changed on Nomad since procfleet read it" in str(exc)
        assert "Enforcing job modify index" in str(exc) and "nothing was overwritten" in str(exc)
        assert exc.exit_code == 1
    else:
        raise AssertionError("the register was not refused")
    assert agent.counts(project.app)["worker"] == 7
    if agent.sim is not None:
        assert [r.body["EnforceIndex"] for r in agent.sim.requests if r.method == "POST"] == [True]


def test_a_job_created_meanwhile_is_not_overwritten(project: Project, agent: Agent) -> None:
    """EnforceIndex with JobModifyIndex 0: the first register only succeeds if the job still does not exist."""
    path = project.write()
    formation = load(path, project.folder, {})
    backend = _backend(agent)
    plan = make_plan(formation, "nomad", backend.live(formation), keep_counts=False)
    assert project.cli("deploy", "--no-wait", "-b", "nomad").code == 0  # another deploy wins the race
    try:
        backend.apply(formation, plan, WaitOptions(wait=False))
    except PlatformError as exc:
        assert "Enforcing job modify index 0: job already exists" in str(exc)
    else:
        raise AssertionError("the register was not refused")


def test_a_job_procfleet_did_not_create_is_never_touched(project: Project, agent: Agent) -> None:
    project.write()
    foreign: dict[str, Any] = {"Job": {"ID": project.app, "TaskGroups": [{"Name": "db", "Count": 0, "Tasks": [
        {"Name": "db", "Driver": "raw_exec", "Config": {"command": "/bin/true"}}]}]}}
    assert agent.http("POST", "/v1/jobs", json=foreign).status_code == 200
    if agent.sim is not None:
        agent.sim.clear_requests()
    for command in (["deploy"], ["scale", "worker=2"], ["down", "--purge"]):
        result = project.cli(*command, "-b", "nomad")
        assert result.code == 1, command
        assert "procfleet did not create it" in result.err
    if agent.sim is not None:
        assert all(r.method == "GET" for r in agent.sim.requests)
    assert agent.http("DELETE", f"/v1/job/{project.app}", params={"purge": "true"}).status_code == 200


def test_shell_syntax_in_commands_reaches_the_shell(project: Project, agent: Agent) -> None:
    """A client evaluates driver config as HCL2 (task_runner.go runDriver): unescaped, `${TICK:-30}` or `${HOME}`
    would fail the task; escaped, every allocation runs."""
    project.write(FORMATION.replace('command = "sleep 3600"',
                                    """command = "echo ${{HOME}} %{{x}} $$ && sleep ${{TICK:-3600}}\""""))
    deployed = project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout))
    assert deployed.code == 0, deployed.err
    live = agent.live_allocations(project.app)
    assert sorted(a["TaskGroup"] for a in live) == ["web", "web", "worker"]
    assert all(a["ClientStatus"] == "running" for a in live)
