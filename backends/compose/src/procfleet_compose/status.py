"""Containers as `docker inspect` describes them, and what they add up to: live counts and status. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from procfleet.backend import InstanceStatus, LiveType, Status, TypeStatus
from procfleet.model import Formation
from procfleet_compose.translate import APP_LABEL, FINGERPRINT_LABEL, PROCESS_LABEL

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"
ONEOFF_LABEL = "com.docker.compose.oneoff"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"  # the files `up` read, comma-separated
MIXED = "mixed"  # the fingerprint of a type whose containers disagree (an update was interrupted)


@dataclass(frozen=True)
class Container:
    """What procfleet needs to know of one container of the project."""

    id: str
    name: str
    app: str | None  # the procfleet.app label; None: procfleet did not create it
    process: str
    number: int
    oneoff: bool
    fingerprint: str | None
    state: str  # created, running, restarting, paused, exited, dead
    exit_code: int = 0
    health: str | None = None  # starting, healthy, unhealthy; None: no health check
    health_output: str = ""
    restarts: int = 0
    started_at: datetime | None = None
    ports: str = ""
    error: str = ""
    config_files: tuple[str, ...] = ()  # the Compose files the container was created from

    @property
    def running(self) -> bool:
        """Up, not between two restarts."""
        return self.state == "running"


def parse(inspected: Mapping[str, Any]) -> Container:
    """One element of `docker inspect`'s JSON array."""
    config = inspected.get("Config") or {}
    labels: Mapping[str, str] = config.get("Labels") or {}
    state = inspected.get("State") or {}
    health = state.get("Health") or {}
    log = health.get("Log") or []
    number = labels.get(NUMBER_LABEL, "0")
    return Container(
        id=str(inspected.get("Id", "")),
        name=str(inspected.get("Name", "")).lstrip("/"),
        app=labels.get(APP_LABEL),
        process=labels.get(PROCESS_LABEL) or labels.get(SERVICE_LABEL, ""),
        number=int(number) if number.isdigit() else 0,
        oneoff=labels.get(ONEOFF_LABEL, "False").lower() == "true",
        fingerprint=labels.get(FINGERPRINT_LABEL),
        state=str(state.get("Status", "unknown")),
        exit_code=int(state.get("ExitCode") or 0),
        health=health.get("Status") or None,
        health_output=str(log[-1].get("Output") or "").strip() if log else "",
        restarts=int(inspected.get("RestartCount") or 0),
        started_at=timestamp(state.get("StartedAt")),
        ports=format_ports((inspected.get("NetworkSettings") or {}).get("Ports")),
        error=str(state.get("Error") or ""),
        config_files=tuple(path for path in labels.get(CONFIG_FILES_LABEL, "").split(",") if path),
    )


def timestamp(text: Any) -> datetime | None:
    """Docker's RFC 3339 time with nanoseconds, cut to microseconds (what Python parses); None when unset."""
    if not isinstance(text, str) or not text or text.startswith("0001-"):
        return None
    head, _, tail = text.rstrip("Z").partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{(tail + '000000')[:6]}+00:00")
    except ValueError:
        return None


def format_ports(ports: Mapping[str, Any] | None) -> str:
    """`0.0.0.0:32768->8000/tcp`, as `docker ps` prints published ports."""
    published = []
    for container_port, bindings in (ports or {}).items():
        for binding in bindings or []:
            host_ip = binding.get("HostIp") or "0.0.0.0"
            host = f"[{host_ip}]" if ":" in host_ip else host_ip
            published.append(f"{host}:{binding.get('HostPort')}->{container_port}")
    return ", ".join(published)


def foreign(containers: Iterable[Container], app: str) -> list[Container]:
    """Containers of the project that procfleet did not create for this app."""
    return [c for c in containers if c.app != app]


def members(containers: Iterable[Container]) -> list[Container]:
    """The containers that make up the formation (one-off `run` containers are not counted)."""
    return sorted((c for c in containers if not c.oneoff), key=lambda c: (c.process, c.number))


def live_types(containers: Iterable[Container]) -> dict[str, LiveType]:
    """Each type's container count and the fingerprint its containers carry."""
    by_type: dict[str, list[Container]] = {}
    for container in members(containers):
        by_type.setdefault(container.process, []).append(container)
    live = {}
    for name, group in by_type.items():
        prints = {c.fingerprint for c in group}
        value = prints.pop() if len(prints) == 1 else MIXED
        live[name] = LiveType(name=name, count=len(group), fingerprint=value)
    return live


def stays_down(formation: Formation, container: Container) -> bool:
    """Whether the type's restart policy leaves this exited container stopped."""
    restart = formation.processes[container.process].restart
    return container.state in ("exited", "dead") and (
        restart == "never" or (restart == "on-failure" and container.exit_code == 0))


def build_status(formation: Formation, app: str, containers: Iterable[Container], desired: Mapping[str, int],
                 now: datetime | None = None) -> Status:
    """Per type desired/running/healthy, and one row per container."""
    current = members(containers)
    moment = now or datetime.now(UTC)
    names = list(formation.processes)
    names += [n for n in [*desired, *(c.process for c in current)] if n not in names]
    names = list(dict.fromkeys(names))
    types = []
    for name in names:
        group = [c for c in current if c.process == name]
        process = formation.processes.get(name)
        checked = process.health is not None if process else any(c.health for c in group)
        types.append(TypeStatus(
            name=name,
            desired=desired.get(name, len(group)),
            running=sum(c.running for c in group),
            healthy=sum(c.running and c.health == "healthy" for c in group) if checked else None,
            # a one-shot's container that exited 0 and that its policy does not start again
            done=sum(c.exit_code == 0 and stays_down(formation, c) for c in group) if process is not None else 0,
        ))
    order = {name: index for index, name in enumerate(names)}
    instances = tuple(instance(c, moment) for c in sorted(current, key=lambda c: (order[c.process], c.number)))
    return Status(backend="compose", app=app, types=tuple(types), instances=instances)


def instance(container: Container, now: datetime) -> InstanceStatus:
    """One container's row in `ps`."""
    uptime = None
    if container.running and container.started_at is not None:
        uptime = max(0.0, (now - container.started_at).total_seconds())
    return InstanceStatus(
        name=f"{container.process}.{container.number}",
        process=container.process,
        state=container.state,
        healthy=None if container.health is None else container.health == "healthy",
        ports=container.ports,
        restarts=container.restarts,
        uptime=uptime,
        detail=detail(container),
        platform_name=container.name,
        platform_id=container.id[:12],
    )


def detail(container: Container) -> str:
    """Why a container is not simply up: its exit code, its failing health probe, the engine's error."""
    if container.error:
        return container.error
    if container.state in ("exited", "dead", "restarting"):
        return f"exit code {container.exit_code}"
    if container.health == "unhealthy" and container.health_output:
        return container.health_output.splitlines()[-1][:200]
    return ""
