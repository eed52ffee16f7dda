"""plan sees a change of [backends.swarm] that shapes a type's service, not only of the type itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from procfleet.backend import LiveType, Session
from procfleet.loader import load
from procfleet.plan import fingerprint_for, make_plan
from procfleet_swarm.backend import SwarmBackend

BASE = """
[app]
name = "shop"
image = "acme/shop:1"
[processes.web]
command = "serve"
port = 8000
[processes.worker]
command = "work"
"""


def test_endpoint_and_port_mode_changes_are_planned(tmp_path: Path) -> None:
    """dnsrr changes every service; host-mode ports change only the type that publishes one."""
    backend = SwarmBackend(Session())
    deployed = tmp_path / "deployed.toml"
    deployed.write_text(textwrap.dedent(BASE))
    services = yaml.safe_load(backend.render(load(deployed, environ={}), backend.formats[0])[0].content)["services"]
    live = {name: LiveType(name, 1, spec["deploy"]["labels"]["procfleet.fingerprint"])
            for name, spec in services.items()}
    fingerprints = fingerprint_for(backend)
    assert not make_plan(load(deployed, environ={}), "swarm", live, False, fingerprint_of=fingerprints).pending

    host_ports = tmp_path / "host.toml"
    host_ports.write_text(textwrap.dedent(BASE) + '[backends.swarm]\nport_mode = "host"\n')
    plan = make_plan(load(host_ports, environ={}), "swarm", live, False, fingerprint_of=fingerprints)
    assert {c.process: c.action for c in plan.changes} == {"web": "change", "worker": "unchanged"}

    dnsrr = tmp_path / "dnsrr.toml"
    dnsrr.write_text(textwrap.dedent(BASE) + '[backends.swarm]\nport_mode = "host"\nendpoint_mode = "dnsrr"\n')
    plan = make_plan(load(dnsrr, environ={}), "swarm", live, False, fingerprint_of=fingerprints)
    assert {c.process: c.action for c in plan.changes} == {"web": "change", "worker": "change"}
