"""compose → nomad, against the Nomad simulator: the live Compose counts become the job's, then Compose drains."""

from __future__ import annotations

import pytest

from tests.integration.migrate.conftest import COMPOSE_NOMAD, Move
from tests.nomad_sim import NomadSimulator

pytestmark = pytest.mark.engine("docker")


def test_compose_to_nomad_registers_the_live_counts_then_drains_compose(move: Move, nomad: NomadSimulator) -> None:
    """worker scaled to 2 on Compose: the job registers web=1 worker=2, its deployment succeeds, and only then are
    Compose's containers scaled away; the plain output says each step."""
    move.write(COMPOSE_NOMAD)
    move.ok("deploy", "-b", "compose", "-q")
    move.ok("scale", "-b", "compose", "worker=2", "--wait", "-q")

    result = move.cli("migrate", "--from", "compose", "--to", "nomad", "--drain", "--timeout", "30")
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if not line.startswith(("waiting:", " "))]
    assert lines == ["compose runs web=1 worker=2", "deploying on nomad: web=1 worker=2",
                     "nomad runs web=1 worker=2, healthy where a check exists", "compose scaled to zero",
                     # the formation's default backend is still the one the app left
                     "commands without -b still act on local (formation.toml: app.backend): pass -b nomad, or run "
                     "migrate with --set-default"]

    job = nomad.job(move.name)
    assert job is not None and job["Version"] == 0
    assert {g["Name"]: g["Count"] for g in job["TaskGroups"]} == {"web": 1, "worker": 2}
    assert [r.path for r in nomad.requests if r.method != "GET"] == ["/v1/jobs"]  # one register, no scale
    on_nomad = move.types("nomad")
    assert (on_nomad["web"]["running"], on_nomad["web"]["healthy"], on_nomad["worker"]["running"]) == (1, 1, 2)
    assert move.containers() == {}
    assert {name: t["running"] for name, t in move.types("compose").items()} == {"web": 0, "worker": 0}
