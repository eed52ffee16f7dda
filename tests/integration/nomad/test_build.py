"""A type whose image the formation builds: built here before the job is registered, and refused at once when
the cluster has nodes that could not get an image that lives on this machine only (there is no registry)."""

from __future__ import annotations

from pathlib import Path

from tests.integration.nomad.conftest import Agent, Project

BUILT = """
[app]
name = "{app}"

[processes.worker]
image = "procfleet-test/{app}-worker:latest"
build = "image"
stop_timeout = "1s"

[backends.nomad]
driver = "docker"
"""


def _context(folder: Path) -> None:
    (folder / "image").mkdir()
    (folder / "image" / "Dockerfile").write_text('FROM procfleet-test/busybox:latest\nCMD ["sleep", "3600"]\n')


def test_an_image_only_this_machine_has_is_refused_on_a_cluster_of_several_nodes(project: Project,
                                                                                 agent: Agent) -> None:
    """Nomad would place the allocations anywhere, and a client elsewhere could not pull the image: refused before
    anything is built or registered, naming the nodes."""
    if agent.sim is None:
        return  # a real agent's nodes are what they are
    agent.sim.add_node("far-away")
    _context(project.folder)
    project.write(BUILT)
    result = project.cli("deploy", "-b", "nomad", "--timeout", str(agent.timeout))
    assert result.code == 1, result.err
    assert f"procfleet-test/{project.app}-worker:latest is built on this machine only" in result.err
    assert "far-away" in result.err and "without a registry" in result.err
    assert agent.job(project.app) is None
    assert not [r for r in agent.sim.requests if r.method in ("PUT", "POST") and r.path == "/v1/jobs"]
