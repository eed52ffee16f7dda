"""Writes formation files with tomlkit: whole new ones, and changes that keep the user's comments and layout."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import InlineTable, Item, Table

from procfleet.files import write_atomic
from procfleet.model import DEFAULT_BACKEND, Build, Formation, HealthCheck, ProcessType, Resources, default_readiness
from procfleet.units import format_duration, format_memory

DEFAULT_PROCESS = ProcessType(name="", command="")
DEFAULT_HEALTH = HealthCheck(kind="command")
INLINE_KEYS = 4  # a table with more keys than this, or a long one, gets a [section] of its own
INLINE_WIDTH = 80
NOT_LITERAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]|'''|'$")  # what a multi-line literal string cannot hold


def formation_toml(formation: Formation, comments: Sequence[str] = ()) -> str:
    """The whole formation as TOML: every key the model has, written only where it differs from the default."""
    document = tomlkit.document()
    for line in comments:
        document.add(tomlkit.comment(line))
    if comments:
        document.add(tomlkit.nl())
    document.add("app", _app(formation))
    processes = tomlkit.table(is_super_table=True)
    for name, process in formation.processes.items():
        processes.add(name, _process(process, formation.folder, formation.processes))
    document.add("processes", processes)
    if formation.backends:
        backends = tomlkit.table(is_super_table=True)
        for name, options in formation.backends.items():
            backends.add(name, _table(options))
        document.add("backends", backends)
    text = tomlkit.dumps(document)
    return text if text.endswith("\n") else text + "\n"


def _app(formation: Formation) -> Table:
    app = formation.app
    table = tomlkit.table()
    table.add("name", app.name)
    if app.image:
        table.add("image", app.image)
    if app.env_files:
        table.add("env_file", [_relative(path, formation.folder) for path in app.env_files])
    if app.env:
        table.add("env", _mapping(app.env))
    if app.backend != DEFAULT_BACKEND:
        table.add("backend", app.backend)
    if app.build is not None:
        table.add("build", _build(app.build, formation.folder))
    return table


def _build(build: Build, folder: Path) -> Any:
    """`build = "."` when only the context is set, else a table with what is; an absolute context (an import's)
    relative to the formation's folder when inside it."""
    context = _relative(Path(build.context), folder) if Path(build.context).is_absolute() else build.context
    options = build.options()
    return _mapping({"context": context, **options}) if options else context


def _relative(path: Path, folder: Path) -> str:
    """A path as the formation names it: relative to its folder when inside it, else absolute."""
    absolute, base = path.resolve(), folder.resolve()
    return str(absolute.relative_to(base)) if absolute.is_relative_to(base) else str(absolute)


def _process(process: ProcessType, folder: Path, others: Mapping[str, ProcessType]) -> Table:
    table = tomlkit.table()
    if process.command is not None:
        table.add("command", _string(process.command))
    if process.entrypoint is not None:
        table.add("entrypoint", list(process.entrypoint))
    if process.args is not None:
        table.add("args", list(process.args))
    if process.count is not None:
        table.add("count", process.count)
    if process.port is not None:
        table.add("port", process.port)
    if process.health is not None:
        table.add("health", _mapping(_health(process.health)))
    if process.env:
        table.add("env", _mapping(process.env))
    if process.after:
        defaults = all(wanted == default_readiness(others[name]) for name, wanted in process.after.items()
                       if name in others)
        table.add("after", list(process.after) if defaults else _mapping(dict(process.after)))
    if process.env_files:
        table.add("env_file", [_relative(path, folder) for path in process.env_files])
    if process.restart != DEFAULT_PROCESS.restart:
        table.add("restart", process.restart)
    if process.stop_signal != DEFAULT_PROCESS.stop_signal:
        table.add("stop_signal", process.stop_signal)
    if process.stop_timeout != DEFAULT_PROCESS.stop_timeout:
        table.add("stop_timeout", format_duration(process.stop_timeout))
    resources = _resources(process.resources)
    if resources:
        table.add("resources", _mapping(resources))
    if process.image:
        table.add("image", process.image)
    if process.build is not None:
        table.add("build", _build(process.build, folder))
    return table


def _health(health: HealthCheck) -> dict[str, Any]:
    check: dict[str, Any] = {"http": health.http_path} if health.kind == "http" else \
        {"tcp": True} if health.kind == "tcp" else {"command": health.command}
    for key in ("interval", "timeout", "start_period"):
        seconds = getattr(health, key)
        if seconds != getattr(DEFAULT_HEALTH, key):
            check[key] = format_duration(seconds)
    if health.retries != DEFAULT_HEALTH.retries:
        check["retries"] = health.retries
    return check


def _resources(resources: Resources) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if resources.cpu is not None:
        result["cpu"] = int(resources.cpu) if resources.cpu.is_integer() else resources.cpu
    if resources.memory is not None:
        result["memory"] = format_memory(resources.memory)
    return result


def _mapping(values: Mapping[str, Any]) -> InlineTable | Table:
    """A short table inline (`env = { A = "1" }`), a longer one as a [section] of its own."""
    inline = tomlkit.inline_table()
    inline.update({key: _value(value) for key, value in values.items()})
    if len(values) <= INLINE_KEYS and len(inline.as_string()) <= INLINE_WIDTH:
        return inline
    return _table(values)


def _table(values: Mapping[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in values.items():
        table.add(key, _mapping(value) if isinstance(value, Mapping) else _value(value))
    return table


def _value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return list(value)
    return value


def _string(text: str) -> Item | str:
    """A multi-line command as a literal block, which reads as it runs; anything else as a plain string."""
    if "\n" in text and not NOT_LITERAL.search(text) and not text.startswith("\n"):
        return tomlkit.string(text, literal=True, multiline=True)
    return text


def save_backend(path: Path, key_prefix: str, backend: str) -> None:
    """Set `[app].backend` in the formation file, leaving everything else (comments, layout) as written."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    root: Table | tomlkit.TOMLDocument = document
    for part in [p for p in key_prefix.split(".") if p]:
        root = root[part]
    root["app"]["backend"] = backend
    write_atomic(path, tomlkit.dumps(document))


def save_counts(path: Path, key_prefix: str, counts: Mapping[str, int]) -> None:
    """Set `count` of each named type in the formation file, leaving everything else as written."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    root: Table | tomlkit.TOMLDocument = document
    for part in [p for p in key_prefix.split(".") if p]:
        root = root[part]  # the loader already proved these tables exist
    processes = root["processes"]
    for name, count in counts.items():
        processes[name]["count"] = count  # validated formation: a table per type
    write_atomic(path, tomlkit.dumps(document))
