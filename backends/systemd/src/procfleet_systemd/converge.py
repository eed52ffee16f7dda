"""Waiting until the instances run, and telling a crash loop from a slow start."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping

from procfleet.backend import InstanceStatus, Status, WaitOptions
from procfleet.errors import NotConverged
from procfleet.model import Formation
from procfleet.units import format_duration

POLL_SECONDS = 0.25
# An instance counts as running once it has stayed up this long: one that crashes half a second after exec would
# otherwise be caught "running" and the deploy reported as converged.
SETTLE_SECONDS = 1.0
GIVEN_UP = ("crashed", "failed")  # systemd will not start these again by itself


def settled(status: Status, targets: Mapping[str, int]) -> dict[str, int]:
    """How many instances of each targeted type have been running for SETTLE_SECONDS."""
    return Counter(i.process for i in status.instances
                   if i.process in targets and i.state == "running" and (i.uptime or 0.0) >= SETTLE_SECONDS)


def stuck(status: Status, targets: Mapping[str, int]) -> list[InstanceStatus]:
    """The targeted instances systemd has given up on."""
    return [i for i in status.instances if i.process in targets and i.state in GIVEN_UP
            and int(i.name.rsplit(".", 1)[1]) <= targets[i.process]]


def wait_for(formation: Formation, targets: Mapping[str, int], wait: WaitOptions, observe: Callable[[], Status],
             last_lines: Callable[[InstanceStatus], list[str]]) -> Status:
    """Poll until every targeted type runs its count; an instance systemd gave up on, or the timeout, raises."""
    deadline = time.monotonic() + wait.timeout
    while True:
        status = observe()
        if wait.progress is not None:
            wait.progress(status)
        # an instance its restart policy leaves stopped (restart = "never", or "on-failure" after exit 0) is done
        done = Counter(i.process for i in status.instances if i.process in targets and i.state == "exited")
        up = settled(status, targets)
        running = {t.name: t.running for t in status.types}
        if all(up[name] >= count - done[name] and running.get(name, 0) <= count for name, count in targets.items()):
            return status
        failed = stuck(status, targets)
        if failed:
            first = failed[0]
            lines = "".join(f"\n  | {line}" for line in last_lines(first))
            why = first.detail or "systemd gave up on it"
            output = f"; its last output:{lines}" if lines else ""
            raise NotConverged(f"{first.name} of {formation.app.name} {first.state}: {why} (see `procfleet logs "
                               f"{first.process}`){output}")
        if time.monotonic() >= deadline:
            counts = ", ".join(f"{name} {up[name]}/{count} running" for name, count in targets.items())
            raise NotConverged(f"{formation.app.name} did not converge within {format_duration(wait.timeout)}: "
                               f"{counts} (see `procfleet ps` and `procfleet logs`)")
        time.sleep(POLL_SECONDS)
