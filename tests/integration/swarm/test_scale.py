"""scale on a real swarm: `docker service scale`, tasks that stay keep their IDs, --wait and --timeout (issue 6, 4)."""

from __future__ import annotations

import json

import pytest

from tests.integration.engine_app import TICK
from tests.integration.swarm.conftest import SwarmApp

pytestmark = pytest.mark.engine("swarm")

FORMATION = f"""
[app]
name = "{{app}}"
image = "{{image}}"

[processes.worker]
command = "{TICK}"
count = 2
stop_timeout = "0s"

[processes.clock]
command = "{TICK}"
stop_timeout = "0s"

[processes.slow]
command = "{TICK}"
count = 0
health = {{ command = "true", interval = "1m" }}
stop_timeout = "0s"
"""


def test_scale_up_down_relative_several_types_and_timeout(app: SwarmApp) -> None:
    """worker=5 adds three tasks and keeps the two; worker-2 keeps three of them; two types at once; worker+1
    --wait waits for the new task; --timeout ends a wait that cannot succeed in time."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    first = app.tasks("worker")
    assert sorted(first.values()) == [f"{app.name}_worker.1", f"{app.name}_worker.2"]

    up = app.ok("-v", "scale", "worker=5", "clock=2")
    assert f"{app.name}_worker scaled to 5" in up.err and f"{app.name}_clock scaled to 2" in up.err  # docker's, -v
    assert "scaled worker=5 clock=2" in up.err
    assert "worker: the formation file sets a count, so the next deploy returns to it" in up.err
    five = app.tasks("worker")
    assert len(five) == 5 and set(first) <= set(five)
    assert len(app.tasks("clock")) == 2

    app.ok("scale", "worker-2")
    three = app.tasks("worker")
    assert len(three) == 3 and set(three) <= set(five)

    waited = json.loads(app.ok("scale", "worker+1", "--wait", "--json").out)
    assert waited["targets"] == {"worker": 4}
    assert waited["status"]["types"]["worker"] == {"desired": 4, "running": 4, "healthy": None, "placed": None,
                                                   "done": 0}
    assert set(three) <= set(app.tasks("worker"))

    # --wait --timeout: a task whose first health check has not run yet is not running for Swarm; exit 1 with the
    # counts and the task's state.
    result = app.cli("scale", "slow=1", "--wait", "--timeout", "2")
    assert result.code == 1
    assert (f"error: {app.name} did not converge within 2s: slow 0/1 running, 0/1 healthy; "
            f"slow.1 (task {app.name}_slow.1) ") in result.err
    assert len(app.tasks("slow")) == 1  # asked for all the same; a later deploy or scale takes it from there


def test_scale_before_deploy_says_so(app: SwarmApp) -> None:
    """Nothing runs yet: exit 1 and how to start it."""
    app.write(FORMATION)
    result = app.cli("scale", "worker=3")
    assert result.code == 1
    assert "is not running on swarm: start it with `procfleet deploy --backend swarm`" in result.err
