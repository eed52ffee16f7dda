"""Stopping: the type's stop_signal reaches the process, which has stop_timeout before SIGKILL, everywhere."""

from __future__ import annotations

from tests.conformance.platforms import Platform

FORMATION = """
[processes.web]
command = "python3 probe.py"
count = 1
port = 8000
stop_signal = "SIGUSR1"
stop_timeout = "3s"
"""


def test_stop_signal_is_delivered_and_stop_timeout_respected(platform: Platform) -> None:
    """The probe ignores the signal and counts: the last count is how long it was left alive before SIGKILL."""
    platform.write(FORMATION)
    platform.deploy()
    platform.reports(1)
    follower = platform.follow("web")
    done = platform.cli("scale", "web=0", "--wait", "--timeout", "60")
    assert done.code == 0, done.err
    seen = follower.stop(until=lambda lines: any(text.startswith("PROBE-ALIVE 2.") for _, text in lines))
    lines = [text for name, text in seen if name == "web.1"]
    assert "PROBE-SIGNAL SIGUSR1" in lines, seen
    alive = [float(text.split()[1]) for text in lines if text.startswith("PROBE-ALIVE ")]
    assert alive and 2.0 <= max(alive) <= 4.5, alive
    platform.down()
    assert platform.leftovers() == []
