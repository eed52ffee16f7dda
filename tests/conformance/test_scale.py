"""Health gates deploy and `scale --wait`, and scaling keeps the instances that survive, everywhere."""

from __future__ import annotations

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


def _pids(platform: Platform) -> dict[str, int]:
    return {name: int(report["pid"]) for name, report in platform.reports(1, "web").items()}


def test_deploy_and_scale_wait_for_health_and_scaling_keeps_survivors(platform: Platform) -> None:
    """The probe binds $PORT 5 s after it starts: when deploy and `scale --wait` return, every instance they
    started already serves (docker compose up --wait, nomad job run's deployment, heroku ps:wait)."""
    platform.write(FORMATION)
    platform.deploy()
    eventually(lambda: _bound(platform, {"web.1"}), timeout=2, what="web.1 bound")
    first = _pids(platform)

    done = platform.cli("scale", "web=3", "--wait", "--timeout", "120")
    assert done.code == 0, done.err
    eventually(lambda: _bound(platform, {"web.1", "web.2", "web.3"}), timeout=2, what="web.1-3 bound")
    assert _pids(platform)["web.1"] == first["web.1"]  # scaling up left the running instance alone

    done = platform.cli("scale", "web=1", "--wait", "--timeout", "120")
    assert done.code == 0, done.err
    running = platform.cli("ps", "--json")
    assert '"running": 1' in running.out, running.out
    assert _pids(platform)["web.1"] == first["web.1"]  # and scaling down kept web.1, the oldest
    platform.down()
    assert platform.leftovers() == []
