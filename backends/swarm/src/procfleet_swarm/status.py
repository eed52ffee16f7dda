"""Services and tasks as `docker inspect` describes them, and what they add up to: live counts and status. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from procfleet.backend import InstanceStatus, LiveType, Status, TypeStatus
from procfleet.model import Formation
from procfleet_compose.status import timestamp
from procfleet_compose.translate import APP_LABEL, FINGERPRINT_LABEL, PROCESS_LABEL

NAMESPACE_LABEL = "com.docker.stack.namespace"
TERMINAL = ("complete", "failed", "rejected", "shutdown", "orphaned", "remove")  # a task never leaves these
FAILED = ("failed", "rejected")


@dataclass(frozen=True)
class Service:
    """What procfleet needs to know of one Swarm service of the stack."""

    id: str
    name: str
    app: str | None  # the procfleet.app service label; None: procfleet did not create it
    process: str
    fingerprint: str | None
    replicas: int  # deploy.replicas (a global service counts as 0: procfleet never creates one)
    checked: bool  # has a health check: Swarm reports its tasks running only once healthy
    ports: str = ""  # ingress-published ports, `*:30000->8000/tcp`
    update_state: str | None = None  # updating, completed, paused, rollback_started, rollback_completed…
    update_started: str | None = None  # identifies one update: a new value means a new update
    update_message: str = ""


@dataclass(frozen=True)
class Task:
    """One task of a service: a container Swarm placed (or failed to place) on a node."""

    id: str
    service_id: str
    slot: int
    node_id: str
    desired: str  # running, shutdown, remove…
    state: str  # new, pending, assigned, preparing, starting, running, complete, failed, rejected, shutdown…
    error: str = ""
    message: str = ""
    exit_code: int | None = None
    created: datetime | None = None
    since: datetime | None = None  # when it entered its current state
    ports: str = ""  # host-mode published ports
    version: int = 0
    image: str = ""
    fingerprint: str | None = None  # the procfleet.fingerprint label of the spec it runs

    @property
    def running(self) -> bool:
        """Up (and, where the service has a health check, healthy)."""
        return self.state == "running"

    @property
    def failed(self) -> bool:
        """Ended by an error: exited non-zero, unhealthy, or refused by its node."""
        return self.state in FAILED


@dataclass(frozen=True)
class Snapshot:
    """The stack's services and their tasks, seen at one moment, and node names by ID."""

    services: tuple[Service, ...] = ()
    tasks: tuple[Task, ...] = ()
    nodes: Mapping[str, str] = field(default_factory=dict)
    down: frozenset[str] = frozenset()  # IDs of the nodes that are not Ready (down, disconnected)
    drained: frozenset[str] = frozenset()  # IDs of the nodes Swarm places nothing new on (drained, paused)

    def available(self) -> list[str]:
        """The hostnames of the nodes Swarm may place a new task on: Ready and Active."""
        return [name for node_id, name in self.nodes.items() if node_id not in self.down | self.drained]

    def node_name(self, node_id: str) -> str:
        """A node's hostname, or the start of its ID when it is not known."""
        return self.nodes.get(node_id, node_id[:12])

    def service(self, process: str) -> Service | None:
        """The service a type runs as, if deployed."""
        return next((s for s in self.services if s.process == process), None)


def _ports(entries: Iterable[Mapping[str, Any]] | None, mode: str) -> str:
    published = [f"*:{p.get('PublishedPort')}->{p.get('TargetPort')}/{p.get('Protocol', 'tcp')}"
                 for p in entries or () if p.get("PublishMode", "ingress") == mode and p.get("PublishedPort")]
    return ", ".join(dict.fromkeys(published))  # the engine lists a host port once per address family


def parse_service(inspected: Mapping[str, Any], stack: str) -> Service:
    """One element of `docker service inspect`'s JSON array."""
    spec = inspected.get("Spec") or {}
    labels: Mapping[str, str] = spec.get("Labels") or {}
    name = str(spec.get("Name", ""))
    replicated = (spec.get("Mode") or {}).get("Replicated") or {}
    container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    test = (container.get("Healthcheck") or {}).get("Test") or []
    update = inspected.get("UpdateStatus") or {}
    return Service(
        id=str(inspected.get("ID", "")),
        name=name,
        app=labels.get(APP_LABEL),
        process=labels.get(PROCESS_LABEL) or name.removeprefix(f"{stack}_"),
        fingerprint=labels.get(FINGERPRINT_LABEL),
        replicas=int(replicated.get("Replicas") or 0),
        checked=bool(test) and test[0] != "NONE",
        ports=_ports((inspected.get("Endpoint") or {}).get("Ports"), "ingress"),
        update_state=update.get("State") or None,
        update_started=update.get("StartedAt") or None,
        update_message=str(update.get("Message") or ""),
    )


def parse_task(inspected: Mapping[str, Any]) -> Task:
    """One element of `docker inspect --type task`'s JSON array."""
    status = inspected.get("Status") or {}
    container = status.get("ContainerStatus") or {}
    exit_code = container.get("ExitCode")
    container_spec = (inspected.get("Spec") or {}).get("ContainerSpec") or {}
    return Task(
        id=str(inspected.get("ID", "")),
        service_id=str(inspected.get("ServiceID", "")),
        slot=int(inspected.get("Slot") or 0),
        node_id=str(inspected.get("NodeID") or ""),
        desired=str(inspected.get("DesiredState", "")),
        state=str(status.get("State", "unknown")),
        error=str(status.get("Err") or ""),
        message=str(status.get("Message") or ""),
        exit_code=int(exit_code) if isinstance(exit_code, int) and container.get("ContainerID") else None,
        created=timestamp(inspected.get("CreatedAt")),
        since=timestamp(status.get("Timestamp")),
        ports=_ports((status.get("PortStatus") or {}).get("Ports"), "host"),
        version=int((inspected.get("Version") or {}).get("Index") or 0),
        image=str(container_spec.get("Image") or ""),
        fingerprint=(container_spec.get("Labels") or {}).get(FINGERPRINT_LABEL),
    )


def foreign(services: Iterable[Service], app: str) -> list[Service]:
    """Services of the stack that procfleet did not create for this app."""
    return [s for s in services if s.app != app]


def live_types(services: Iterable[Service]) -> dict[str, LiveType]:
    """Each type's deploy.replicas and the fingerprint its service carries (a type scaled to 0 is live at 0)."""
    return {s.process: LiveType(name=s.process, count=s.replicas, fingerprint=s.fingerprint) for s in services}


def _age(task: Task) -> tuple[datetime, int]:
    return task.created or datetime.min.replace(tzinfo=UTC), task.version


def current(tasks: Iterable[Task]) -> list[Task]:
    """The newest task of each slot, leaving out slots Swarm is removing (scaled down), by service and slot."""
    newest: dict[tuple[str, int], Task] = {}
    for task in tasks:
        key = (task.service_id, task.slot)
        if key not in newest or _age(task) > _age(newest[key]):
            newest[key] = task
    return sorted((t for t in newest.values() if t.desired != "remove"), key=lambda t: (t.service_id, t.slot))


def failures(tasks: Iterable[Task], service: Service, slot: int, among: Iterable[str] | None = None) -> list[Task]:
    """The failed tasks of one slot, oldest first; only those whose IDs are in `among` when it is given."""
    wanted = None if among is None else set(among)
    found = [t for t in tasks if t.service_id == service.id and t.slot == slot and t.failed
             and (wanted is None or t.id in wanted)]
    return sorted(found, key=_age)


def task_name(service: Service, task: Task) -> str:
    """`shop_web.2`, as `docker service ps` names it."""
    return f"{service.name}.{task.slot}"


def stays_down(formation: Formation, service: Service, task: Task) -> bool:
    """Whether the type's restart policy leaves this ended task stopped."""
    process = formation.processes.get(service.process)
    restart = process.restart if process else "always"
    return task.state in ("complete", "failed") and (
        restart == "never" or (restart == "on-failure" and task.state == "complete"))


def build_status(formation: Formation, app: str, snapshot: Snapshot, now: datetime | None = None) -> Status:
    """Per type desired/running/healthy, and one row per slot: its newest task."""
    moment = now or datetime.now(UTC)
    by_id = {s.id: s for s in snapshot.services}
    names = list(dict.fromkeys([*formation.processes, *(s.process for s in snapshot.services)]))
    tasks = [t for t in current(snapshot.tasks) if t.service_id in by_id]
    types = []
    for name in names:
        service = snapshot.service(name)
        process = formation.processes.get(name)
        checked = process.health is not None if process else bool(service and service.checked)
        # a task on a node that is down is not known to run: Swarm replaces it
        running = sum(t.running and t.node_id not in snapshot.down for t in tasks
                      if service is not None and t.service_id == service.id)
        # a one-shot's task that completed (exit 0) and that its restart condition starts no other after
        done = sum(t.state == "complete" and stays_down(formation, service, t) for t in tasks
                   if service is not None and t.service_id == service.id)
        types.append(TypeStatus(name=name, desired=service.replicas if service else 0, running=running,
                                healthy=running if checked else None, done=done))
    order = {name: index for index, name in enumerate(names)}
    rows = sorted(tasks, key=lambda t: (order[by_id[t.service_id].process], t.slot))
    instances = tuple(instance(by_id[t.service_id], t, snapshot, moment) for t in rows)
    return Status(backend="swarm", app=app, types=tuple(types), instances=instances)


def instance(service: Service, task: Task, snapshot: Snapshot, now: datetime) -> InstanceStatus:
    """One task's row in `ps`: name, node, state, health, ports, earlier failures of its slot, uptime, error."""
    uptime = None
    if task.running and task.since is not None:
        uptime = max(0.0, (now - task.since).total_seconds())
    healthy = None
    if service.checked:
        healthy = task.running
    return InstanceStatus(
        name=f"{service.process}.{task.slot}",
        process=service.process,
        state=task.state,
        healthy=healthy,
        ports=task.ports or service.ports,
        restarts=len([t for t in failures(snapshot.tasks, service, task.slot) if t.id != task.id]),
        uptime=uptime,
        node=snapshot.node_name(task.node_id),
        detail=lost(service, task, snapshot) or detail(task),
        platform_name=task_name(service, task),
        platform_id=task.id[:12],
    )


def detail(task: Task) -> str:
    """Why a task is not simply up: the engine's error, its exit code, or what the scheduler is waiting for."""
    if task.error:
        return task.error
    if task.state in ("complete", "failed") and task.exit_code is not None:
        return f"exit code {task.exit_code}"
    if task.state == "pending" and task.message:
        return task.message
    return ""


def lost(service: Service, task: Task, snapshot: Snapshot) -> str:
    """What a node going down did to this slot: the task is on that node, or replaces the tasks lost with it."""
    if task.node_id in snapshot.down:
        return f"node {snapshot.node_name(task.node_id)} is down"
    gone = [t for t in snapshot.tasks if t.service_id == service.id and t.slot == task.slot and t.id != task.id
            and t.node_id in snapshot.down and t.desired != "running" and t.state not in TERMINAL]
    if not gone:
        return ""
    nodes = ", ".join(dict.fromkeys(snapshot.node_name(t.node_id) for t in gone))
    ids = ", ".join(t.id[:12] for t in gone)
    return f"replaces task {ids}, lost with node {nodes} (down)"


def not_running(snapshot: Snapshot, processes: Sequence[str]) -> list[tuple[Service, Task]]:
    """The current tasks of these types that do not run, each with its service (for messages)."""
    by_id = {s.id: s for s in snapshot.services if s.process in processes}
    return [(by_id[t.service_id], t) for t in current(snapshot.tasks) if t.service_id in by_id and not t.running]
