"""Formation → Compose document, as plain data: one service per process type. Pure: touches nothing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from procfleet.model import Build, Formation, ProcessType, fingerprint
from procfleet.plan import NEW_TYPE_COUNT
from procfleet.shellcommand import exec_form
from procfleet.units import format_duration, format_memory
from procfleet.validation import Where, unknown_type
from procfleet_compose.escape import escape_values
from procfleet_compose.options import ComposeOptions
from procfleet_compose.probes import healthcheck

APP_LABEL = "procfleet.app"
PROCESS_LABEL = "procfleet.process"
FINGERPRINT_LABEL = "procfleet.fingerprint"
SHELL = ["/bin/sh", "-c"]  # the command runs as Foreman and Heroku run it, whatever the image's entrypoint
RESTART = {"always": "always", "on-failure": "on-failure", "never": "no"}


def file_counts(formation: Formation) -> dict[str, int]:
    """The counts the file asks for; a type without a count starts with one instance."""
    return {name: NEW_TYPE_COUNT if p.count is None else p.count for name, p in formation.processes.items()}


def compose_document(formation: Formation, counts: Mapping[str, int], options: ComposeOptions,
                     cwd: Path | None = None) -> dict[str, Any]:
    """The whole compose.yaml as data, every `$` escaped; counts gives each type's replicas.

    Env files are named relative to the formation's folder, or absolute (resolved from cwd) when cwd is given:
    procfleet's own copy lives in .procfleet/compose/ and must work from there.
    """
    _check_fixed_ports(formation, counts, options)
    app = formation.app.name
    document = {
        "name": options.project_for(formation),
        "services": {name: service(formation, process, counts.get(name, 0), options, cwd)
                     for name, process in formation.processes.items()},
        "networks": {"default": {"labels": {APP_LABEL: app}}},
    }
    escaped: dict[str, Any] = escape_values(document)
    return escaped


def service(formation: Formation, process: ProcessType, replicas: int, options: ComposeOptions,
            cwd: Path | None = None) -> dict[str, Any]:
    """One type's service: image (or build), command, env, port, health, stop and restart, limits, labels."""
    image = formation.image_for(process)
    built = formation.build_for(process)
    if image is None and built is None:
        where = Where(formation.source, f"{formation.key_prefix}processes.{process.name}.image")
        raise where.error(f"the compose backend needs an image: set [app].image or processes.{process.name}.image "
                          "(or a build)")
    # init: a shell as PID 1 ignores SIGTERM, so stop_signal would do nothing and every stop would wait for
    # stop_timeout; Docker's init forwards the signal to its child and reaps what it leaves behind. That child is
    # the program itself for a simple command (exec_form), so the signal reaches the app, not a shell before it.
    spec: dict[str, Any] = {"image": image} if image is not None else {}
    if built is not None:
        spec["build"] = build_spec(formation, built, cwd)
    spec["init"] = True
    spec.update(command_spec(process))
    env_files = (*formation.app.env_files, *process.env_files)
    if env_files:
        spec["env_file"] = [str((cwd / path).resolve()) if cwd else os.path.relpath(path, formation.folder)
                            for path in env_files]
    spec["environment"] = environment(formation, process)
    if process.after:
        spec["depends_on"] = {name: {"condition": CONDITIONS[wanted]} for name, wanted in process.after.items()}
    if process.port is not None:
        spec["ports"] = [port_mapping(process.port, options.host_ip, options.ports.get(process.name))]
    if process.health is not None:
        spec["healthcheck"] = healthcheck(process.health, process.port)
    spec["restart"] = RESTART[process.restart]
    spec["stop_signal"] = process.stop_signal
    spec["stop_grace_period"] = format_duration(process.stop_timeout)
    spec["deploy"] = deploy(process, replicas)
    spec["labels"] = labels(formation, process, option_extras(process, options))
    return spec


CONDITIONS = {"healthy": "service_healthy", "done": "service_completed_successfully", "started": "service_started"}


def command_spec(process: ProcessType) -> dict[str, list[str]]:
    """entrypoint and command: a shell line through `/bin/sh -c`; entrypoint/args as written (Compose hands
    `command` to the image's ENTRYPOINT, as Docker's CMD); nothing for a type that runs its image's own."""
    if process.command is not None:
        return {"entrypoint": list(SHELL), "command": [exec_form(process.command)]}
    spec: dict[str, list[str]] = {}
    if process.entrypoint is not None:
        spec["entrypoint"] = list(process.entrypoint)
    if process.args is not None:
        spec["command"] = list(process.args)
    return spec


def build_spec(formation: Formation, built: Build, cwd: Path | None = None) -> dict[str, Any]:
    """Compose's build: the context relative to the formation's folder (absolute for procfleet's own copy)."""
    context = formation.folder / built.context
    return {"context": str((cwd / context).resolve()) if cwd else built.context, **built.options()}


def environment(formation: Formation, process: ProcessType) -> dict[str, str]:
    """App env, type env, then what procfleet sets; the env files are referenced, not copied."""
    env = {**formation.app.env, **process.env}
    if process.port is not None:
        env["PORT"] = str(process.port)
    env["PROCFLEET_PROCESS"] = process.name  # one definition serves every replica, so no `.N` suffix here
    return env


def port_mapping(port: int, host_ip: str | None, fixed: int | None) -> dict[str, Any]:
    """The container port, published on an ephemeral host port (so replicas never collide) unless fixed."""
    mapping: dict[str, Any] = {"target": port, "protocol": "tcp"}
    if host_ip is not None:
        mapping["host_ip"] = host_ip
    if fixed is not None:
        mapping["published"] = str(fixed)
    return mapping


def deploy(process: ProcessType, replicas: int) -> dict[str, Any]:
    """Replicas and resource limits."""
    spec: dict[str, Any] = {"replicas": replicas}
    limits: dict[str, Any] = {}
    if process.resources.cpu is not None:
        limits["cpus"] = process.resources.cpu
    if process.resources.memory is not None:
        limits["memory"] = format_memory(process.resources.memory)
    if limits:
        spec["resources"] = {"limits": limits}
    return spec


def labels(formation: Formation, process: ProcessType, extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Ownership labels, and the definition's fingerprint that `plan` compares (with the backend's extras)."""
    return {APP_LABEL: formation.app.name, PROCESS_LABEL: process.name,
            FINGERPRINT_LABEL: fingerprint(formation, process, extra)}


def option_extras(process: ProcessType, options: ComposeOptions) -> dict[str, Any]:
    """The `[backends.compose]` settings that shape this type's containers; only those set, so defaults hash as
    the core's fingerprint does."""
    if process.port is None:
        return {}  # where ports are published does not touch a type that publishes none
    extras = {"host_ip": options.host_ip, "host_port": options.ports.get(process.name)}
    return {key: value for key, value in extras.items() if value is not None}


def _check_fixed_ports(formation: Formation, counts: Mapping[str, int], options: ComposeOptions) -> None:
    for name, host_port in options.ports.items():
        where = Where(formation.source, f"{formation.key_prefix}backends.compose.ports.{name}")
        process = formation.processes.get(name)
        if process is None:
            raise where.error(unknown_type(name, formation.processes))
        if process.port is None:
            raise where.error(f"processes.{name} has no port to publish on host port {host_port}")
        if counts.get(name, 0) > 1:
            raise where.error(f"a fixed host port allows one instance, and {name} would run {counts[name]}: "
                              "remove it to publish every instance on an ephemeral port")
