"""What shell completion offers beyond commands and options: backend names, the formation's types, scale specs.

The CLI names each parameter's completer with offer(); typer gets them only when a shell asks (prepare(), from
main()), so --help pays nothing for them. A completer runs on every Tab: it reads only entry-point metadata or the
formation file, and whatever goes wrong completes nothing, never an error on the user's command line.
"""

# No `from __future__ import annotations`: typer reads these functions' annotations to know what to pass them.
import os
import re
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import typer

_OFFERS: list[tuple[Any, Callable[..., Any]]] = []


def offer(completer: Callable[..., Any], parameter: Any) -> Any:
    """The typer Option or Argument, completed by `completer` once prepare() runs. Given to typer up front, every
    completer's signature would be inspected as typer builds the commands, on every run (about 0.7 ms of --help)."""
    _OFFERS.append((parameter, completer))
    return parameter


def prepare(environ: MutableMapping[str, str]) -> None:
    """Before typer answers a shell: the completers in place, and each candidate's description on one line (typer
    renders descriptions through rich, which wraps them at 80 columns when no terminal is attached; fish would read
    each wrapped line as a candidate of its own)."""
    for parameter, completer in _OFFERS:
        parameter.autocompletion = completer
    environ["TERMINAL_WIDTH"] = "4096"  # read by typer's rich rendering only, which procfleet's --help does not use


def colors() -> list[tuple[str, str]]:
    """--color's values."""
    return [("auto", "on a terminal"), ("always", "into a pipe too"), ("never", "no escape codes")]


def import_formats() -> list[tuple[str, str]]:
    """import --format's values."""
    return [("procfile", "a Procfile"), ("compose", "a compose.yaml"), ("app.json", "a Heroku app.json"),
            ("nomad", "a Nomad job (JSON)")]


def backend_names() -> list[tuple[str, str]]:
    """The installed backends with their distribution; none is imported."""
    try:
        from procfleet import registry

        return [(name, found.distribution) for name, found in registry.discover().items()]
    except Exception:
        return []


def process_types(ctx: typer.Context) -> list[tuple[str, str]]:
    """The formation's types not given yet, with their command."""
    given = set(ctx.params.get("types") or ())
    return [(name, command) for name, command in _types(ctx).items() if name not in given]


def process_type(ctx: typer.Context) -> list[tuple[str, str]]:
    """The formation's types, for an option that names one (--type, --exit-with)."""
    return list(_types(ctx).items())


def scale_specs(ctx: typer.Context, incomplete: str) -> list[str]:
    """`TYPE=` for each type not given yet, also after a comma (`web=2,worker=`, Foreman's form)."""
    head, comma, _ = incomplete.rpartition(",")
    words = [part for word in (*(ctx.params.get("specs") or ()), head) for part in word.split(",")]
    names = _types(ctx)
    given = {name for name in names for word in words if re.fullmatch(re.escape(name) + r"[=+-][0-9]*", word)}
    return [f"{head}{comma}{name}=" for name in names if name not in given]


def _types(ctx: typer.Context) -> dict[str, str]:
    """Type name → command of the formation the command would read (-f after the command wins), or nothing."""
    try:
        from procfleet import loader

        file = next((c.params["file"] for c in _lineage(ctx) if c.params.get("file") is not None), None)
        formation = loader.load(Path(file) if file is not None else None, Path.cwd(), os.environ)
        return {name: process.command or "" for name, process in formation.processes.items()}
    except Exception:  # a missing or broken formation completes nothing; the command itself will say why
        return {}


def _lineage(ctx: typer.Context) -> list[typer.Context]:
    """The command's context, then its parents'."""
    found: list[typer.Context] = []
    current: typer.Context | None = ctx
    while current is not None:
        found.append(current)
        current = current.parent  # type: ignore[assignment]  # typer's contexts have typer parents
    return found

