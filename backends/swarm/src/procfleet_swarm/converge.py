"""Waiting until every service runs its replicas (healthy where a check exists), and telling the failures that
waiting cannot fix (an image no node can get, a crash loop, a rolled-back update) from a slow start."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from procfleet.backend import Status, WaitOptions
from procfleet.errors import NotConverged
from procfleet.model import Formation
from procfleet.units import format_duration
from procfleet_compose.converge import summary
from procfleet_swarm import failures
from procfleet_swarm import options as swarm_options
from procfleet_swarm.status import Service, Snapshot, Task, current, detail, stays_down, task_name

POLL_SECONDS = 0.5
SETTLE_SECONDS = 1.0  # a type without a health check converges once its tasks have stayed up this long
CRASH_FAILURES = 3  # this many failed tasks in one slot, and the slot still down: a crash loop
LOG_LINES = 5
DETAILS = 3  # tasks named in a timeout message
GATHER_SECONDS = 2.0  # how long an image trouble waits for the other nodes' tasks to be refused too
IN_PROGRESS = ("updating", "rollback_started")
UPDATE_FAILED = ("paused", "rollback_completed", "rollback_paused")


@dataclass(frozen=True)
class Baseline:
    """What was there before procfleet acted: tasks seen then are not this command's, nor updates started then."""

    tasks: frozenset[str] = frozenset()
    updates: Mapping[str, str | None] = field(default_factory=dict)  # service name → its update's start

    @classmethod
    def of(cls, snapshot: Snapshot) -> Baseline:
        """The baseline of a look at the stack."""
        return cls(tasks=frozenset(t.id for t in snapshot.tasks),
                   updates={s.name: s.update_started for s in snapshot.services})

    def new_update(self, service: Service) -> bool:
        """Whether the service's current (or last) update started after the baseline was taken."""
        return service.update_started is not None and self.updates.get(service.name) != service.update_started


@dataclass(frozen=True)
class Trouble:
    """Why waiting longer will not help, and whose output shows it."""

    reason: str
    task: str | None = None
    gather: bool = False  # other nodes may say the same within a moment: wait GATHER_SECONDS to name them all


def _targeted(snapshot: Snapshot, targets: Mapping[str, int]) -> dict[str, Service]:
    return {s.id: s for s in snapshot.services if s.process in targets}


def updating(snapshot: Snapshot, targets: Mapping[str, int], baseline: Baseline) -> list[Service]:
    """Targeted services whose rolling update, started by this command, is still going (or rolling back)."""
    return [s for s in _targeted(snapshot, targets).values()
            if s.update_state in IN_PROGRESS and baseline.new_update(s)]


def settled(formation: Formation, status: Status, snapshot: Snapshot, baseline: Baseline,
            first_running: dict[str, float], now: float) -> Status:
    """The status counting, for types without a health check, only tasks that have stayed up SETTLE_SECONDS.

    A task counts from when this wait first saw it running (the nodes' clocks are not ours); one already
    running before procfleet acted counts at once. A health check proves more than that already.
    """
    services = {s.id: s for s in snapshot.services}
    stayed: dict[str, int] = {}
    for task in current(snapshot.tasks):
        service = services.get(task.service_id)
        if service is None or not task.running:
            continue
        seen = first_running.setdefault(task.id, now - SETTLE_SECONDS if task.id in baseline.tasks else now)
        if now - seen >= SETTLE_SECONDS:
            stayed[service.process] = stayed.get(service.process, 0) + 1
    types = []
    for item in status.types:
        process = formation.processes.get(item.name)
        checked = process is None or process.health is not None
        types.append(item if checked else replace(item, running=stayed.get(item.name, 0)))
    return replace(status, types=tuple(types))


def trouble(formation: Formation, snapshot: Snapshot, targets: Mapping[str, int], baseline: Baseline) -> Trouble | None:
    """The first reason the targeted types will not converge by waiting longer, if there is one."""
    services = _targeted(snapshot, targets)
    fresh = sorted((t for t in snapshot.tasks if t.service_id in services and t.id not in baseline.tasks),
                   key=lambda t: (t.created is None, t.created, t.version))
    # Swarm goes on retrying the previous definition's tasks until the update replaces them: not this one's.
    of_now = [t for t in fresh if t.fingerprint == services[t.service_id].fingerprint]
    return (_failed_update(services, fresh, baseline) or _refused(snapshot, services, of_now)
            or _unplaceable(formation, snapshot, services, of_now)
            or _down_for_good(formation, snapshot, services, of_now))


def _failed_update(services: Mapping[str, Service], fresh: Sequence[Task], baseline: Baseline) -> Trouble | None:
    """An update this command started that Swarm paused or rolled back (update_config.failure_action)."""
    for service in services.values():
        if service.update_state in UPDATE_FAILED and baseline.new_update(service):
            failed = [t for t in fresh if t.service_id == service.id and t.failed]
            last = failed[-1] if failed else None
            undone = "Swarm rolled it back" if service.update_state.startswith("rollback") else "Swarm paused it"
            cause = f"; {told(service, last)}: {detail(last)}" if last else ""
            return Trouble(f"the update of {service.name} failed and {undone} ({service.update_message}){cause}",
                           last.id if last else None)
    return None


def _refused(snapshot: Snapshot, services: Mapping[str, Service], fresh: Sequence[Task]) -> Trouble | None:
    """A new task whose node could not get the image, or that failed its health check."""
    for task in fresh:
        service = services[task.service_id]
        if task.state == "rejected" and failures.image_unavailable(task.error):
            image = task.image.split("@")[0] or "(its image)"
            # every node seen refusing it so far, so that the message names all those that lack the image
            nodes = dict.fromkeys(snapshot.node_name(t.node_id) or "(none)" for t in fresh
                                  if t.state == "rejected" and t.image == task.image
                                  and failures.image_unavailable(t.error))
            return Trouble(failures.images_unreachable(told(service, task), ", ".join(nodes), image, task.error),
                           gather=len(snapshot.available()) > 1)
        if task.failed and failures.UNHEALTHY in task.error:
            return Trouble(f"{told(service, task)} failed its health check and Swarm stopped it "
                           f"({task.error})", task.id)
    return None


def _unplaceable(formation: Formation, snapshot: Snapshot, services: Mapping[str, Service],
                 fresh: Sequence[Task]) -> Trouble | None:
    """A new task no node will take: its constraints hold nowhere, or max_replicas_per_node is reached everywhere."""
    for task in fresh:
        if task.state != "pending" or task.desired != "running" or not failures.unplaceable(task.error):
            continue
        service = services[task.service_id]
        settings = swarm_options.settings(formation)
        unavailable = [f"{snapshot.node_name(n)} is down" for n in sorted(snapshot.down)]
        unavailable += [f"{snapshot.node_name(n)} is drained" for n in sorted(snapshot.drained - snapshot.down)]
        return Trouble(failures.cannot_place(told(service, task), task.error, service.process,
                                             settings.constraints.get(service.process, ()),
                                             settings.max_replicas_per_node.get(service.process),
                                             snapshot.available(), unavailable))
    return None


def told(service: Service, task: Task) -> str:
    """A task as a message names it: as `ps` does (web.2), then as Swarm does, for docker's own commands."""
    return f"{service.process}.{task.slot} (task {task_name(service, task)})"


def done(formation: Formation, snapshot: Snapshot, targets: Mapping[str, int]) -> Counter[str]:
    """Per targeted type, its one-shot tasks that completed (exit 0) and stay stopped: done, not late, as Compose's
    `up --wait` (docker/compose#13661), local's supervisor and systemd count them."""
    services = _targeted(snapshot, targets)
    return Counter(services[t.service_id].process for t in current(snapshot.tasks) if t.service_id in services
                   and t.state == "complete" and stays_down(formation, services[t.service_id], t))


def _down_for_good(formation: Formation, snapshot: Snapshot, services: Mapping[str, Service],
                   fresh: Sequence[Task]) -> Trouble | None:
    """A slot that keeps failing, or whose task ended and will not be started again by its restart policy."""
    for task in current(snapshot.tasks):
        service = services.get(task.service_id)
        if service is None:
            continue
        slot_failures = [t for t in fresh if t.service_id == service.id and t.slot == task.slot and t.failed]
        if len(slot_failures) >= CRASH_FAILURES and not task.running:
            last = slot_failures[-1]
            count = len(slot_failures)
            how = (f"cannot start: nodes refused {count} tasks" if last.state == "rejected"
                   else f"keeps crashing: {count} tasks failed")
            return Trouble(f"{told(service, task)} {how}, the last with {detail(last) or last.state}", last.id)
        process = formation.processes.get(service.process)
        restart = process.restart if process else "always"
        if task.desired != "running" and task.state == "failed" and stays_down(formation, service, task):
            return Trouble(f"{told(service, task)} exited with code {task.exit_code} and restart = "
                           f'"{restart}" does not start it again', task.id)
    return None


def describe(found: Trouble, output: str) -> str:
    """The trouble, with the failed task's last lines of output."""
    if not output:
        return found.reason
    last = "\n".join(f"  | {line}" for line in output.splitlines()[-LOG_LINES:])
    return f"{found.reason}; its last output:\n{last}"


def stuck(snapshot: Snapshot, targets: Mapping[str, int], baseline: Baseline) -> str:
    """What the tasks that do not run are waiting for, and the updates still going, for a timeout message."""
    services = _targeted(snapshot, targets)
    parts = [f"{s.name} is still updating" for s in updating(snapshot, targets, baseline)]
    if still := stopping(snapshot, targets):
        parts.append(f"{len(still)} task{'s' if len(still) > 1 else ''} taken away still running")
    waiting: list[Task] = [t for t in current(snapshot.tasks) if t.service_id in services and not t.running]
    for task in waiting[:DETAILS]:
        why = detail(task)
        parts.append(f"{told(services[task.service_id], task)} {task.state}" + (f": {why}" if why else ""))
    return "; ".join(parts)


def converged(formation: Formation, status: Status, snapshot: Snapshot, targets: Mapping[str, int],
              baseline: Baseline) -> bool:
    """Counts reached (healthy where checked), every targeted service asking for them, no update going on."""
    needs_health = {name: formation.processes[name].health is not None for name in targets
                    if name in formation.processes}
    for name, count in targets.items():
        service = snapshot.service(name)
        if (service.replicas if service else 0) != count:
            return False
    finished = done(formation, snapshot, targets)
    expected = {name: max(0, count - finished[name]) for name, count in targets.items()}
    return status.converged(expected, needs_health) and not updating(snapshot, targets, baseline) \
        and not stopping(snapshot, targets)


def stopping(snapshot: Snapshot, targets: Mapping[str, int]) -> list[Task]:
    """Tasks of the targeted types that Swarm is taking away (scaled down, replaced) whose container still runs on a
    node that is up: until they have stopped the command has not done what it was asked (as on every backend,
    `scale web=0 --wait` returns once nothing of web runs). Swarm's own CLI does not wait for them."""
    services = _targeted(snapshot, targets)
    return [t for t in snapshot.tasks if t.service_id in services and t.desired != "running"
            and t.state in ("starting", "running") and t.node_id not in snapshot.down]


def wait_for(formation: Formation, targets: Mapping[str, int], wait: WaitOptions,
             observe: Callable[[], tuple[Status, Snapshot]], output: Callable[[str], str],
             baseline: Baseline) -> Status:
    """Poll until the targeted types run their counts; a failure waiting cannot fix, or the timeout, raises."""
    deadline = time.monotonic() + wait.timeout
    first_running: dict[str, float] = {}
    gathering: float | None = None
    while True:
        status, snapshot = observe()
        now = time.monotonic()
        if wait.progress is not None:
            wait.progress(status)
        if converged(formation, settled(formation, status, snapshot, baseline, first_running, now), snapshot,
                     targets, baseline):
            return status
        found = trouble(formation, snapshot, targets, baseline)
        if found is not None and found.gather and now < (gathering := gathering or now) + GATHER_SECONDS:
            found = None  # the other nodes' tasks are likely refused the same way within a moment
        if found is not None:
            raise NotConverged(describe(found, output(found.task) if found.task else ""))
        if now >= deadline:
            waiting = stuck(snapshot, targets, baseline)
            raise NotConverged(f"{formation.app.name} did not converge within {format_duration(wait.timeout)}: "
                               f"{summary(status, targets)}" + (f"; {waiting}" if waiting else "")
                               + " (see `procfleet ps` and `procfleet logs`)")
        time.sleep(POLL_SECONDS)
