"""compose → swarm and back: the same formation moves to a stack and returns, each time at the live counts."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.integration.engine_app import docker
from tests.integration.migrate.conftest import COMPOSE_NOMAD, Move

pytestmark = pytest.mark.engine("swarm")

# This engine's kernel has no IPVS: host-mode ports and DNS round robin (docs/ci-engines.md).
SWARM = COMPOSE_NOMAD + """
[backends.swarm]
port_mode = "host"
endpoint_mode = "dnsrr"
"""


def test_compose_to_swarm_and_back(move: Move, swarm: None) -> None:
    """worker=2 live on Compose → a stack running web=1 worker=2 with Compose drained; then back, with Swarm's live
    counts (worker scaled to 3 there) carried to Compose and the stack's services scaled to zero."""
    move.write(SWARM)
    move.ok("deploy", "-b", "compose", "-q")
    move.ok("scale", "-b", "compose", "worker=2", "--wait", "-q")

    there, report = move.migrate("compose", "swarm", "--drain", "--timeout", "120")
    assert there.code == 0, there.err
    assert report["ok"] and [s["step"] for s in report["steps"]] == ["read", "deploy", "drain"]
    assert report["steps"][0]["counts"] == {"web": 1, "worker": 2}
    on_swarm = move.types("swarm")
    assert (on_swarm["web"]["running"], on_swarm["web"]["healthy"], on_swarm["worker"]["running"]) == (1, 1, 2)
    assert move.containers() == {}

    move.ok("scale", "-b", "swarm", "worker=3", "--wait", "--timeout", "120", "-q")
    back, report = move.migrate("swarm", "compose", "--drain", "--timeout", "120")
    assert back.code == 0, back.err
    assert report["steps"][0] == {"step": "read", "backend": "swarm", "counts": {"web": 1, "worker": 3}}
    on_compose = move.types("compose")
    assert (on_compose["web"]["running"], on_compose["web"]["healthy"], on_compose["worker"]["running"]) == (1, 1, 3)
    assert {name: t["running"] for name, t in move.types("swarm").items()} == {"web": 0, "worker": 0}


def test_adopt_a_stack_at_its_live_counts(move: Move, swarm: None) -> None:
    """What import --from-backend promises on every platform: the live counts, the stack's options, nothing changed
    (no service gets a new spec version), and a plan from the adopted file with nothing to do."""
    move.write(SWARM)
    move.ok("deploy", "-b", "swarm", "-q", "--timeout", "120")
    move.ok("scale", "-b", "swarm", "worker=2", "--wait", "--timeout", "120", "-q")
    services = docker("service", "ls", "-q", "--filter", f"label=com.docker.stack.namespace={move.name}").split()
    versions = docker("service", "inspect", "-f", "{{.Version.Index}}", *services)
    adopted = move.folder / "adopted.toml"
    result = move.cli("import", "--from-backend", "swarm", "--app", move.name, "-f", str(adopted), "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["backend"], report["counts"]) == ("swarm", {"web": 1, "worker": 2})
    assert tomllib.loads(adopted.read_text())["backends"]["swarm"] == {"port_mode": "host", "endpoint_mode": "dnsrr"}
    assert docker("service", "inspect", "-f", "{{.Version.Index}}", *services) == versions
    assert move.cli("plan", "-b", "swarm", "--exit-code", "-f", str(adopted)).code == 0
