"""Waiting until the containers run (healthy where a check exists), and telling crash loops from slow starts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from procfleet.backend import Status, WaitOptions
from procfleet.errors import NotConverged
from procfleet.model import Formation
from procfleet.plan import Plan
from procfleet.units import format_duration
from procfleet_compose.status import Container, members, stays_down

POLL_SECONDS = 0.5
SETTLE_SECONDS = 1.0  # a type without a health check converges once its containers have stayed up this long
CRASH_RESTARTS = 3  # this many restarts, and down again: a crash loop, not a slow start
LOG_LINES = 5


def _up_for(container: Container, now: datetime) -> float:
    started = container.started_at
    return (now - started).total_seconds() if container.running and started is not None else 0.0


def settled(formation: Formation, status: Status, containers: Sequence[Container], now: datetime) -> Status:
    """The status counting as running only containers that stayed up SETTLE_SECONDS (or passed their check).

    Without this, a container that crashes half a second after starting would be caught "running" and the deploy
    reported as converged; a health check proves more than that already.
    """
    types = []
    for item in status.types:
        process = formation.processes.get(item.name)
        group = [c for c in members(containers) if c.process == item.name]
        checked = process is None or process.health is not None
        stayed = sum(c.running and _up_for(c, now) >= SETTLE_SECONDS for c in group)
        types.append(item if checked else replace(item, running=stayed))
    return replace(status, types=tuple(types))


def settling(formation: Formation, containers: Sequence[Container], targets: Mapping[str, int],
             now: datetime) -> float:
    """Seconds until every running container of a targeted type without a health check has stayed up long enough."""
    waits = [SETTLE_SECONDS - _up_for(c, now) for c in members(containers)
             if c.process in targets and c.running and c.process in formation.processes
             and formation.processes[c.process].health is None]
    return max([0.0, *waits])


def done(formation: Formation, containers: Sequence[Container], targets: Mapping[str, int]) -> Counter[str]:
    """Per targeted type, its one-shot containers that exited 0 and stay stopped: done, not late. Compose's own
    `up --wait` counts them so (docker/compose#13661), as local's supervisor and systemd do."""
    return Counter(c.process for c in members(containers) if c.process in targets and c.process in formation.processes
                   and c.exit_code == 0 and stays_down(formation, c))


def ended(formation: Formation, plan: Plan, containers: Sequence[Container]) -> set[str]:
    """The one-shot types this deploy leaves alone: unchanged in the plan, every instance exited and left stopped by
    its policy (done after exit 0; under restart = "never" failed too, as the wait then says). Compose's `up`
    starts every container of a service that is not running (pkg/compose/convergence.go, startService), which
    would run them again where the plan says nothing changes, and where no other backend does; a type built from
    a Dockerfile still goes to `up`, which recreates (and runs) it when its image was rebuilt."""
    unchanged = {change.process: change.desired for change in plan.changes
                 if change.action == "unchanged" and change.desired and change.process in formation.processes
                 and formation.build_for(formation.processes[change.process]) is None}
    down = Counter(c.process for c in members(containers) if c.process in unchanged and stays_down(formation, c))
    instances = Counter(c.process for c in members(containers))
    return {name for name, count in unchanged.items() if down[name] == instances[name] == count}


def trouble(formation: Formation, containers: Sequence[Container], targets: Mapping[str, int]) -> Container | None:
    """The first container of a targeted type that will not come up by waiting longer."""
    for container in members(containers):
        process = formation.processes.get(container.process)
        if container.process not in targets or process is None:
            continue
        if container.restarts >= CRASH_RESTARTS and not container.running:
            return container
        if container.health == "unhealthy":
            return container
        if container.exit_code != 0 and stays_down(formation, container):
            return container
    return None


def describe_trouble(formation: Formation, container: Container, output: str) -> str:
    """Why a container will not converge, with its last lines of output."""
    restart = formation.processes[container.process].restart
    # the name ps gives it, then the container's, for docker's own commands
    name = f"{container.process}.{container.number} (container {container.name})"
    if container.health == "unhealthy":
        reason = f"{name} is unhealthy: its health check fails ({container.health_output or 'no output'})"
    elif container.restarts >= CRASH_RESTARTS:
        reason = f"{name} keeps crashing: {container.restarts} restarts, last exit code {container.exit_code}"
    else:
        reason = f"{name} exited with code {container.exit_code} and restart = \"{restart}\" does not start it again"
    if output:
        last = "\n".join(f"  | {line}" for line in output.splitlines()[-LOG_LINES:])
        reason += f"; its last output:\n{last}"
    return reason


def summary(status: Status, targets: Mapping[str, int]) -> str:
    """`web 1/2 running, 0/2 healthy; worker 3/3 running` for the targeted types."""
    parts = []
    for item in status.types:
        if item.name not in targets:
            continue
        part = f"{item.name} {item.running}/{targets[item.name]} running"
        if item.healthy is not None:
            part += f", {item.healthy}/{targets[item.name]} healthy"
        parts.append(part)
    return "; ".join(parts)


def wait_for(formation: Formation, targets: Mapping[str, int], wait: WaitOptions,
             observe: Callable[[], tuple[Status, list[Container]]], tail: Callable[[Container], str]) -> Status:
    """Poll until the targeted types run their counts; a crash loop or the timeout raises NotConverged."""
    needs_health = {name: formation.processes[name].health is not None for name in targets
                    if name in formation.processes}
    deadline = time.monotonic() + wait.timeout
    while True:
        status, containers = observe()
        now = datetime.now(UTC)
        if wait.progress is not None:
            wait.progress(status)
        finished = done(formation, containers, targets)
        expected = {name: max(0, count - finished[name]) for name, count in targets.items()}
        if settled(formation, status, containers, now).converged(expected, needs_health):
            return status
        stuck = trouble(formation, containers, targets)
        if stuck is not None:
            raise NotConverged(describe_trouble(formation, stuck, tail(stuck)))
        if time.monotonic() >= deadline:
            raise NotConverged(f"{formation.app.name} did not converge within {format_duration(wait.timeout)}: "
                               f"{summary(status, targets)} (see `procfleet ps` and `procfleet logs`)")
        # Only settling left: look again as soon as the youngest container has stayed up long enough.
        almost = status.converged(expected, needs_health)
        time.sleep(min(POLL_SECONDS, settling(formation, containers, targets, now) + 0.02) if almost else POLL_SECONDS)
