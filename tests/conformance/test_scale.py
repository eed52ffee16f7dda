"""Health gates deploy and `scale --wait`, and scaling keeps the instances that survive, everywhere."""

from __future__ import annotations

import json

from procfleet import registry
from tests.conformance.platforms import Platform
from tests.integration.nomad.conftest import eventually

FORMATION = """
[processes.web]
command = "python3 probe.py"
count = 1
port = 8000
env = { PROBE_BIND_AFTER = "5" }
health = { http = "/", interval = "1s", timeout = "1s", start_period = "10s" }
stop_timeout = "1s"
"""


def _bound(platform: Platform, wanted: set[str]) -> bool:
    """Whether these instances' probes have bound their ports, which they print before any check can pass (the
    platform's log pipeline may lag a moment behind the check that saw it)."""
    bound = {name for name, text in platform.logs("web") if text.startswith("PROBE-BOUND ")}
    return wanted <= bound


def _served(platform: Platform, wanted: set[str], gated: bool) -> None:
    """Health-gated: these instances serve by now. Not (the backend does not honour `health`): nothing checks them,
    and ps says so, as of a type without a check."""
    if gated:
        eventually(lambda: _bound(platform, wanted), timeout=2, what=f"{', '.join(sorted(wanted))} bound")
    else:
        web = json.loads(platform.cli("ps", "--json").out)["types"]["web"]
        assert web["healthy"] is None and web["running"] == len(wanted), web


def _pids(platform: Platform) -> dict[str, int]:
    return {name: int(report["pid"]) for name, report in platform.reports(1, "web").items()}


def test_deploy_and_scale_wait_for_health_and_scaling_keeps_survivors(platform: Platform) -> None:
    """The probe binds $PORT 5 s after it starts: when deploy and `scale --wait` return, every instance they
    started already serves (docker compose up --wait, nomad job run's deployment, heroku ps:wait). A backend that
    does not honour `health` says so and checks nothing; scaling keeps survivors there too."""
    platform.write(FORMATION)
    gated = "health" in registry.load(platform.backend).features
    if not gated:
        done = platform.cli("check")
        assert f"processes.web.health: the {platform.backend} backend does not honour this key" in done.err, done.err
    platform.deploy()
    _served(platform, {"web.1"}, gated)
    first = _pids(platform)

    done = platform.cli("scale", "web=3", "--wait", "--timeout", "120")
    assert done.code == 0, done.err
    _served(platform, {"web.1", "web.2", "web.3"}, gated)
    assert _pids(platform)["web.1"] == first["web.1"]  # scaling up left the running instance alone

    done = platform.cli("scale", "web=1", "--wait", "--timeout", "120")
    assert done.code == 0, done.err
    running = platform.cli("ps", "--json")
    assert '"running": 1' in running.out, running.out
    assert _pids(platform)["web.1"] == first["web.1"]  # and scaling down kept web.1, the oldest
    platform.down()
    assert platform.leftovers() == []
