"""One Compose service as one process type: everything a formation can say about it, and a report of the rest."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procfleet import validation as v
from procfleet.importers.commands import from_argv, from_words_text, split
from procfleet.importers.compose_files import env_file_entries
from procfleet.importers.compose_health import health_check
from procfleet.importers.compose_ports import PortSpec, parse_port
from procfleet.importers.compose_settings import count, resources, restart, stop_settings
from procfleet.importers.result import ENV_ONLY, NO_DEPENDENCIES, NO_KEY, NO_VOLUMES, Report
from procfleet.model import ProcessType
from procfleet.validation import Where, describe

OURS = ("PROCFLEET_PROCESS",)  # set by procfleet on every platform; a rendered file carries it
LABEL_PREFIX = "procfleet."  # procfleet's ownership labels
HANDLED = ("command", "entrypoint", "image", "environment", "env_file", "healthcheck", "stop_signal",
           "stop_grace_period", "restart", "deploy", "scale", "ports", "expose", "cpus", "mem_limit", "labels",
           "init", "profiles")
REASONS = {
    "volumes": NO_VOLUMES,
    "depends_on": NO_DEPENDENCIES,
    "links": NO_DEPENDENCIES,
    "build": "procfleet runs images: build and push it, then set the image",
    "networks": "procfleet puts every type on the app's own network",
    "container_name": "procfleet names the instances; a fixed name allows only one",
    "secrets": ENV_ONLY,
    "configs": ENV_ONLY,
    "working_dir": "set the directory in the image or in the command",
    "user": "set the user in the image",
}


@dataclass(frozen=True)
class ImportedService:
    """A service made a process type, with what the formation keeps app-wide: env files and the published port."""

    process: ProcessType
    env_files: tuple[Path, ...]
    port: PortSpec | None


def read_service(name: str, spec: Any, where: Where, report: Report,
                 active_profiles: Collection[str]) -> ImportedService | None:
    """The service as a process type, or None (reported) when it has no command: a backing service."""
    spec = v.table(spec or {}, where)
    command = _command(spec, where)
    if command is None:
        report.skipped(where.key, "no command: procfleet needs the command each type runs, and the CMD of the image "
                       "it builds is not known" if "build" in spec else
                       "no command: a backing service run from its image; factor IV: attach it through config")
        return None
    _report_rest(spec, where, report)
    port = _port(spec, where, report)
    env = _environment(spec.get("environment"), where.child("environment"), report)
    port_number = _port_from_env(env, port.target if port else None, where.child("environment"), report)
    if port is None and port_number is not None:
        port = PortSpec(target=port_number)
    health = None
    if spec.get("healthcheck") is not None:
        health = health_check(spec["healthcheck"], port_number, where.child("healthcheck"), report)
    signal, timeout = stop_settings(spec, where)
    process = ProcessType(
        name=name,
        command=command,
        count=_profiled_count(spec, count(spec, where), active_profiles, where, report),
        port=port_number,
        health=health,
        env=env,
        restart=restart(spec, where, report),
        stop_signal=signal,
        stop_timeout=timeout,
        resources=resources(spec, where, report),
        image=v.string(spec["image"], where.child("image")) if spec.get("image") is not None else None,
    )
    return ImportedService(process=process, env_files=_env_files(spec, where, report), port=port)


def _command(spec: dict[str, Any], where: Where) -> str | None:
    """entrypoint + command as one shell line: `sh -c SCRIPT` unwrapped, exec forms quoted word by word."""
    entrypoint, command = spec.get("entrypoint"), spec.get("command")
    if entrypoint is None and isinstance(command, str):
        return from_words_text(command, where.child("command")) or None
    argv = _argv(entrypoint, where.child("entrypoint")) + _argv(command, where.child("command"))
    if not argv:
        return None
    return from_argv(argv) or None


def _argv(value: Any, where: Where) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split(value, where)
    if isinstance(value, list):
        return [str(item) for item in value]
    raise where.error(f"expected a string or a list of strings, got {describe(value)}")


def _report_rest(spec: dict[str, Any], where: Where, report: Report) -> None:
    for key, value in spec.items():
        if key in HANDLED or value in (None, [], {}):
            continue
        report.skipped(where.child(key).key, REASONS.get(key, NO_KEY))
    if spec.get("init") is False:
        report.skipped(where.child("init").key, "procfleet's compose backend always runs an init as PID 1")
    labels = spec.get("labels") or {}
    names = labels if isinstance(labels, dict) else [str(item).split("=", 1)[0] for item in labels]
    for label in names:
        if not str(label).startswith(LABEL_PREFIX):
            report.skipped(where.child("labels").child(str(label)).key, "procfleet sets only its own labels")


def _environment(value: Any, where: Where, report: Report) -> dict[str, str]:
    """environment as a mapping or a KEY=VALUE list; a name without a value comes from the caller's shell."""
    if value is None:
        return {}
    if isinstance(value, list):
        pairs = [str(item).split("=", 1) for item in value]
        value = {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}
    env: dict[str, str] = {}
    for key, raw in v.table(value, where).items():
        at = where.child(str(key))
        if raw is None:
            report.skipped(at.key, "no value: Compose takes it from the shell that runs it; set it in an env file")
        elif key not in OURS:
            env[str(key)] = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
    return v.env_table(env, where)


def _port_from_env(env: dict[str, str], port: int | None, where: Where, report: Report) -> int | None:
    """PORT is procfleet's to set: it matches the port, gives the port, or is reported."""
    value = env.pop("PORT", None)
    if value is None or (port is not None and value == str(port)):
        return port
    if port is None and value.isdigit() and 0 < int(value) < 65536:
        return int(value)
    report.skipped(where.child("PORT").key, f"procfleet sets PORT itself, to {port}" if port else
                   "procfleet sets PORT itself")
    return port


def _port(spec: dict[str, Any], where: Where, report: Report) -> PortSpec | None:
    """The first TCP port (published or only exposed) is the type's port; the others are reported."""
    chosen: PortSpec | None = None
    entries = [(key, index, entry) for key in ("ports", "expose")
               for index, entry in enumerate(_list(spec, key, where))]
    for key, index, entry in entries:
        at = Where(where.file, f"{where.key}.{key}[{index}]")
        parsed = parse_port(entry, at)
        if isinstance(parsed, str):
            report.skipped(at.key, parsed)
        elif parsed.protocol != "tcp":
            report.skipped(at.key, f"procfleet's port is a TCP port, this one is {parsed.protocol}")
        elif chosen is None:
            chosen = parsed
        elif parsed.target != chosen.target:
            report.skipped(at.key, f"a process type has one port, and {chosen.target} came first")
        if isinstance(entry, dict):
            for extra in entry:
                if extra not in ("target", "published", "host_ip", "protocol") and entry[extra] is not None:
                    report.skipped(at.child(str(extra)).key, NO_KEY)
    return chosen


def _list(spec: dict[str, Any], key: str, where: Where) -> list[Any]:
    value = spec.get(key) or []
    if not isinstance(value, list):
        raise where.child(key).error(f"expected a list, got {describe(value)}")
    return value


def _env_files(spec: dict[str, Any], where: Where, report: Report) -> tuple[Path, ...]:
    """The service's env files that exist; a missing required one is an error, as it is for Compose."""
    files: list[Path] = []
    at = where.child("env_file")
    for index, entry in enumerate(env_file_entries(spec.get("env_file") or [], at)):
        item = Where(at.file, f"{at.key}[{index}]")
        path = Path(entry["path"])
        if not path.is_file():
            if entry["required"] is not False:
                raise item.error(f"env file not found: {path}")
            shown = os.path.relpath(path, where.file.resolve().parent)
            report.skipped(item.key, f"the optional file {shown} does not exist, and procfleet's env files are "
                           "required")
            continue
        if entry["required"] is False:
            report.note(item.key, "carried over as a required env file (procfleet's env files are required)")
        for extra in entry:
            if extra not in ("path", "required"):
                report.skipped(item.child(str(extra)).key, NO_KEY)
        files.append(path)
    return tuple(files)


def _profiled_count(spec: dict[str, Any], file_count: int | None, active: Collection[str], where: Where,
                    report: Report) -> int | None:
    """A service in a profile nobody activated is imported with count 0: it exists, but Compose would not start it."""
    profiles = [str(p) for p in spec.get("profiles") or []]
    if not profiles:
        return file_count
    at = where.child("profiles").key
    if "*" in active or any(profile in active for profile in profiles):
        report.skipped(at, "procfleet has no profiles: this type now always runs")
        return file_count
    report.skipped(at, f"procfleet has no profiles: imported with count = 0, so it does not start until scaled, "
                   f"as Compose does not start it without --profile {profiles[0]}")
    return 0
