"""The per-invocation context: which file, which backend, where output goes; and loading through it."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from procfleet import loader, registry
from procfleet.backend import (
    FEATURES,
    IMAGE_COMMAND,
    Backend,
    Session,
    declared_differences,
    depends_on,
    max_count,
)
from procfleet.console import Output
from procfleet.errors import FormationError, UsageError, quoted
from procfleet.model import Formation
from procfleet.validation import Where, did_you_mean


@dataclass
class Context:
    """What every command knows: the global options and the caller's environment."""

    file: Path | None = None
    backend: str | None = None
    output: Output = field(default_factory=Output)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    strict: bool = False
    timestamps: bool = True
    prefixes: bool = True
    since: float | None = None
    exit_with: tuple[str, ...] = ()
    abort_on_exit: bool = False

    def session(self) -> Session:
        """What a backend gets to see of this invocation."""
        out = self.output
        return Session(out=out.out, err=out.err, environ=self.environ, cwd=self.cwd, color=out.color,
                       timestamps=self.timestamps, prefixes=self.prefixes, since=self.since, exit_with=self.exit_with,
                       abort_on_exit=self.abort_on_exit, verbose=out.verbose, json=out.json)


def load_formation(ctx: Context, only_in_use: bool = False) -> Formation:
    """Load and validate the formation, with each `[backends.X]` table validated by backend X; with only_in_use,
    only the table of the backend the command runs on (the others' names are still checked): a command imports
    no backend it does not use, and `check` is where every table is validated."""
    formation = loader.load(ctx.file, ctx.cwd, ctx.environ)
    available = registry.discover()
    validated = {}
    names = ", ".join(available) or "none installed"
    if formation.app.backend not in available:
        where = Where(formation.source, formation.key_prefix + "app.backend")
        chosen = formation.app.backend
        raise where.error(f"unknown backend {quoted(chosen)}{did_you_mean(chosen, available)}; available: {names}")
    root = Where(formation.source, formation.key_prefix + "backends")
    in_use = backend_name(ctx, formation)
    for name, options in formation.backends.items():
        where = root.child(name)
        if name not in available:
            raise where.error(f"unknown backend{did_you_mean(name, available)}; available: {names}")
        if only_in_use and name != in_use:
            validated[name] = options
            continue
        backend = registry.load(name)(ctx.session())
        validated[name] = backend.validate_options(options, where)
    return dataclasses.replace(formation, backends=validated)


def backend_name(ctx: Context, formation: Formation | None) -> str:
    """-b/--backend, else the formation's [app].backend, else local."""
    if ctx.backend:
        return ctx.backend
    return formation.app.backend if formation else "local"


def open_backend(ctx: Context, formation: Formation, warn: bool = True) -> Backend:
    """Load the chosen backend and warn about keys it cannot honour. The warnings (and --strict's refusals) are
    for the commands that say what would run (check, plan, render, deploy): ps, logs, scale and down, run every
    few seconds, would repeat them each time."""
    name = backend_name(ctx, formation)
    backend = registry.load(name)(ctx.session())
    check_runnable(formation, name, backend.features)
    for key in unhonoured_keys(formation, backend.features) if warn else ():
        message = f"{formation.source}: {key}: the {name} backend does not honour this key"
        if ctx.strict:
            raise UsageError(message + " (--strict)")
        ctx.output.warn(message)
    ceiling = max_count(type(backend))
    for process_name, process in formation.processes.items():
        if process.count is not None and process.count > ceiling:
            raise FormationError(formation.source, f"{formation.key_prefix}processes.{process_name}.count",
                                 f"{process.count} is more than the {name} backend runs of one type ({ceiling})")
    for behaviour, instead in declared_differences(type(backend)).items() if warn else ():
        for key in depends_on(formation, behaviour):
            message = f"{formation.source}: {key}: on {name}, {instead}"
            if ctx.strict:
                raise UsageError(message + " (--strict)")
            ctx.output.warn(message)
    return backend


def check_runnable(formation: Formation, backend: str, features: frozenset[str]) -> None:
    """Every type has something this backend can run: a backend without images needs a command or an argv."""
    if IMAGE_COMMAND in features:
        return
    for name, process in formation.processes.items():
        at = f"{formation.key_prefix}processes.{name}"
        if process.runs_image_command:
            raise FormationError(formation.source, f"{at}.command", f"missing: the {backend} backend runs no images, "
                                 f"and this type runs its image's own command; give it a command for {backend}")
        argv = process.argv()
        if process.entrypoint is None and argv and argv[0].startswith("-"):
            raise FormationError(formation.source, f"{at}.args", f"{argv[0]} is an option for the image's "
                                 f"ENTRYPOINT, which the {backend} backend does not have; give this type a command")


def used_features(formation: Formation) -> dict[str, list[str]]:
    """Each formation feature in use, with the key paths that use it."""
    prefix = formation.key_prefix
    used: dict[str, list[str]] = {feature: [] for feature in FEATURES}
    if formation.app.env_files:
        used["env_file"].append(f"{prefix}app.env_file")
    if formation.app.image:
        used["image"].append(f"{prefix}app.image")
    if formation.app.build is not None:
        used["build"].append(f"{prefix}app.build")
    for name, p in formation.processes.items():
        at = f"{prefix}processes.{name}"
        checks = {
            "count": p.count is not None, "port": p.port is not None, "health": p.health is not None,
            "resources.cpu": p.resources.cpu is not None, "resources.memory": p.resources.memory is not None,
            "image": p.image is not None, "build": p.build is not None, "env_file": bool(p.env_files),
            "after": bool(p.after),
        }
        used.update({feature: [*used[feature], f"{at}.{feature}"] for feature, on in checks.items() if on})
    return {feature: keys for feature, keys in used.items() if keys}


def unhonoured_keys(formation: Formation, features: frozenset[str]) -> list[str]:
    """The key paths the formation sets that a backend with these features ignores."""
    return [key for feature, keys in used_features(formation).items() if feature not in features for key in keys]
