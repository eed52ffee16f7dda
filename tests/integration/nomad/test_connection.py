"""Reaching Nomad as the Nomad CLI does, and the errors when it cannot be reached or refuses (exit 1)."""

from __future__ import annotations

import socket

from tests.integration.nomad.conftest import Agent, Project
from tests.nomad_sim import NomadSimulator


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_agent(project: Project) -> None:
    """Connection refused: which address was tried and what to check, exit 1, no traceback."""
    project.write()
    address = f"http://127.0.0.1:{closed_port()}"
    for command in (["deploy"], ["ps"]):
        result = project.cli(*command, "-b", "nomad", env=project.environ(NOMAD_ADDR=address), fresh=True)
        assert result.code == 1
        assert f"cannot reach Nomad at {address}: Connection refused (is the agent running, and NOMAD_ADDR its " \
               "HTTP address with the right scheme?)" in result.err
        assert "Traceback" not in result.err


def test_acl_errors_name_the_token_problem(project: Project, agent: Agent) -> None:
    """403 from an ACL-enabled agent: no token, an unknown token, then a good one."""
    sim = agent.simulator()
    management = sim.enable_acl()
    project.write()
    missing = project.cli("deploy", "-b", "nomad")
    assert missing.code == 1
    assert f"Nomad denied reading job {project.app} (403 Permission denied): NOMAD_TOKEN is not set and this " \
           "cluster has ACLs enabled" in missing.err
    unknown = project.cli("deploy", "-b", "nomad", env=project.environ(NOMAD_TOKEN="nope"))
    assert unknown.code == 1 and "(403 ACL token not found): NOMAD_TOKEN is not a token this cluster knows" in \
        unknown.err
    sim.clear_requests()
    good = project.cli("deploy", "-b", "nomad", env=project.environ(NOMAD_TOKEN=management))
    assert good.code == 0, good.err
    assert all(r.headers.get("X-Nomad-Token") == management for r in sim.requests)


def test_a_job_nomad_rejects_shows_nomads_validation_message(project: Project, agent: Agent) -> None:
    """A 500 with Nomad's multierror text: a kill timeout past the progress deadline (reference §1.5)."""
    project.write()
    text = (project.folder / "formation.toml").read_text().replace('stop_timeout = "2s"', 'stop_timeout = "15m"', 1)
    (project.folder / "formation.toml").write_text(text)
    result = project.cli("deploy", "-b", "nomad")
    assert result.code == 1
    assert f"Nomad refused registering job {project.app} (500): 1 error occurred:" in result.err
    assert "Task group web validation failed" in result.err
    assert "kill timeout (15m0s) longer than the group's progress deadline (10m0s)" in result.err
    assert agent.job(project.app) is None


def test_trailing_slash_namespace_and_region(project: Project, agent: Agent) -> None:
    """NOMAD_ADDR/ works; [backends.nomad] namespace pins every request; NOMAD_REGION goes in the query."""
    sim = agent.simulator()
    sim.add_namespace("apps")
    project.write()
    text = (project.folder / "formation.toml").read_text() + 'namespace = "apps"\n'
    (project.folder / "formation.toml").write_text(text)
    env = project.environ(NOMAD_ADDR=sim.address + "/", NOMAD_NAMESPACE="ignored", NOMAD_REGION="global")
    result = project.cli("deploy", "-b", "nomad", env=env, fresh=True)
    assert result.code == 0, result.err
    assert sim.job(project.app, namespace="apps") is not None and sim.job(project.app) is None
    assert all(r.raw_path.startswith("/v1/") for r in sim.requests)
    assert all(r.query.get("namespace") == ["apps"] and r.query.get("region") == ["global"] for r in sim.requests)
    register = next(r for r in sim.requests if r.method == "POST")
    assert register.body["Job"]["Namespace"] == "apps"


def test_namespace_from_the_environment_and_an_unknown_region(project: Project) -> None:
    with NomadSimulator(auto_healthy=True, namespaces=("default", "team")) as sim:
        project.write()
        env = project.environ(NOMAD_ADDR=sim.address, NOMAD_NAMESPACE="team")
        assert project.cli("deploy", "-b", "nomad", env=env).code == 0
        assert sim.job(project.app, namespace="team") is not None
        elsewhere = project.cli("ps", "-b", "nomad", env={**env, "NOMAD_REGION": "mars"})
        assert elsewhere.code == 1 and "No path to region" in elsewhere.err


def test_addresses_procfleet_cannot_use_are_usage_errors(project: Project) -> None:
    project.write()
    result = project.cli("ps", "-b", "nomad", env=project.environ(NOMAD_ADDR="unix:///run/nomad.sock"))
    assert result.code == 2 and "procfleet reaches Nomad over HTTP(S) only" in result.err


def test_job_ids_are_url_escaped(agent: Agent) -> None:
    """python-nomad pastes IDs into paths as they are (reference §5.2); procfleet escapes them."""
    from procfleet_nomad.client import NomadClient
    from procfleet_nomad.connection import Connection

    sim = agent.simulator()
    client = NomadClient(Connection(address=sim.address))
    assert client.read_job("odd id/with?query") is None
    (request,) = sim.requests
    assert request.raw_path == "/v1/job/odd%20id%2Fwith%3Fquery" and request.path == "/v1/job/odd id/with?query"
