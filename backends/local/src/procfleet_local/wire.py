"""The JSON forms of a formation and a status, as they cross the control socket."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType
from typing import Any

from procfleet.backend import InstanceStatus, Status, TypeStatus
from procfleet.model import App, Build, Formation, HealthCheck, ProcessType, Resources


def formation_to_wire(formation: Formation) -> dict[str, Any]:
    """The formation as JSON data; only the local backend's options travel (others may not be JSON)."""
    app = formation.app
    return {
        "app": {"name": app.name, "image": app.image, "env_files": [str(p) for p in app.env_files],
                "env": dict(app.env), "backend": app.backend, "file_env": dict(app.file_env),
                "build": None if app.build is None else asdict(app.build)},
        "processes": [_process_to_wire(p) for p in formation.processes.values()],  # a list keeps file order
        "backends": {"local": dict(formation.options("local"))},
        "source": str(formation.source),
        "key_prefix": formation.key_prefix,
    }


def _process_to_wire(process: ProcessType) -> dict[str, Any]:
    return {
        "name": process.name, "command": process.command, "count": process.count, "port": process.port,
        "health": None if process.health is None else asdict(process.health), "env": dict(process.env),
        "restart": process.restart, "stop_signal": process.stop_signal, "stop_timeout": process.stop_timeout,
        "resources": asdict(process.resources), "image": process.image,
        "entrypoint": None if process.entrypoint is None else list(process.entrypoint),
        "args": None if process.args is None else list(process.args),
        "build": None if process.build is None else asdict(process.build),
        "env_files": [str(path) for path in process.env_files], "file_env": dict(process.file_env),
        "after": dict(process.after),
    }


def _argv(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _build(value: Any) -> Build | None:
    return None if value is None else Build(**{**value, "args": MappingProxyType(value["args"])})


def formation_from_wire(data: dict[str, Any]) -> Formation:
    """Rebuild a formation sent by formation_to_wire; its fingerprints come out identical."""
    app = data["app"]
    processes = {}
    for item in data["processes"]:
        health = item["health"]
        processes[item["name"]] = ProcessType(
            name=item["name"], command=item["command"], count=item["count"], port=item["port"],
            health=None if health is None else HealthCheck(**health), env=MappingProxyType(item["env"]),
            restart=item["restart"], stop_signal=item["stop_signal"], stop_timeout=item["stop_timeout"],
            resources=Resources(**item["resources"]), image=item["image"],
            entrypoint=_argv(item.get("entrypoint")), args=_argv(item.get("args")), build=_build(item.get("build")),
            env_files=tuple(Path(p) for p in item.get("env_files", [])),
            file_env=MappingProxyType(item.get("file_env", {})), after=MappingProxyType(item.get("after", {})))
    return Formation(
        app=App(name=app["name"], image=app["image"], env_files=tuple(Path(p) for p in app["env_files"]),
                env=MappingProxyType(app["env"]), backend=app["backend"],
                file_env=MappingProxyType(app["file_env"]), build=_build(app.get("build"))),
        processes=MappingProxyType(processes), backends=MappingProxyType(data["backends"]),
        source=Path(data["source"]),
        key_prefix=data["key_prefix"])


def status_to_wire(status: Status) -> dict[str, Any]:
    """A status as JSON data."""
    return asdict(status)


def status_from_wire(data: dict[str, Any]) -> Status:
    """Rebuild a status sent by status_to_wire."""
    return Status(backend=data["backend"], app=data["app"],
                  types=tuple(TypeStatus(**item) for item in data["types"]),
                  instances=tuple(InstanceStatus(**item) for item in data["instances"]))
