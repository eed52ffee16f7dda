"""scale --backend nomad: POST /v1/job/:id/scale once per changed group, waiting out active deployments."""

from __future__ import annotations

import json

import pytest

from tests.integration.nomad.conftest import Agent, Project, eventually
from tests.nomad_sim import POLICY_READ


def scale_requests(agent: Agent, app: str) -> list[dict[str, object]]:
    sim = agent.simulator()
    return [r.body for r in sim.requests if r.method == "POST" and r.path == f"/v1/job/{app}/scale"]


@pytest.mark.scripted  # needs deployments that succeed at once: two scales in a row, no blocked retry
def test_absolute_and_relative_forms_one_request_per_changed_group(project: Project, agent: Agent) -> None:
    """web=3 worker+2 is two requests; a group already at its target is not asked at all."""
    project.write()
    timeout = ("--timeout", str(agent.timeout))
    assert project.cli("deploy", "-b", "nomad", *timeout).code == 0
    index = (agent.job(project.app) or {})["JobModifyIndex"]
    if agent.sim is not None:
        agent.sim.clear_requests()
    result = project.cli("scale", "web=3", "worker+2", "-b", "nomad", "--json", *timeout)
    assert result.code == 0, result.err
    types = json.loads(result.out)["status"]["types"]
    assert (types["web"]["desired"], types["worker"]["desired"]) == (3, 3)
    assert "the formation file sets a count" in json.dumps(json.loads(result.out)["notes"])
    if agent.sim is not None:
        first, second = scale_requests(agent, project.app)
        assert first == {"Count": 3, "Target": {"Job": project.app, "Group": "web"},
                         "Message": "procfleet scale web=3", "JobModifyIndex": index}
        assert second["Count"] == 3 and second["Target"] == {"Job": project.app, "Group": "worker"}
        assert isinstance(second["JobModifyIndex"], int) and second["JobModifyIndex"] > index  # chained
        agent.sim.clear_requests()
    assert project.cli("scale", "web=3", "worker-1", "-b", "nomad", *timeout).code == 0
    assert agent.counts(project.app) == {"web": 3, "worker": 2}
    if agent.sim is not None:
        assert [body["Target"] for body in scale_requests(agent, project.app)] == [
            {"Job": project.app, "Group": "worker"}]


@pytest.mark.scripted
def test_scale_waits_for_an_active_deployment_instead_of_failing(project: Project, agent: Agent) -> None:
    """Nomad answers 400 'job scaling blocked due to active deployment'; procfleet waits for it, then scales."""
    sim = agent.simulator()
    sim.set_auto_progress(run=False, healthy=False)
    project.write()
    assert project.cli("deploy", "--no-wait", "-b", "nomad").code == 0
    assert (sim.latest_deployment(project.app) or {})["Status"] == "running"
    running = project.start("scale", "worker=3", "-b", "nomad", "--timeout", "30")
    eventually(lambda: len(scale_requests(agent, project.app)) == 1, what="the refused scale request")
    eventually(lambda: sim.count_requests("GET", f"/v1/job/{project.app}/deployment") >= 1, what="the wait")
    assert running.poll() is None
    sim.advance(project.app)  # the deployment succeeds
    result = project.finish(running)
    assert result.code == 0, result.err
    assert "a deployment of job" in result.err and "waiting for it to end" in result.err
    assert len(scale_requests(agent, project.app)) == 2
    assert [g["Count"] for g in (sim.job(project.app) or {})["TaskGroups"]] == [2, 3]


@pytest.mark.scripted
def test_an_active_deployment_that_outlasts_the_timeout_is_an_error(project: Project, agent: Agent) -> None:
    sim = agent.simulator()
    sim.set_auto_progress(run=False, healthy=False)
    project.write()
    assert project.cli("deploy", "--no-wait", "-b", "nomad").code == 0
    result = project.cli("scale", "worker=3", "-b", "nomad", "--timeout", "1")
    assert result.code == 1
    assert "was still running after 1s, and Nomad refuses to scale while a deployment is active" in result.err
    assert [g["Count"] for g in (sim.job(project.app) or {})["TaskGroups"]] == [2, 1]


@pytest.mark.scripted
def test_scale_wait_waits_for_the_allocations(project: Project, agent: Agent) -> None:
    """--wait returns once the new count runs and the scale's deployment succeeded."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    sim.set_auto_progress(run=False, healthy=False)
    running = project.start("scale", "worker=3", "--wait", "-b", "nomad", "--timeout", "30", "--json")
    eventually(lambda: len(sim.allocations(project.app, live_only=True)) == 5, what="the new allocations")
    eventually(lambda: sim.count_requests("GET", f"/v1/job/{project.app}/allocations") >= 2, what="waiting")
    assert running.poll() is None
    sim.advance(project.app)
    result = project.finish(running)
    assert result.code == 0, result.err
    worker = json.loads(result.out)["status"]["types"]["worker"]
    assert (worker["desired"], worker["running"], worker["placed"]) == (3, 3, 3)


def test_a_type_not_deployed_and_a_negative_count_are_refused_before_any_request(project: Project,
                                                                                 agent: Agent) -> None:
    project.write()
    assert project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout)).code == 0
    text = (project.folder / "formation.toml").read_text()
    project.write(text.replace("[backends.nomad]", '[processes.clock]\ncommand = "sleep 60"\n\n[backends.nomad]')
                  .replace("{", "{{").replace("}", "}}"))
    if agent.sim is not None:
        agent.sim.clear_requests()
    missing = project.cli("scale", "clock=2", "-b", "nomad")
    assert missing.code == 2
    assert f'"clock" is not a task group of Nomad job {project.app} (it has: web, worker): deploy the formation ' \
           "first" in missing.err
    negative = project.cli("scale", "worker-5", "-b", "nomad")
    assert negative.code == 2 and "worker would go below zero (1 - 5)" in negative.err
    assert agent.counts(project.app) == {"web": 2, "worker": 1}
    if agent.sim is not None:
        assert scale_requests(agent, project.app) == []


def test_a_refused_scale_is_a_clear_error(project: Project, agent: Agent) -> None:
    """A token that may read but not scale: Nomad's 403 and what to check, exit 1."""
    sim = agent.simulator()
    project.write()
    assert project.cli("deploy", "-b", "nomad").code == 0
    sim.enable_acl()
    sim.add_token("reader", capabilities=POLICY_READ)
    result = project.cli("scale", "worker=2", "-b", "nomad", env=project.environ(NOMAD_TOKEN="reader"))
    assert result.code == 1
    assert f"Nomad denied scaling worker of job {project.app} to 2 (403 Permission denied): the token in " \
           "NOMAD_TOKEN is not allowed to do this in namespace default" in result.err
    assert [g["Count"] for g in (sim.job(project.app) or {})["TaskGroups"]] == [2, 1]


def test_scale_of_an_app_that_is_not_deployed(project: Project, agent: Agent) -> None:
    project.write()
    result = project.cli("scale", "worker=2", "-b", "nomad")
    assert result.code == 1
    assert "is not running on nomad" in result.err.lower()
