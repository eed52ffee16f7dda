"""`procfleet restart TYPE` starts every instance of the type again, the platform's own way (local, Swarm and Nomad
one at a time, Compose all at once), and leaves the other types alone."""

from __future__ import annotations

from tests.conformance.platforms import Platform
from tests.integration.nomad.conftest import eventually

FORMATION = """
[processes.web]
command = "python3 probe.py"
count = 2
stop_timeout = "1s"

[processes.worker]
command = "python3 probe.py worker"
count = 1
stop_timeout = "1s"
"""


def test_restart_starts_the_types_instances_again_and_nothing_else(platform: Platform) -> None:
    platform.write(FORMATION)
    platform.deploy()
    before = platform.reports(3)
    done = platform.cli("restart", "web", "--timeout", "120")
    assert done.code == 0, done.err
    def restarted() -> dict[str, int] | None:
        counted = platform.starts()
        return counted if all(counted.get(name, 0) >= 2 for name in ("web.1", "web.2")) else None

    starts = eventually(restarted, timeout=120, what="web.1 and web.2 started again")
    assert starts.get("worker.1") == 1, starts  # the other type was not touched
    assert set(before) == {"web.1", "web.2", "worker.1"}
    assert platform.converged()
    platform.down()
