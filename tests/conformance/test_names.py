"""One name per instance, the same everywhere: `web.1`, numbered from 1, in logs and as PROCFLEET_PROCESS; and on
the same deployment, logs that look alike on every backend (logshape.py)."""

from __future__ import annotations

import time

from procfleet import registry
from procfleet.backend import declared_differences
from tests.conformance.logshape import assert_logs_look_alike, assert_not_deployed
from tests.conformance.platforms import Platform
from tests.conformance.screens import assert_screen

FORMATION = """
[processes.web]
command = "python3 probe.py"
count = 2
port = 8000
stop_timeout = "1s"

[processes.worker]
command = "python3 probe.py"
count = 1
env = { PROBE_TICK = "0.5" }
stop_timeout = "1s"

[processes.idle]
command = "python3 probe.py"
count = 0
"""


def test_instances_are_named_type_dot_number_from_1(platform: Platform) -> None:
    """Heroku's DYNO shape (web.1), which Foreman and Honcho give PROCFLEET_PROCESS's peers as well."""
    platform.write(FORMATION)
    assert_not_deployed(platform)
    deployed = time.time()
    platform.deploy()
    reports = platform.reports(3)
    reported = time.time()
    assert sorted(reports) == ["web.1", "web.2", "worker.1"]  # the names `procfleet logs` prints
    seen = {name: report["env"].get("PROCFLEET_PROCESS") for name, report in reports.items()}
    if "instance-number" in declared_differences(registry.load(platform.backend)):
        assert seen == {"web.1": "web", "web.2": "web", "worker.1": "worker"}  # the declared difference
    else:
        assert seen == {"web.1": "web.1", "web.2": "web.2", "worker.1": "worker.1"}
    # ps names them so too, whole, on a terminal of 80 or 132 columns, in colour or not (issue: names as long as
    # the platform's own, hello-compose-worker-1, used to fold over two lines at 80 columns)
    for columns in (80, 132):
        for color in (False, True):
            screen = platform.screen("ps", columns=columns, color=color)
            assert screen.code == 0, screen.err
            assert_screen(screen.out, columns, color, ["web.1", "web.2", "worker.1", "running"])
    assert_logs_look_alike(platform, deployed, reported)
    platform.down()
    assert platform.leftovers() == []
