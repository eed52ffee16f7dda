"""scale on a real engine: Compose's own --scale; containers that stay keep their IDs; the highest numbers go."""

from __future__ import annotations

import json

import pytest

from tests.integration.compose.conftest import ComposeApp
from tests.integration.engine_app import TICK

pytestmark = pytest.mark.engine("docker")

FORMATION = f"""
[app]
name = "{{app}}"
image = "{{image}}"

[processes.worker]
command = "{TICK}"
count = 2
stop_timeout = "0s"

[processes.slow]
command = "{TICK}"
count = 0
health = {{ command = "true", interval = "1m" }}
stop_timeout = "0s"
"""


def test_scale_up_down_and_relative(app: ComposeApp) -> None:
    """worker=5 adds 3 and keeps 1–2; worker-2 removes 4 and 5; worker+1 --wait adds one and waits for it."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    first = app.containers("worker")
    assert sorted(first) == [f"{app.name}-worker-1", f"{app.name}-worker-2"]

    up = app.ok("scale", "worker=5")
    assert "scaled worker=5" in up.err
    assert "the formation file sets a count, so the next deploy returns to it" in up.err
    five = app.containers("worker")
    assert len(five) == 5 and all(five[name] == cid for name, cid in first.items())

    app.ok("scale", "worker-2")
    three = app.containers("worker")
    assert sorted(three) == sorted(f"{app.name}-worker-{n}" for n in (1, 2, 3))
    assert all(three[name] == five[name] for name in three)

    waited = json.loads(app.ok("scale", "worker+1", "--wait", "--json").out)
    assert waited["targets"] == {"worker": 4}
    assert waited["status"]["types"]["worker"]["running"] == 4
    assert all(app.containers("worker")[name] == cid for name, cid in three.items())


def test_scale_wait_times_out(app: ComposeApp) -> None:
    """--wait --timeout: a type whose health check has not passed yet is not converged; exit 1 with the counts."""
    app.write(FORMATION)
    app.ok("deploy", "-q")
    result = app.cli("scale", "slow=1", "--wait", "--timeout", "1")
    assert result.code == 1
    assert f"{app.name} did not converge within 1s: slow 1/1 running, 0/1 healthy" in result.err
    assert len(app.containers("slow")) == 1  # started all the same; a later deploy or scale takes it from there


def test_scale_before_deploy_says_so(app: ComposeApp) -> None:
    """Nothing runs yet: exit 1 and how to start it."""
    app.write(FORMATION)
    result = app.cli("scale", "worker=3")
    assert result.code == 1
    assert "is not running on compose: start it with `procfleet deploy --backend compose`" in result.err


def test_an_app_scaled_to_zero_everywhere_can_be_scaled_up_again(app: ComposeApp) -> None:
    """`scale worker=0` of the only type leaves no container, but the app is still deployed there, at 0: the
    next `scale worker=1` starts one instead of saying it is not running."""
    app.write(f'[app]\nname = "{{app}}"\nimage = "{{image}}"\n[processes.worker]\ncommand = "{TICK}"\n'
              'stop_timeout = "0s"\n')
    app.ok("deploy", "-q")
    app.ok("scale", "worker=0", "--wait", "-q")
    assert app.ps()["types"]["worker"]["running"] == 0
    app.ok("scale", "worker=1", "--wait", "-q")
    assert app.ps()["types"]["worker"]["running"] == 1
