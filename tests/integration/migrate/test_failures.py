"""A target that does not become healthy: migrate stops, exits 1 naming what failed, and the source is untouched."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.integration.conftest import BUSYBOX_IMAGE
from tests.integration.migrate.conftest import COMPOSE_NOMAD, Move
from tests.nomad_sim import NomadSimulator

pytestmark = pytest.mark.engine("docker")

MISSING_IMAGE = "procfleet-test/not-built:never"


def _marks(job: dict[str, Any] | None) -> tuple[Any, ...]:
    assert job is not None
    return job["Version"], job["ModifyIndex"], job["JobModifyIndex"], job["Stop"]


def test_a_compose_target_that_cannot_start_leaves_nomad_untouched(move: Move, nomad: NomadSimulator) -> None:
    """nomad → compose with an image Docker does not have: exit 1 naming the image, no drain step, and Nomad saw only
    reads (same version and indexes, its counts as they were)."""
    move.write(COMPOSE_NOMAD.replace(BUSYBOX_IMAGE, MISSING_IMAGE))  # the simulator runs any image
    move.ok("deploy", "-b", "nomad", "-q")
    move.ok("scale", "-b", "nomad", "worker=2", "--wait", "-q")
    before = _marks(nomad.job(move.name))
    nomad.clear_requests()

    result, report = move.migrate("nomad", "compose", "--drain", "--timeout", "30")
    assert result.code == 1
    assert "error: deploying on compose failed, so nomad was left untouched" in result.err
    assert MISSING_IMAGE in result.err
    assert (report["ok"], report["failed"]) == (False, "deploy")
    assert [step["step"] for step in report["steps"]] == ["read", "deploy"]
    assert report["steps"][0]["counts"] == {"web": 1, "worker": 2}
    assert MISSING_IMAGE in report["steps"][1]["error"] and report["steps"][1]["status"] is None

    assert _marks(nomad.job(move.name)) == before
    assert {r.method for r in nomad.requests} == {"GET"}
    assert {name: t["running"] for name, t in move.types("nomad").items()} == {"web": 1, "worker": 2}


def test_a_nomad_deployment_that_fails_leaves_compose_untouched(move: Move, nomad: NomadSimulator) -> None:
    """compose → nomad whose allocation dies during the deployment: exit 1 with the allocation's own message, and
    every Compose container keeps its ID and start time."""
    move.write(COMPOSE_NOMAD)
    move.ok("deploy", "-b", "compose", "-q")
    before = move.started()
    nomad.set_auto_progress(run=True, healthy=False)

    def fail_web() -> None:  # what a client does when the task dies: the deployment fails on an unhealthy alloc
        for _ in range(200):
            allocs = [a for a in nomad.allocations(move.name, live_only=True) if a["TaskGroup"] == "web"]
            if allocs:
                nomad.fail_allocation(allocs[0]["ID"], "Exit Code: 137, Exit Message: \"OOM killed\"")
                return
            time.sleep(0.05)

    failing = threading.Thread(target=fail_web, daemon=True)
    failing.start()
    result, report = move.migrate("compose", "nomad", "--drain", "--timeout", "30")
    failing.join(10)
    assert result.code == 1
    assert "error: nomad did not become healthy, so compose was left untouched" in result.err
    assert "Failed due to unhealthy allocations" in result.err and "OOM killed" in result.err
    assert (report["ok"], report["failed"]) == (False, "deploy")
    assert [step["step"] for step in report["steps"]] == ["read", "deploy"]
    assert move.started() == before


def test_migrating_an_app_that_runs_nowhere_or_onto_itself(move: Move, nomad: NomadSimulator) -> None:
    """Nothing on the source: exit 1 before anything is touched; the same backend twice: a usage error."""
    move.write(COMPOSE_NOMAD)
    nothing = move.cli("migrate", "--from", "compose", "--to", "nomad")
    assert nothing.code == 1 and "is not running on compose: nothing to migrate" in nothing.err
    assert nomad.job(move.name) is None
    same = move.cli("migrate", "--from", "nomad", "--to", "nomad")
    assert same.code == 2 and "--from and --to are both nomad" in same.err
