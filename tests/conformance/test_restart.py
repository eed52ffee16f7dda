"""Restart policies on real exits: what each type's `restart` does after exit 1 and after exit 0, everywhere."""

from __future__ import annotations

import time

from procfleet import registry
from procfleet.backend import declared_differences
from tests.conformance.platforms import Platform
from tests.integration.nomad.conftest import eventually

FORMATION = """
[processes.crash]
command = "python3 probe.py"
env = { PROBE_EXIT = "1", PROBE_EXIT_AFTER = "0.5" }
restart = "on-failure"
count = 1
stop_timeout = "1s"

[processes.done]
command = "python3 probe.py"
env = { PROBE_EXIT = "0", PROBE_EXIT_AFTER = "0.5" }
restart = "on-failure"
count = 1
stop_timeout = "1s"

[processes.always]
command = "python3 probe.py"
env = { PROBE_EXIT = "0", PROBE_EXIT_AFTER = "0.5" }
restart = "always"
count = 1
stop_timeout = "1s"

[processes.never]
command = "python3 probe.py"
env = { PROBE_EXIT = "1", PROBE_EXIT_AFTER = "0.5" }
restart = "never"
count = 1
stop_timeout = "1s"
"""


def test_restart_policies_after_exit_1_and_exit_0(platform: Platform) -> None:
    """on-failure restarts after exit 1 only, always after exit 0 too, never not at all (Foreman and Honcho have
    no restarts; this is Compose's `restart` and Heroku's dyno restarts)."""
    platform.write(FORMATION)
    platform.deploy(wait=False)
    # Nomad restarts after its restart delay (15 s plus up to 25%): the window has to hold one restart there
    eventually(lambda: {"crash.1", "always.1"} <= {n for n, c in platform.starts().items() if c >= 2},
               timeout=60, what="crash.1 and always.1 started again")
    time.sleep(3)
    starts = platform.starts()
    assert starts.get("never.1") == 1, starts
    if "restart-on-success" in declared_differences(registry.load(platform.backend)):
        eventually(lambda: platform.starts().get("done.1", 0) >= 2, timeout=60, what="done.1 restarted (declared)")
    else:
        assert starts.get("done.1") == 1, starts
    platform.down()
    assert platform.leftovers() == []
