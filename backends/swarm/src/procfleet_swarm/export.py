"""What a stack runs, for `procfleet import --from-backend swarm`: its services, as a stack file the compose
importer reads, and their replicas. Pure: the services come as `docker service inspect` printed them.

Swarm keeps the services' specs, not the file they were deployed from, so the file is rebuilt from the specs:
`docker stack deploy` made a service's entrypoint its ContainerSpec.Command and its command ContainerSpec.Args.
What the compose importer cannot read from a stack file (how ports are published, how services are addressed,
the fixed published ports, the stack's name) goes into `[backends.swarm]`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from procfleet.backend import ExportedApp
from procfleet_compose.escape import escape_values
from procfleet_compose.translate import APP_LABEL, PROCESS_LABEL

STACK_LABELS = "com.docker.stack."  # what `docker stack deploy` adds: the namespace, the image as written
IMAGE_LABEL = "com.docker.stack.image"
CONDITIONS = ("any", "on-failure", "none")
NANO = 1_000_000_000


def exported(stack: str, inspected: Sequence[Mapping[str, Any]]) -> ExportedApp | None:
    """The stack's services as a stack file and each one's replicas; None when the stack has no services."""
    services = sorted(inspected, key=lambda item: str(_spec(item).get("Name", "")))
    if not services:
        return None
    owners = {_labels(item).get(APP_LABEL) for item in services}
    app = next(iter(owners)) if len(owners) == 1 else None
    notes: list[str] = []
    if app is None:
        who = "were not created by procfleet" if owners == {None} else "were not all created by procfleet for one app"
        notes.append(f"the services of the Swarm stack {stack} {who}, and procfleet only touches what it owns: "
                     f"`procfleet deploy -b swarm` will refuse to change them; remove them first (`docker stack rm "
                     f"{stack}`), or set [backends.swarm] stack to run beside them")
    document = stack_file(stack, services)
    counts: dict[str, int] = {}
    for item in services:
        name = process_name(stack, item)
        mode = _spec(item).get("Mode") or {}
        if "Replicated" not in mode:
            notes.append(f"the service {_spec(item).get('Name')} runs in global mode (one task per node): adopted as "
                         "a replicated type with count = 1")
        counts[name] = replicas(item)
    return ExportedApp(
        format="compose",
        source=Path(f"swarm:stack/{stack}"),
        described=f"the Swarm stack {stack}",
        counts=counts,
        text=yaml.safe_dump(document, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000),
        options=options(stack, app or stack, services),
        notes=tuple(notes),
    )


def stack_file(stack: str, services: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The stack file the services could have been deployed from, every `$` escaped (the importer interpolates)."""
    document = {"services": {process_name(stack, item): service(item) for item in services}}
    escaped: dict[str, Any] = escape_values(document)
    return escaped


def process_name(stack: str, inspected: Mapping[str, Any]) -> str:
    """The type a service runs: its procfleet.process label, else its name without the stack's prefix."""
    name = str(_spec(inspected).get("Name", ""))
    return _labels(inspected).get(PROCESS_LABEL) or name.removeprefix(f"{stack}_")


def replicas(inspected: Mapping[str, Any]) -> int:
    """Mode.Replicated.Replicas; a global service counts as one."""
    mode = _spec(inspected).get("Mode") or {}
    if "Replicated" not in mode:
        return 1
    return int((mode.get("Replicated") or {}).get("Replicas") or 0)


def service(inspected: Mapping[str, Any]) -> dict[str, Any]:
    """One service's spec as a stack file's service: what the compose importer reads, nothing Swarm added."""
    spec = _spec(inspected)
    template = spec.get("TaskTemplate") or {}
    container = template.get("ContainerSpec") or {}
    result: dict[str, Any] = {"image": _labels(inspected).get(IMAGE_LABEL) or str(container.get("Image") or "")}
    if container.get("Init"):
        result["init"] = True
    if container.get("Command"):
        result["entrypoint"] = [str(part) for part in container["Command"]]
    if container.get("Args"):
        result["command"] = [str(part) for part in container["Args"]]
    env = [str(entry) for entry in container.get("Env") or []]
    if env:
        result["environment"] = dict(_pair(entry) for entry in env)
    ports = [{"target": int(p["TargetPort"]), "protocol": str(p.get("Protocol") or "tcp")}
             for p in (spec.get("EndpointSpec") or {}).get("Ports") or [] if p.get("TargetPort")]
    if ports:
        result["ports"] = ports
    health = healthcheck(container.get("Healthcheck"))
    if health is not None:
        result["healthcheck"] = health
    if container.get("StopSignal"):
        result["stop_signal"] = str(container["StopSignal"])
    if container.get("StopGracePeriod") is not None:
        result["stop_grace_period"] = duration(int(container["StopGracePeriod"]))
    result["deploy"] = deploy(inspected)
    labels = {key: str(value) for key, value in {**(container.get("Labels") or {}), **_labels(inspected)}.items()
              if not key.startswith(STACK_LABELS)}
    if labels:
        result["labels"] = labels
    return result


def healthcheck(check: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """ContainerSpec.Healthcheck (durations in nanoseconds) as a stack file's healthcheck; None when unset."""
    if not check or not check.get("Test"):
        return None
    result: dict[str, Any] = {"test": [str(part) for part in check["Test"]]}
    for key, name in (("Interval", "interval"), ("Timeout", "timeout"), ("StartPeriod", "start_period")):
        if check.get(key):
            result[name] = duration(int(check[key]))
    if check.get("Retries"):
        result["retries"] = int(check["Retries"])
    return result


def deploy(inspected: Mapping[str, Any]) -> dict[str, Any]:
    """Replicas, the restart condition and the resource limits; Swarm's other settings are its own defaults."""
    spec = _spec(inspected)
    template = spec.get("TaskTemplate") or {}
    result: dict[str, Any] = {"replicas": replicas(inspected)}
    condition = str((template.get("RestartPolicy") or {}).get("Condition") or "any")
    result["restart_policy"] = {"condition": condition if condition in CONDITIONS else "any"}
    limits = (template.get("Resources") or {}).get("Limits") or {}
    wanted: dict[str, Any] = {}
    if limits.get("NanoCPUs"):
        wanted["cpus"] = f"{int(limits['NanoCPUs']) / NANO:g}"
    if limits.get("MemoryBytes"):
        wanted["memory"] = int(limits["MemoryBytes"])
    if wanted:
        result["resources"] = {"limits": wanted}
    return result


def options(stack: str, app: str, services: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`[backends.swarm]`: the stack when it is not the app's name, the port and endpoint modes when not Swarm's
    defaults, and the published ports that were fixed (a port Swarm picked is left to it)."""
    table: dict[str, Any] = {}
    if stack != app:
        table["stack"] = stack
    ports = [(item, port) for item in services
             for port in (_spec(item).get("EndpointSpec") or {}).get("Ports") or []]
    if any(port.get("PublishMode") == "host" for _, port in ports):
        table["port_mode"] = "host"
    modes = {str((_spec(item).get("EndpointSpec") or {}).get("Mode") or "vip") for item in services}
    if "dnsrr" in modes:
        table["endpoint_mode"] = "dnsrr"
    fixed = {process_name(stack, item): int(port["PublishedPort"]) for item, port in ports
             if port.get("PublishedPort")}
    if fixed:
        table["ports"] = fixed
    return {"swarm": table} if table else {}


def duration(nanoseconds: int) -> str:
    """Nanoseconds as a duration the importer reads: "5s", or "1500ms" when not whole seconds."""
    if nanoseconds % NANO == 0:
        return f"{nanoseconds // NANO}s"
    return f"{nanoseconds / 1_000_000:g}ms"


def _spec(inspected: Mapping[str, Any]) -> Mapping[str, Any]:
    spec: Mapping[str, Any] = inspected.get("Spec") or {}
    return spec


def _labels(inspected: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in (_spec(inspected).get("Labels") or {}).items()}


def _pair(entry: str) -> tuple[str, str]:
    name, _, value = entry.partition("=")
    return name, value

