"""The local backend's artefacts: the expanded instance list, or a Procfile for Foreman and Honcho."""

from __future__ import annotations

from collections.abc import Mapping

from procfleet.backend import RenderedFile
from procfleet.errors import FormationError
from procfleet.model import Formation, ProcessType, masked
from procfleet.plan import NEW_TYPE_COUNT
from procfleet_local.instances import DEFAULT_BASE_PORT, expand

NOT_IN_PROCFILE = "not carried into the Procfile (a Procfile holds names and commands only)"


def file_counts(formation: Formation) -> dict[str, int]:
    """The counts the file asks for; a type without a count starts with one instance."""
    return {name: NEW_TYPE_COUNT if p.count is None else p.count for name, p in formation.processes.items()}


def render_instances(formation: Formation, counts: Mapping[str, int], base_port: int) -> RenderedFile:
    """One line per instance: name, PORT, the env procfleet and the formation set, then the command."""
    lines = []
    for item in expand(formation, counts, base_port, caller_env={}):
        own_env = masked(formation.environment(item.process))
        env = " ".join(f"{key}={value}" for key, value in own_env.items())
        lines.append(f"{item.name}\tPORT={item.port}\t{env}\t{item.process.shown_command()}".replace("\t\t", "\t"))
    return RenderedFile("instances.txt", "\n".join(lines) + ("\n" if lines else ""))


def render_procfile(formation: Formation, counts: Mapping[str, int]) -> RenderedFile:
    """A Procfile; the counts go in a comment line, which Foreman and Honcho skip."""
    for name, process in formation.processes.items():
        if "\n" in process.shown_command().strip():
            where = f"{formation.key_prefix}processes.{name}.command"
            raise FormationError(formation.source, where, "spans several lines: a Procfile holds one line per type")
    formation_arg = ",".join(f"{name}={count}" for name, count in counts.items())
    lines = [f"# {formation.app.name}: foreman start -m {formation_arg}"]
    lines += [f"{name}: {process.shown_command()}" for name, process in formation.processes.items()]
    warnings = tuple(f"{formation.source}: {formation.key_prefix}{key}: {NOT_IN_PROCFILE}"
                     for key in procfile_losses(formation))
    return RenderedFile("Procfile", "\n".join(lines) + "\n", warnings)


def procfile_losses(formation: Formation) -> list[str]:
    """The key paths a Procfile cannot hold; the counts are not among them (its header line holds them)."""
    app = formation.app
    keys = [key for key, value in (("app.env", app.env), ("app.env_file", app.env_files)) if value]
    # Validated options hold the default; Foreman starts at the same port, so only another one is lost.
    if formation.options("local").get("base_port", DEFAULT_BASE_PORT) != DEFAULT_BASE_PORT:
        keys.append("backends.local.base_port")
    for name, process in formation.processes.items():
        keys += [f"processes.{name}.{key}" for key in _type_losses(process)]
    return keys


def _type_losses(process: ProcessType) -> list[str]:
    """The keys of one type set to something other than the model's default."""
    default = ProcessType(name=process.name)
    set_keys = {
        "port": process.port is not None,
        "health": process.health is not None,
        "env": bool(process.env),
        "env_file": bool(process.env_files),
        "restart": process.restart != default.restart,
        "stop_signal": process.stop_signal != default.stop_signal,
        "stop_timeout": process.stop_timeout != default.stop_timeout,
    }
    return [key for key, lost in set_keys.items() if lost]
