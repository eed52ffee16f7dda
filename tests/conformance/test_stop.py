"""Stopping: the type's stop_signal reaches the process, which has stop_timeout before SIGKILL, everywhere."""

from __future__ import annotations

from tests.conformance.platforms import Platform

# Both get SIGUSR1 and then clean up, which the probe says it finished: one's cleanup fits in its 2 s stop_timeout,
# the other's does not, and is cut short. No platform's default grace (5 s on Nomad, 10 s on Compose and Swarm, 90 s
# on systemd, procfleet's own 10 s) is as short, so a stop_timeout not passed on lets the longer cleanup finish too.
FORMATION = """
[processes.quick]
command = "python3 probe.py"
env = { PROBE_CLEANUP = "0.5" }
stop_signal = "SIGUSR1"
stop_timeout = "2s"

[processes.slow]
command = "python3 probe.py"
env = { PROBE_CLEANUP = "3.5" }
stop_signal = "SIGUSR1"
stop_timeout = "2s"
"""


def test_stop_signal_is_delivered_and_stop_timeout_respected(platform: Platform) -> None:
    """scale --wait to 0 returns once both have ended, as the platform sees it; each probe got the stop signal and
    ran on after it; the cleanup shorter than stop_timeout finished, the longer one never did: SIGKILL came at
    stop_timeout."""
    platform.write(FORMATION)
    platform.deploy()
    platform.reports(2)
    follower = platform.follow("quick", "slow")
    done = platform.cli("scale", "quick=0", "slow=0", "--wait", "--timeout", "60")
    assert done.code == 0, done.err
    assert platform.running() == [], "scale --wait to 0 returned while instances still ran"
    seen = follower.stop(until=lambda lines: {("quick.1", "PROBE-CLEANED"), ("slow.1", "PROBE-SIGNAL SIGUSR1")}
                         <= set(lines))
    quick = [text for name, text in seen if name == "quick.1"]
    slow = [text for name, text in seen if name == "slow.1"]
    for lines in (quick, slow):
        assert lines[0] == "PROBE-SIGNAL SIGUSR1" and lines[1].startswith("PROBE-ALIVE "), seen  # it ran on
    assert quick[-1] == "PROBE-CLEANED", seen  # given the time stop_timeout promises
    assert "PROBE-CLEANED" not in slow, seen  # and no more: SIGKILL cut it off
    platform.down()
    assert platform.leftovers() == []
