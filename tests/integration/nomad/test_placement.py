"""deploy and scale --wait when Nomad cannot place allocations: exit 1 at once, with the evaluation's reasons."""

from __future__ import annotations

from tests.integration.nomad.conftest import Agent, Project
from tests.nomad_sim.nodes import new_node

WORKER = """
[app]
name = "{app}"

[processes.worker]
command = "sleep 3600"
stop_timeout = "1s"
resources = {{ memory = "{memory}" }}

[backends.nomad]
driver = "raw_exec"
datacenters = {datacenters}
"""


def write(project: Project, memory: str = "64M", datacenters: str = '["*"]') -> None:
    """A one-type formation asking for memory, in the given datacenters."""
    project.write(WORKER, memory=memory, datacenters=datacenters)


def test_memory_no_node_has_fails_the_deploy_with_nomads_reasons(project: Project, agent: Agent) -> None:
    """More memory than any node has: the evaluation's DimensionExhausted, worded as `nomad job run` does."""
    write(project, memory="4T")
    result = project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout))
    assert result.code == 1, result.err
    if agent.sim is not None:  # no wait for allocations that never come: it stopped at the evaluation's answer
        asked = [(r.method, r.path, r.query) for r in agent.sim.requests]
        method, path, _ = asked[-1]
        assert method == "GET" and path.startswith("/v1/evaluation/"), asked
        assert not any("index" in query for _, _, query in asked), asked  # not one blocking read
    assert f"Nomad could not place every allocation of job {project.app} version 0" in result.err
    assert "waits for additional capacity" in result.err
    assert 'worker: 1 allocation could not be placed: Resources exhausted on ' in result.err
    assert 'Dimension "memory" exhausted on ' in result.err
    assert "Traceback" not in result.err and "timed out" not in result.err


def test_the_explanation_counts_the_nodes_as_nomad_does(project: Project, agent: Agent) -> None:
    sim = agent.simulator()
    write(project, memory="4T")
    result = project.cli("deploy", "-b", "nomad")
    line = next(line.strip() for line in result.err.splitlines() if line.strip().startswith("worker:"))
    assert line == ('worker: 1 allocation could not be placed: Resources exhausted on 1 nodes; '
                    'Dimension "memory" exhausted on 1 nodes')
    assert sim.allocations(project.app) == []


def test_a_datacenter_without_nodes(project: Project, agent: Agent) -> None:
    write(project, datacenters='["nowhere"]')
    result = project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout))
    assert result.code == 1, result.err
    assert "worker: 1 allocation could not be placed: No nodes were eligible for evaluation" in result.err


def test_a_constraint_no_node_meets(project: Project, agent: Agent) -> None:
    """The only node lacks the task driver: Nomad's "missing drivers" constraint filtered it."""
    sim = agent.simulator()
    sim.set_nodes(new_node("client-1", attributes={"driver.raw_exec": None}))
    write(project)
    result = project.cli("deploy", "-b", "nomad")
    assert result.code == 1, result.err
    assert 'worker: 1 allocation could not be placed: Constraint "missing drivers": 1 nodes excluded by filter' \
        in result.err


def test_scale_wait_past_the_capacity_fails_at_once(project: Project, agent: Agent) -> None:
    sim = agent.simulator()
    sim.set_node(memory_mb=1000)
    write(project, memory="300M")
    assert project.cli("deploy", "-b", "nomad").code == 0
    result = project.cli("scale", "worker=5", "--wait", "-b", "nomad", "--timeout", str(agent.timeout))
    assert result.code == 1, result.err
    assert f"Nomad could not place every allocation of job {project.app} version 1" in result.err
    assert ('worker: 2 allocations could not be placed: Resources exhausted on 1 nodes; '
            'Dimension "memory" exhausted on 1 nodes') in result.err
    assert len(sim.allocations(project.app, live_only=True)) == 3
