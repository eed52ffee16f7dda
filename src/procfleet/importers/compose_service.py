"""One Compose service as one process type: everything a formation can say about it, and a report of the rest."""

from __future__ import annotations

import os
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from procfleet import validation as v
from procfleet.importers.commands import SHELLS, compose_words
from procfleet.importers.compose_files import env_file_entries
from procfleet.importers.compose_health import health_check
from procfleet.importers.compose_ports import PortSpec, parse_port
from procfleet.importers.compose_settings import count, resources, restart, stop_settings
from procfleet.importers.result import ENV_ONLY, NO_DEPENDENCIES, NO_KEY, NO_VOLUMES, Report
from procfleet.model import Build, ProcessType
from procfleet.shellcommand import without_exec, without_numbering
from procfleet.validation import Where, describe

OURS = ("PROCFLEET_PROCESS",)  # set by procfleet on every platform; a rendered file carries it
LABEL_PREFIX = "procfleet."  # procfleet's ownership labels
HANDLED = ("command", "entrypoint", "image", "build", "depends_on", "environment", "env_file", "healthcheck",
           "stop_signal", "stop_grace_period", "restart", "deploy", "scale", "ports", "expose", "cpus", "mem_limit",
           "labels", "init", "profiles")
REASONS = {
    "volumes": NO_VOLUMES,
    "links": NO_DEPENDENCIES,
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
    depends_on: dict[str, str | None]  # the services it waits for, by their Compose names, with any condition


def read_service(name: str, spec: Any, where: Where, report: Report,
                 active_profiles: Collection[str], variables: Mapping[str, str]) -> ImportedService:
    """The service as a process type: its command, argv, or its image's own command, as Compose runs it."""
    spec = v.table(spec or {}, where)
    command = _command(spec, where, report)
    _report_rest(spec, where, report)
    port = _port(spec, where, report)
    env = _environment(spec.get("environment"), where.child("environment"), report, variables)
    port_number = _port_from_env(env, port.target if port else None, where.child("environment"), report)
    if port is None and port_number is not None:
        port = PortSpec(target=port_number)
    health = None
    if spec.get("healthcheck") is not None:
        health = health_check(spec["healthcheck"], port_number, where.child("healthcheck"), report)
    signal, timeout = stop_settings(spec, where)
    process = ProcessType(
        name=name,
        command=command.command,
        entrypoint=command.entrypoint,
        args=command.args,
        build=_build(spec.get("build"), where.child("build"), report),
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
    return ImportedService(process=process, env_files=_env_files(spec, where, report), port=port,
                           depends_on=_depends_on(spec.get("depends_on"), where.child("depends_on"), report))


def _depends_on(value: Any, where: Where, report: Report) -> dict[str, str | None]:
    """depends_on as a list of names or a mapping of name → {condition, restart, required}; `restart` and
    `required` have no formation key and are reported."""
    if value is None:
        return {}
    if isinstance(value, list):
        return {str(name): None for name in value}
    conditions: dict[str, str | None] = {}
    for name, item in v.table(value, where).items():
        entry = item or {}
        conditions[str(name)] = str(entry["condition"]) if entry.get("condition") else None
        for key in entry:
            if key != "condition":
                report.skipped(where.child(str(name)).child(str(key)).key, NO_KEY)
    return conditions


@dataclass(frozen=True)
class ServiceCommand:
    """What a service runs: a shell line, or entrypoint/args exactly as Docker gets them, or none of them."""

    command: str | None = None
    entrypoint: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None


def _command(spec: dict[str, Any], where: Where, report: Report) -> ServiceCommand:
    """Compose's entrypoint and command as Docker receives them: `command` is the image's CMD, handed to its
    ENTRYPOINT (so `--flag` only passes options to it), `entrypoint` replaces that. An explicit `sh -c SCRIPT`
    entrypoint, as procfleet renders a shell line, is that shell line."""
    entrypoint = _argv(spec.get("entrypoint"), where.child("entrypoint"), report)
    command = _argv(spec.get("command"), where.child("command"), report)
    if entrypoint is not None and len(entrypoint) == 2 and entrypoint[0] in SHELLS and entrypoint[1] == "-c" \
            and command is not None and len(command) == 1:
        return ServiceCommand(command=without_exec(without_numbering(command[0].strip())))
    return ServiceCommand(entrypoint=None if entrypoint is None else tuple(entrypoint),
                          args=None if command is None else tuple(command))


def _argv(value: Any, where: Where, report: Report) -> list[str] | None:
    """A list as it is; a string split as Compose splits it, what Compose drops reported."""
    if value is None:
        return None
    if isinstance(value, str):
        words, dropped = compose_words(value, where)
        if dropped:
            report.skipped(where.key, f"Compose runs only {shlex.join(words)!s} and drops `{dropped}` (it splits a "
                           "string command into words without a shell); carried as Compose runs it: to run it all, "
                           "write it as sh -c '...'")
        return words
    if isinstance(value, list):
        return [str(item) for item in value]
    raise where.error(f"expected a string or a list of strings, got {describe(value)}")


BUILD_HANDLED = ("context", "dockerfile", "target", "args")


def _build(value: Any, where: Where, report: Report) -> Build | None:
    """Compose's build: a context folder, or context, dockerfile, target and args (the rest reported)."""
    if value is None:
        return None
    folder = where.file.parent
    if isinstance(value, str):
        return Build(context=str((folder / value).resolve()))  # absolute: the writer makes it relative
    spec = v.table(value, where)
    for key, item in spec.items():
        if key not in BUILD_HANDLED and item not in (None, [], {}):
            report.skipped(where.child(key).key, NO_KEY)
    raw_args = spec.get("args") or {}
    if isinstance(raw_args, list):  # [NAME=value]; a bare NAME takes the caller's value, which is not carried
        pairs = [str(item).split("=", 1) for item in raw_args]
        for pair in pairs:
            if len(pair) == 1:
                report.skipped(where.child("args").child(pair[0]).key, "no value: Compose takes it from the shell")
        raw_args = {pair[0]: pair[1] for pair in pairs if len(pair) == 2}
    args = {str(key): "" if item is None else str(item) for key, item in v.table(raw_args, where.child("args")).items()}
    return Build(context=str((folder / str(spec.get("context") or ".")).resolve()),
                 dockerfile=None if spec.get("dockerfile") is None else str(spec["dockerfile"]),
                 target=None if spec.get("target") is None else str(spec["target"]), args=args)


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


def _environment(value: Any, where: Where, report: Report, variables: Mapping[str, str]) -> dict[str, str]:
    """environment as a mapping or a KEY=VALUE list; a name without a value takes the project's variable (the
    caller's environment, then the .env beside the file), as Compose resolves it."""
    if value is None:
        return {}
    if isinstance(value, list):
        pairs = [str(item).split("=", 1) for item in value]
        value = {pair[0]: pair[1] if len(pair) == 2 else None for pair in pairs}
    env: dict[str, str] = {}
    for key, raw in v.table(value, where).items():
        at = where.child(str(key))
        if raw is None and str(key) in variables:
            env[str(key)] = variables[str(key)]
        elif raw is None:
            report.skipped(at.key, "no value: Compose takes it from the shell that runs it, and neither the shell nor "
                           "the .env beside the file sets it; set it in an env file")
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
