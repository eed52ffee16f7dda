"""The local backend's artefacts: the expanded instance list, or a Procfile for Foreman and Honcho."""

from __future__ import annotations

from collections.abc import Mapping

from procfleet.backend import RenderedFile
from procfleet.errors import FormationError
from procfleet.model import Formation, masked
from procfleet.plan import NEW_TYPE_COUNT
from procfleet_local.instances import expand


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
    return RenderedFile("Procfile", "\n".join(lines) + "\n")
