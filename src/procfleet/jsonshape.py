"""The stable `--json` shapes (documented in docs/json.md); printed values have secrets masked."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from procfleet.model import Formation, HealthCheck, ProcessType, masked
from procfleet.units import format_duration, format_memory

if TYPE_CHECKING:
    from procfleet.backend import Status
    from procfleet.plan import Plan

SCHEMA_VERSION = 1


def health_json(health: HealthCheck | None) -> dict[str, Any] | None:
    """A health check with every default filled in."""
    if health is None:
        return None
    return {
        "kind": health.kind,
        "http": health.http_path,
        "command": health.command,
        "interval": format_duration(health.interval),
        "timeout": format_duration(health.timeout),
        "retries": health.retries,
        "start_period": format_duration(health.start_period),
    }


def process_json(formation: Formation, process: ProcessType) -> dict[str, Any]:
    """One process type, normalised."""
    memory = process.resources.memory
    return {
        "command": process.command,
        "entrypoint": None if process.entrypoint is None else list(process.entrypoint),
        "args": None if process.args is None else list(process.args),
        "count": process.count,
        "port": process.port,
        "health": health_json(process.health),
        "env": masked(process.env),
        "env_file": [str(path) for path in process.env_files],
        "after": dict(process.after),
        "restart": process.restart,
        "stop_signal": process.stop_signal,
        "stop_timeout": format_duration(process.stop_timeout),
        "resources": {"cpu": process.resources.cpu, "memory": None if memory is None else format_memory(memory)},
        "image": formation.image_for(process),
        "build": None if (built := formation.build_for(process)) is None else {
            "context": built.context, "dockerfile": built.dockerfile, "target": built.target,
            "args": dict(built.args)},
    }


def formation_json(formation: Formation) -> dict[str, Any]:
    """`check --json`: the normalised formation, every default filled in."""
    app = formation.app
    return {
        "app": {
            "name": app.name,
            "image": app.image,
            "env_file": [str(path) for path in app.env_files],
            "env": masked(app.env),
            "backend": app.backend,
        },
        "processes": {name: process_json(formation, p) for name, p in formation.processes.items()},
        "backends": {name: dict(options) for name, options in formation.backends.items()},
    }


def status_json(status: Status) -> dict[str, Any]:
    """`ps --json`: per type counts and per instance state."""
    return {
        "backend": status.backend,
        "app": status.app,
        "types": {t.name: {k: val for k, val in asdict(t).items() if k != "name"} for t in status.types},
        "instances": [asdict(instance) for instance in status.instances],
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    """`plan --json`: each type's action and count change with its reason."""
    return {
        "backend": plan.backend,
        "app": plan.app,
        "pending": plan.pending,
        "changes": [asdict(change) for change in plan.changes],
    }
