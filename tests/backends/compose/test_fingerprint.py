"""plan sees a change of [backends.compose] that shapes a type's containers, not only of the type itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import yaml

from procfleet.backend import LiveType, Session
from procfleet.loader import load
from procfleet.plan import fingerprint_for, make_plan
from procfleet_compose.backend import ComposeBackend

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


def _live_from_render(path: Path, backend: ComposeBackend) -> dict[str, LiveType]:
    """What live() would report after deploying this file: each service's fingerprint label."""
    formation = load(path, environ={})
    services = yaml.safe_load(backend.render(formation, "compose")[0].content)["services"]
    return {name: LiveType(name, 1, spec["labels"]["procfleet.fingerprint"]) for name, spec in services.items()}


def test_host_ip_change_is_a_planned_change(tmp_path: Path) -> None:
    """Publishing on another address changes web's containers, so plan says change; worker publishes nothing."""
    backend = ComposeBackend(Session())
    deployed = tmp_path / "deployed.toml"
    deployed.write_text(textwrap.dedent(BASE))
    live = _live_from_render(deployed, backend)
    edited = tmp_path / "edited.toml"
    edited.write_text(textwrap.dedent(BASE) + '[backends.compose]\nhost_ip = "127.0.0.1"\n')
    formation = load(edited, environ={})
    plan = make_plan(formation, "compose", live, keep_counts=False, fingerprint_of=fingerprint_for(backend))
    assert {c.process: c.action for c in plan.changes} == {"web": "change", "worker": "unchanged"}
    unchanged = make_plan(load(deployed, environ={}), "compose", live, keep_counts=False,
                          fingerprint_of=fingerprint_for(backend))
    assert not unchanged.pending


def test_a_fixed_host_port_changes_only_its_type(tmp_path: Path) -> None:
    """A fixed host port for web changes web's fingerprint and no other type's."""
    backend = ComposeBackend(Session())
    deployed = tmp_path / "deployed.toml"
    deployed.write_text(textwrap.dedent(BASE))
    live = _live_from_render(deployed, backend)
    edited = tmp_path / "edited.toml"
    edited.write_text(textwrap.dedent(BASE) + "[backends.compose]\nports = { web = 18080 }\n")
    plan = make_plan(load(edited, environ={}), "compose", live, keep_counts=False,
                     fingerprint_of=fingerprint_for(backend))
    assert {c.process: c.action for c in plan.changes} == {"web": "change", "worker": "unchanged"}
