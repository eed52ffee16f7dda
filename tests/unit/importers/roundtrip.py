"""Import → render → import: rendering through the real backends, and what each rendered format carries.

A format cannot carry every key, so a round trip is compared on the formation's normalised JSON
(procfleet.jsonshape.formation_json) reduced, on both sides alike, to what the format carries. The reductions
below are the whole list of what each format loses; everything else must come back exactly.
"""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from procfleet import loader, registry
from procfleet.actions.importing import Imported, import_file
from procfleet.backend import Session
from procfleet.jsonshape import formation_json
from procfleet.model import Formation
from procfleet.plan import NEW_TYPE_COUNT
from procfleet.units import format_memory

INSTALLED = ("local", "compose", "nomad")
PLACEHOLDER_IMAGE = "procfleet.test/placeholder:1"  # compose needs an image; formations without one get this
MIB = 1024**2

# renderer → (backend, render format, import format, rendered file name)
RENDERERS: dict[str, tuple[str, str, str, str]] = {
    "procfile": ("local", "procfile", "procfile", "roundtrip.Procfile"),
    "compose": ("compose", "compose", "compose", "roundtrip.compose.yaml"),
    "nomad": ("nomad", "json", "nomad", "roundtrip.nomad.json"),
}


def render(formation: Formation, renderer: str) -> str:
    """The text the backend renders, through the registry as any caller gets it."""
    backend_name, fmt, _, _ = RENDERERS[renderer]
    if backend_name not in registry.discover():
        pytest.skip(f"the {backend_name} backend is not installed (pip install -e backends/{backend_name})")
    session = Session(out=io.StringIO(), err=io.StringIO(), environ={}, cwd=formation.folder)
    files = registry.load(backend_name)(session).render(formation, fmt)
    return files[0].content


def prepared(formation: Formation, renderer: str) -> Formation:
    """The formation as the renderer can take it: compose needs an image for every type, and a Procfile line
    holds a one-line command (the local backend writes a multi-line one as it is, which breaks the Procfile)."""
    if renderer == "compose" and any(formation.image_for(p) is None for p in formation.processes.values()):
        return dataclasses.replace(formation, app=dataclasses.replace(formation.app, image=PLACEHOLDER_IMAGE))
    if renderer == "procfile":
        one_line = {name: dataclasses.replace(p, command="; ".join(p.command.splitlines()) if p.command else None)
                    for name, p in formation.processes.items()}
        return dataclasses.replace(formation, processes=one_line)
    return formation


def round_trip(formation: Formation, renderer: str) -> tuple[Formation, Imported]:
    """Render the formation beside its file, import what was rendered, and load the result."""
    folder = formation.folder
    _, _, import_format, name = RENDERERS[renderer]
    rendered = folder / name
    rendered.write_text(render(formation, renderer))
    target = folder / "roundtrip.toml"
    imported = import_file(rendered, target, fmt=import_format, force=True, environ={}, installed=INSTALLED)
    return loader.load(target, folder, {}), imported


def carried(formation: Formation, renderer: str) -> dict[str, Any]:
    """The formation's normalised JSON, reduced to what the renderer's format carries."""
    data = formation_json(formation)
    app = data["app"]
    # Not carried by any rendered format: which backend is the default (an import picks the source's own), and
    # whether env and image sit on the app or on each type (imports share what every type has). Each type's
    # effective env (env files' values, app env, type env, unmasked) and effective image are compared instead.
    for key in ("backend", "env", "image"):
        app.pop(key)
    for name, process in formation.processes.items():
        data["processes"][name]["env"] = formation.environment(process)
        command = data["processes"][name]["command"]
        if command is not None and command.startswith("exec "):
            # procfleet execs a simple command itself (shellcommand.exec_form): a leading `exec` the user wrote
            # runs the same, and a rendered file does not tell the two apart
            data["processes"][name]["command"] = command.removeprefix("exec ")
    reduce: dict[str, Callable[[Formation, dict[str, Any]], dict[str, Any]]] = {
        "procfile": _procfile, "compose": _compose, "nomad": _nomad}
    return reduce[renderer](formation, data)


def _counts(data: dict[str, Any]) -> None:
    # Every rendered format states a count: a type that leaves it to the platform is rendered with one instance.
    for entry in data["processes"].values():
        entry["count"] = NEW_TYPE_COUNT if entry["count"] is None else entry["count"]


def _procfile(formation: Formation, data: dict[str, Any]) -> dict[str, Any]:
    # A Procfile has names and commands; procfleet's header line adds the app's name and the counts.
    _counts(data)
    processes = {name: {"command": p["command"], "count": p["count"]} for name, p in data["processes"].items()}
    return {"app": {"name": data["app"]["name"]}, "processes": processes}


def _compose(formation: Formation, data: dict[str, Any]) -> dict[str, Any]:
    # compose.yaml carries every process key and the env files by path; of the backend tables, its own.
    _counts(data)
    data["backends"] = {name: options for name, options in data["backends"].items() if name == "compose"}
    return data


def _nomad(formation: Formation, data: dict[str, Any]) -> dict[str, Any]:
    # The job holds each task's env with the env files' values in it, not the files; CPU in whole MHz and
    # memory in whole MiB; http and tcp checks only (a command check is not rendered); and with a driver other
    # than docker no image (the port comes back from procfleet's group meta, and with it an http or tcp check).
    _counts(data)
    data["app"].pop("env_file")
    options = dict(formation.options("nomad"))
    for name, process in formation.processes.items():
        entry = data["processes"][name]
        driver = options.get("driver") or ("docker" if formation.image_for(process) else "exec")
        if entry["health"] is not None and entry["health"]["kind"] == "command":
            entry["health"] = None
        if driver != "docker":
            entry["image"] = None
        if entry["port"] is None and str(entry["env"].get("PORT", "")).isdigit():
            # a numeric PORT in a task's Env is the port of a job that declares none (the importer's reading of
            # jobs written by hand); a formation's env file that sets PORT (Foreman's .env) comes back that way
            entry["port"] = int(entry["env"].pop("PORT"))
        resources = process.resources
        entry["resources"] = {
            "cpu": None if resources.cpu is None else max(1, round(resources.cpu * 1000)) / 1000,
            "memory": None if resources.memory is None else format_memory(math.ceil(resources.memory / MIB) * MIB),
        }
    implied = {"docker" if formation.image_for(p) else "exec" for p in formation.processes.values()}
    if options.get("driver") in implied and len(implied) == 1:
        options.pop("driver")  # the driver procfleet would pick anyway
    if options.get("datacenters") in (["*"], ("*",)):
        options.pop("datacenters")  # Nomad's default
    data["backends"] = {"nomad": options} if options else {}
    return data


def reported_keys(imported: Imported) -> list[str]:
    """The key path of each line of an import's report."""
    return [line.split(": ")[1] for line in imported.warnings]


def load(path: Path) -> Formation:
    """A formation file, loaded as `procfleet check` loads it."""
    return loader.load(path, path.parent, {})
